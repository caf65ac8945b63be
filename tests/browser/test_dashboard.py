"""The dashboard in a real browser: the demo's admin suspends a spammer and deletes
their comment, every page stays within the Content-Security-Policy, and
screenshots of the overview, the growth charts and the database page at desktop
and phone widths."""

from __future__ import annotations

import uuid
from typing import Any

from tests.browser.conftest import screenshot
from tests.browser.test_flows import sign_out, sign_up

ADMIN_EMAIL, DEMO_PASSWORD = "inkwell@example.com", "inkwell-demo"


def sign_in(page: Any, site: str, email: str, password: str) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_demo_admin_suspends_a_spammer_and_deletes_a_comment(page: Any, site: str) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    suffix = uuid.uuid4().hex[:6]
    spammer, title = f"spammer{suffix}", f"Cheap pills {suffix}"
    sign_up(page, site, spammer)
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("What is it about?").fill("Pills")
    page.get_by_label("Article (Markdown)").fill("Buy them now.")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Published.").wait_for()
    spam_url = page.url
    page.goto(site)
    page.locator(".article-card h2 a").first.click()
    guide_url = page.url
    page.get_by_label("Write a comment").fill(f"Visit my pills shop {suffix}")
    page.get_by_role("button", name="Post comment").click()
    page.locator(".comment-body", has_text=f"pills shop {suffix}").wait_for()
    assert page.get_by_role("link", name="Dashboard").count() == 0
    sign_out(page)

    sign_in(page, site, ADMIN_EMAIL, DEMO_PASSWORD)
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("heading", name="Overview").wait_for()
    assert page.locator("figure svg.chart").count() == 4
    screenshot(page, "admin-home")
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Growth").click()
    page.get_by_role("link", name="365 days").click()
    page.get_by_role("heading", name="Growth over the last 365 days").wait_for()
    screenshot(page, "admin-growth")
    page.get_by_text("The numbers").first.click()
    assert page.locator("table.numbers").first.is_visible()

    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Users").click()
    page.get_by_label("Name or email starts with").fill(spammer)
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=spammer).click()
    page.get_by_label("Reason (kept in the audit log)").first.fill("Selling pills")
    page.get_by_role("button", name=f"Suspend {spammer}").click()
    page.get_by_text(f"{spammer} is suspended.").wait_for()
    assert page.get_by_role("button", name=f"Reinstate {spammer}").is_visible()
    assert page.goto(spam_url).status == 404

    page.goto(f"{site}/admin/comments")
    row = page.locator("tr", has_text=f"pills shop {suffix}")
    row.get_by_label("Delete: reason").fill("Spam link")
    row.get_by_role("button", name="Delete").click()
    page.get_by_text("The comment is deleted.").wait_for()
    assert page.locator("tr", has_text=f"pills shop {suffix}").count() == 0

    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Audit log").click()
    log = page.locator("table.data tbody")
    assert log.locator("tr", has_text="user.suspend").filter(has_text="Selling pills").count() == 1
    assert log.locator("tr", has_text="comment.delete").filter(has_text="Spam link").count() == 1
    page.goto(guide_url)
    assert page.locator(".comment-body", has_text=f"pills shop {suffix}").count() == 0

    page.goto(f"{site}/admin/health")
    page.get_by_role("heading", name="Health").first.wait_for()
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Database").click()
    page.get_by_role("heading", name="Database").first.wait_for()
    assert page.locator("table.data", has_text="articles").count() >= 1
    screenshot(page, "admin-database")
    assert refused == []
