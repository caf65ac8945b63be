"""The site's search: a field in every page's header, a results page with marked
snippets, facets, filters, both orders, stable pages and a helpful empty state;
and the OpenSearch description browsers read."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from inkwell.extensions import db
from inkwell.models import User
from inkwell.services.sessions import start_session
from tests.search.conftest import Writer, committed, wipe
from tests.search.test_search_api import statements

RESULT_TITLES = re.compile(r'<h3><a href="/article/[^"]+">([^<]+)</a></h3>')


@pytest.fixture(scope="module")
def site(search_app: Flask) -> Flask:
    wipe(search_app)
    write = Writer(search_app)
    ada = write.author("ada")
    grace = write.author("grace")
    for number in range(25):
        write.article(
            ada if number % 2 else grace,
            f"Tide table {number:02d}",
            f"The tide <b>comes</b> in at dawn for R&D. Use `<script>` rarely, {number}.",
            tags=("sea", "charts") if number % 3 else ("sea",),
        )
    return search_app


def page(http: Any, url: str, status: int = 200) -> str:
    answer = http.get(url)
    assert answer.status_code == status, answer.get_data(as_text=True)[:500]
    return str(answer.get_data(as_text=True))


def test_every_page_has_a_search_field_in_its_header(site: Flask, http: Any) -> None:
    for url in ["/", "/search", "/tag/sea", "/login"]:
        html = page(http, url)
        assert '<form class="site-search" role="search" method="get" action="/search">' in html
        assert 'rel="search" type="application/opensearchdescription+xml"' in html


def test_results_show_count_marked_snippets_and_facets(site: Flask, http: Any) -> None:
    html = page(http, "/search?q=dawn")
    assert "25 results for “dawn”" in html
    assert len(RESULT_TITLES.findall(html)) == 20
    assert "<mark>dawn</mark>" in html
    # The body's text, escaped (PostgreSQL's headline leaves out what looks like a tag).
    assert "R&amp;D" in html and "<script>" not in html
    assert "<b>comes</b>" not in html
    assert re.search(
        r'href="/search\?q=dawn&amp;tag=charts">charts</a> <span class="count">16', html
    )
    assert re.search(r'href="/search\?q=dawn&amp;tag=sea">sea</a> <span class="count">25', html)


def test_facets_and_authors_narrow_and_can_be_removed(site: Flask, http: Any) -> None:
    html = page(http, "/search?q=dawn&tag=charts&author=ada")
    assert "8 results for “dawn”" in html
    assert 'aria-label="Remove the tag charts"' in html
    assert 'href="/search?q=dawn&amp;tag=charts"' in html  # the author removed
    assert "0 results" in page(http, "/search?q=dawn&tag=charts&tag=nowhere")


def test_newest_first_and_pages_that_stay_in_place(site: Flask, http: Any) -> None:
    first = page(http, "/search?q=dawn&order=newest")
    assert RESULT_TITLES.findall(first)[0] == "Tide table 24"
    more = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert more
    # An article published after the first page was read does not push a
    # result of the first page onto the second.
    with committed(site):
        author = db.session.scalar(db.select(User).where(User.username == "ada"))
        assert author is not None
    Writer(site).article(author.id, "Tide table late", "The tide at dawn, again.")
    second = page(http, more.group(1).replace("&amp;", "&"))
    assert RESULT_TITLES.findall(second) == [f"Tide table {n:02d}" for n in range(4, -1, -1)]
    assert "Tide table late" in page(http, "/search?q=dawn&order=newest")


def test_an_empty_search_explains_the_syntax(site: Flask, http: Any) -> None:
    html = page(http, "/search")
    assert "Quotes keep words together" in html
    assert "results for" not in html


def test_no_match_says_what_to_try(site: Flask, http: Any) -> None:
    html = page(http, "/search?q=volcano")
    assert "0 results for “volcano”" in html
    assert "Nothing matches “volcano”" in html


def test_what_cannot_be_searched_gets_a_message(site: Flask, http: Any) -> None:
    html = page(http, "/search?q=-dawn", status=422)
    assert "Your search needs a word to look for, not only words to leave out." in html
    html = page(http, "/search?q=" + "x" * 300, status=422)
    assert "at most 256 characters" in html
    assert page(http, "/search?q=%00%01", status=422)
    html = page(http, "/search?q=dawn" + "".join(f"&tag=t{n}" for n in range(6)), status=422)
    assert "Tag may be given at most 5 times." in html


def test_a_signed_in_search_page_runs_three_statements(site: Flask, http: Any) -> None:
    with committed(site):
        reader = db.session.scalar(db.select(User).where(User.username == "grace"))
        assert reader is not None
        key = start_session(reader)
    with http.session_transaction() as session:
        session["_user_id"] = key
        session["_fresh"] = True
    with statements(site) as seen:
        html = page(http, "/search?q=tide dawn")
    assert "grace" in html and "Sign out" in html
    queries = [s for s in seen if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "SET"))]
    # The signed-in reader, the page with snippets and flags, the total with the facets.
    assert len(queries) == 3, queries


def test_browsers_can_add_the_search(site: Flask, http: Any) -> None:
    answer = http.get("/opensearch.xml")
    assert answer.status_code == 200
    assert answer.mimetype == "application/opensearchdescription+xml"
    assert 'template="http://localhost/search?q={searchTerms}"' in answer.get_data(as_text=True)
