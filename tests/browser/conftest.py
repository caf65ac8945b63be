"""A real browser (Debian's Chromium, driven by Playwright) against Inkwell under Gunicorn.

Chromium comes from the system (`apt-get install -y chromium`); Playwright
never downloads a browser. Without it these tests are skipped with one line
saying so, except on CI, where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import gunicorn

CHROMIUM = Path(os.environ.get("INKWELL_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_report_header() -> list[str]:
    if CHROMIUM.exists():
        return []
    return [
        f"Chromium: not found at {CHROMIUM}, browser tests skipped (apt-get install -y chromium)"
    ]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI requires Chromium at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Inkwell under Gunicorn on a fresh SQLite database, over plain HTTP."""
    folder = tmp_path_factory.mktemp("site")
    database = f"sqlite:///{folder / 'site.sqlite3'}"
    # Development settings: the session cookie is not Secure, so it works over http.
    # With the guides, as `make run` has them: their author is the demo's admin.
    demo = ("--users", "6", "--articles", "24", "--seed", "7", "--guides")
    with gunicorn(database, folder, seed=demo, INKWELL_ENV="development") as api:
        yield api.removesuffix("/api")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def screenshot(page: Any, name: str) -> None:
    """Save the page at desktop and phone widths into test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    for label, size in (("desktop", (1280, 860)), ("phone", (390, 844))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})
