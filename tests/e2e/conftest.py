import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from tests.catalog.subsonic_fixtures import subsonic_peer

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "assert_page_reads_well", "screenshot", "subsonic_peer"]

# Debian's chromium (`make system-deps`), never a browser download.
CHROMIUM = os.environ.get("SEGUE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
def chromium(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The browser, against the live server; the connections the test's threads left are closed."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    # The test body's reads and the (now stopped) worker thread each leave a connection of their
    # own, which nothing else closes before the test database is dropped.
    connections.close_all()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


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
