"""Every ``tl.x.y`` / ``tltutor.x.y`` name that a message, a docstring, the README or a lesson mentions exists."""

import importlib
import re
from pathlib import Path

import tltutor as tl

ROOT = Path(__file__).parents[1]
NAME = re.compile(r"\b(?:tl|tltutor)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def resolves(dotted: str) -> bool:
    """Whether ``tltutor.<dotted>`` is a module or an attribute reachable from the package."""
    parts = dotted.strip(".").split(".")
    found = tl
    for index, part in enumerate(parts):
        try:
            found = getattr(found, part)
        except AttributeError:
            try:
                found = importlib.import_module("tltutor." + ".".join(parts[:index + 1]))
            except ImportError:
                return False
    return True


def unresolved(text: str) -> set[str]:
    return {f"tltutor{match.group(1)}" for match in NAME.finditer(text) if not resolves(match.group(1))}


def test_every_name_mentioned_resolves():
    sources = [*sorted((ROOT / "tltutor").rglob("*.py")), ROOT / "README.md", *sorted((ROOT / "notebooks").glob("*.py"))]
    missing = {f"{path.relative_to(ROOT)}: {name}" for path in sources for name in unresolved(path.read_text())}
    assert not missing, sorted(missing)


def test_a_stale_name_is_caught():
    assert unresolved("see tl.training.train_head and tl.distribution.mirrored_strategy") == {
        "tltutor.distribution.mirrored_strategy"}
