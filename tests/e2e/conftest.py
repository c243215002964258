from pathlib import Path
from typing import Any

from tests.catalog.subsonic_fixtures import subsonic_peer

__all__ = ["assert_page_reads_well", "screenshot", "subsonic_peer"]

# What the browser tests saw, for anyone to look at; git ignores it (see the README).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-screenshots"

# Elements wider than the viewport (but not inside something that clips or scrolls them).
OVERFLOWING_SCRIPT = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (element) => {
    let parent = element.parentElement;
    for (; parent && parent !== document.body; parent = parent.parentElement) {
      if (getComputedStyle(parent).overflowX !== "visible") return true;
    }
    return false;
  };
  const found = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if ((box.right > width + 1 || box.left < -1) && !clipped(element)) {
      const name = typeof element.className === "string" ? element.className.trim() : "";
      const classes = name ? "." + name.split(/\\s+/).join(".") : "";
      const where = `${Math.round(box.left)}..${Math.round(box.right)}`;
      found.push(`${element.tagName.toLowerCase()}${classes} ${where}`);
    }
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, found: found.slice(0, 10)};
}"""


def screenshot(page: Any, name: str) -> Path:
    """Save the whole page as ``test-screenshots/<name>.png`` and return the path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_page_reads_well(page: Any, console_errors: list[str]) -> None:
    """The page has a title, nothing overflows the viewport sideways, and the console is clean."""
    title = page.title()
    assert title.strip() and title.strip() != "· Segue", f"{page.url} has no title"
    overflow = page.evaluate(OVERFLOWING_SCRIPT)
    assert overflow["scrollWidth"] <= overflow["width"] and not overflow["found"], f"{page.url}: {overflow}"
    assert not console_errors, f"{page.url}: console errors {console_errors}"
