"""Readers and writers in a real browser: the whole path from sign-up to feed, and XSS."""

from __future__ import annotations

import uuid
from typing import Any

from tests.browser.conftest import screenshot


def sign_up(page: Any, site: str, name: str) -> None:
    page.goto(f"{site}/register")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("Password").fill("a good long password")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_text(f"Welcome to Inkwell, {name}.").wait_for()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()


def test_write_publish_comment_favorite_follow_feed(page: Any, site: str) -> None:
    suffix = uuid.uuid4().hex[:6]
    writer, reader = f"writer{suffix}", f"reader{suffix}"
    title = f"Notes from the field {suffix}"

    sign_up(page, site, writer)
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("What is it about?").fill("A first dispatch")
    page.get_by_label("Article (Markdown)").fill(
        "## Findings\n\n| plant | count |\n|---|---|\n| fern | 3 |\n\n```\ncode block\n```"
    )
    page.get_by_label("Tags, separated by commas").fill("field, notes")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved.").wait_for()
    assert page.get_by_text("Draft: only you can see this").is_visible()

    page.get_by_role("link", name="Edit").click()
    page.get_by_role("button", name="Preview").click()
    assert page.locator(".preview table").is_visible()
    screenshot(page, "editor")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Published.").wait_for()
    article_url = page.url
    sign_out(page)

    sign_up(page, site, reader)
    page.goto(article_url)
    page.get_by_label("Write a comment").fill("Wonderful notes, thank you.")
    page.get_by_role("button", name="Post comment").click()
    page.locator(".comment-body", has_text="Wonderful notes").wait_for()
    page.get_by_role("button", name="Favorite").click()
    page.get_by_role("button", name="Unfavorite (1)").wait_for()
    page.get_by_role("button", name=f"Follow {writer}").click()
    page.get_by_role("button", name=f"Unfollow {writer}").wait_for()

    page.goto(site)
    page.get_by_role("link", name="Your feed").click()
    assert page.get_by_role("link", name=title).is_visible()
    page.goto(article_url)
    screenshot(page, "article")
    page.goto(site)
    screenshot(page, "home")
    sign_out(page)
    assert page.get_by_role("link", name="Sign in").is_visible()


def test_hostile_markdown_renders_inert(page: Any, site: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_up(page, site, f"mallory{uuid.uuid4().hex[:6]}")
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill("Totally harmless")
    page.get_by_label("What is it about?").fill("Nothing to see")
    page.get_by_label("Article (Markdown)").fill(
        "<script>alert('script')</script>\n\n"
        "<img src=x onerror=\"alert('img')\">\n\n"
        "[click me](javascript:alert('link'))\n\n"
        "<a href=\"javascript:alert('raw')\">raw link</a>\n\n"
        "<div onmouseover=\"alert('hover')\">hover me</div>\n\n"
        "<iframe src=\"javascript:alert('frame')\"></iframe>"
    )
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Published.").wait_for()
    page.get_by_text("hover me").hover()
    page.get_by_text("raw link").click()
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('script, iframe').length") == 0
    handlers = page.evaluate(
        "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))"
        ".filter(n => n.startsWith('on'))"
    )
    assert handlers == []
    hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
    assert not [h for h in hrefs if h.startswith("javascript:")]
