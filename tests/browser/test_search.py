"""Searching from the header of any page, in a real browser: a just-published
article is found, its matched words marked, facets narrow, hostile text stays text."""

from __future__ import annotations

import uuid
from typing import Any

from tests.browser.conftest import screenshot
from tests.browser.test_flows import sign_up


def test_search_from_the_header_finds_what_was_just_published(page: Any, site: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    word = f"quokka{uuid.uuid4().hex[:6]}"
    sign_up(page, site, f"naturalist{uuid.uuid4().hex[:6]}")
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill(f"Field notes on the {word}")
    page.get_by_label("What is it about?").fill("Small marsupials of Rottnest Island")
    page.get_by_label("Article (Markdown)").fill(
        f"The **{word}** smiles at visitors on Rottnest Island, and the island smiles back."
    )
    page.get_by_label("Tags, separated by commas").fill("wildlife, islands")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Published.").wait_for()

    page.goto(site)
    field = page.get_by_role("search").get_by_label("Search articles")
    field.fill(f'"rottnest island" {word}')
    field.press("Enter")
    page.get_by_role("heading", name=f'1 result for “"rottnest island" {word}”').wait_for()
    result = page.locator(".search-results .article-card")
    assert result.get_by_role("link", name=f"Field notes on the {word}").is_visible()
    marked = result.locator("mark").all_inner_texts()
    assert word in marked and "Rottnest Island" in marked

    # A facet narrows to its tag; the search stays what it was.
    page.goto(f"{site}/search?q=island")
    page.locator(".facets").get_by_role("link", name="wildlife").click()
    page.get_by_role("button", name="Remove the tag wildlife").or_(
        page.get_by_role("link", name="Remove the tag wildlife")
    ).wait_for()
    assert page.get_by_role("link", name=f"Field notes on the {word}").is_visible()
    screenshot(page, "search")

    # What a reader types is shown as text, never run.
    page.goto(site)
    field = page.get_by_role("search").get_by_label("Search articles")
    field.fill("<img src=x onerror=alert(1)> island")
    field.press("Enter")
    page.get_by_role("heading", name="results for “<img src=x onerror=alert(1)> island”").wait_for()
    assert dialogs == []
