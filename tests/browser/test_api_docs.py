"""The API's interactive docs, at the address the README gives, in a real browser."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import screenshot


def test_the_docs_address_opens_styled_interactive_docs(page: Any, site: str) -> None:
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.goto(f"{site}/api/docs/")
    operations = page.locator(".opblock")
    operations.first.wait_for(timeout=30_000)  # a 1.4 MB script to parse
    assert operations.count() >= 19
    assert page.get_by_role("heading", name="Inkwell API").is_visible()
    # Styled: Swagger UI's stylesheet applied (its method badges are coloured blocks).
    badge = page.locator(".opblock-summary-method").first
    assert badge.evaluate("e => getComputedStyle(e).display") != "inline"
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    # Interactive: an operation opens and offers to send a request.
    page.locator(".opblock-summary", has_text="/api/tags").first.click()
    page.get_by_role("button", name="Try it out").wait_for()
    screenshot(page, "api-docs")
    assert problems == []
