"""The course site: built offline from the stored notebooks, and every lesson page checked in a real browser.

`make site` (tools/build_site.py) renders site/ with no execution. This test builds it, serves it on
127.0.0.1, and opens every lesson page in headless Chromium (Debian's chromium and chromium-driver,
which .ci/run installs): the title is there, every figure has loaded (natural width above 0), the
lesson's Markdown tables are HTML tables, and no page logs a JavaScript error. A screenshot of each
page goes to test-artifacts/site/.
"""

import functools
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "site"
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
needs_browser = pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                                   reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)")


@pytest.fixture(scope="module")
def site():
    completed = subprocess.run([sys.executable, "tools/build_site.py"], cwd=ROOT, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ROOT / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_site_has_a_home_page_a_set_up_page_an_api_reference_and_every_lesson(site):
    built = ROOT / "site"
    home = (built / "index.html").read_text()
    for lesson in LESSONS:
        assert (built / "lessons" / lesson.stem / "index.html").exists(), lesson.stem
        assert f"lessons/{lesson.stem}/" in home, f"the home page's path leaves out {lesson.stem}"
    assert "make demo" in (built / "setup" / "index.html").read_text()
    api = (built / "api" / "core" / "index.html").read_text()
    assert "build_transfer_model" in api and "fine_tune" in api


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,2000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def _markdown_tables(notebook) -> int:
    return sum(len(re.findall(r"^\|[-| :]+\|\s*$", cell.source, re.MULTILINE))
               for cell in notebook.cells if cell.cell_type == "markdown")


def _figures(notebook) -> int:
    return sum(1 for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.get("outputs", []) if "image/png" in output.get("data", {}))


@needs_browser
@pytest.mark.parametrize("lesson", LESSONS, ids=[path.stem for path in LESSONS])
def test_each_lesson_page_renders_its_title_figures_and_tables_without_errors(site, browser, lesson):
    notebook = nbformat.read(lesson, as_version=4)
    title = notebook.cells[0].source.splitlines()[0].lstrip("# ").strip()
    browser.get(f"{site}/lessons/{lesson.stem}/")
    browser.get_log("browser")  # drop what an earlier page left
    browser.refresh()
    heading = browser.execute_script("const h = document.querySelector('h1'); return h ? h.textContent : '';")
    assert title.split("·")[-1].strip()[:20] in heading
    # Images from other hosts (the Colab badge) cannot load offline; every figure is on the page itself.
    images = browser.execute_script(
        "return Array.from(document.querySelectorAll('article img'))"
        ".filter(i => !/^https?:/.test(i.getAttribute('src')) || i.src.startsWith(location.origin))"
        ".map(i => [i.complete, i.naturalWidth]);")
    figures = _figures(notebook)
    assert len([image for image in images if image[1] > 0]) >= figures >= 1, images
    assert all(complete and width > 0 for complete, width in images), "an image did not load"
    assert len(browser.find_elements("css selector", "article table")) >= _markdown_tables(notebook)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
              and not (entry["source"] == "network" and not entry["message"].startswith(site))]
    assert errors == [], json.dumps(errors)[:2000]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1280, min(int(height), 16000))
    browser.save_screenshot(str(ARTIFACTS / f"{lesson.stem}.png"))
    browser.set_window_size(1280, 2000)
