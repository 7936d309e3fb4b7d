#!/usr/bin/env bash
# Install the Debian packages the lessons and tests use, when this runs as root with apt-get.
# Elsewhere it installs nothing and says what is missing: the lessons and tests that need a missing
# package skip with a one-line reason. The lessons' packages are listed in
# tltutor/runtime/system_packages.py (tests/test_notebooks.py checks that this list agrees with it).
# With --lessons (make demo) it installs only the lessons' packages, not the tests' browser.
set -u
lesson_packages=(espeak-ng tuxpaint-stamps-default)
# Only the tests need these: the course site is checked in a real browser.
test_packages=(chromium chromium-driver)
[ "${1:-}" = "--lessons" ] && test_packages=()

missing=()
for package in "${lesson_packages[@]}" "${test_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
        exit 0
    fi
    echo "could not install ${missing[*]}: the lessons and tests that need them will skip" >&2
else
    echo "not installing Debian packages (needs root and apt-get): ${missing[*]}." \
         "The lessons and tests that need them will skip; as root: apt-get install -y ${missing[*]}" \
         "(without root, the README's 'Without root' unpacks them into your home folder)" >&2
fi
exit 0
