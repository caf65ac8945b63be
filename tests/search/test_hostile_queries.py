"""Whatever a reader types, search answers with results or a clear 422, never a
500: every engine's operators, SQL, control characters, any script, any length."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inkwell.services.errors import Invalid
from tests.search.conftest import Writer, find, wipe

FRAGMENTS = [
    '"',
    "'",
    "-",
    "+",
    "*",
    ":",
    "&",
    "|",
    "!",
    "(",
    ")",
    "<",
    ">",
    "~",
    "@",
    "^",
    "\\",
    "NEAR(",
    "NEAR(a b, 3)",
    "OR",
    "AND",
    "NOT",
    "or",
    " ",
    "\x00",
    "\t",
    "\n",
    "\u200f",
    "\u202e",
    "🐍",
    "👩‍💻",
    "שלום",
    "مرحبا",
    "python",
    "lighthouse",
    "a",
    "ab",
    "'; DROP TABLE articles; --",
    "1=1",
    "%",
    "_",
    "title:",
    "{title}:",
    "^lighthouse",
    ":*",
    "<->",
    "!!",
    "&&",
    "||",
    "@@",
    "\u0301",
    "ﬁ",
    "İ",
    "ß",
    "\ud7ff",
]
QUERIES = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=12).map("".join),
)


@pytest.fixture(scope="module")
def corpus(search_app: Flask) -> Flask:
    wipe(search_app)
    write = Writer(search_app)
    author = write.author("ada")
    write.article(author, "Lighthouse keepers", "A lighthouse on the rock; a python on the shore.")
    write.article(author, "Scripts", "שלום and مرحبا in one article 🐍.", tags=("python",))
    return search_app


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=QUERIES, order=st.sampled_from(["relevance", "newest"]))
def test_any_query_gets_results_or_a_clear_refusal(corpus: Flask, text: str, order: str) -> None:
    try:
        found = find(corpus, text, order=order)
    except Invalid as refused:
        assert set(refused.errors) == {"q"}
        assert all(message and "\n" not in message for message in refused.errors["q"])
    else:
        assert 0 <= found.total <= 2
        assert len(found.hits) <= found.total


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=QUERIES, tag=st.none() | st.text(max_size=8), author=st.none() | st.text(max_size=8))
def test_any_query_through_the_api_is_answered_with_the_envelope(
    corpus: Flask, http: Any, text: str, tag: str | None, author: str | None
) -> None:
    asked = {"q": text, "tag": tag, "author": author}
    answer = http.get("/api/search", query_string={k: v for k, v in asked.items() if v is not None})
    assert answer.status_code in (200, 422), answer.get_data(as_text=True)
    body = answer.get_json()
    if answer.status_code == 422:
        assert set(body["errors"]) <= {"q", "tag", "author"}
    else:
        assert body["articlesCount"] == len(body["articles"]) <= 2


@pytest.mark.parametrize(
    "text",
    [
        "x" * 10_000,
        "python " * 2000,
        '"' * 300,
        "NEAR(python lighthouse)" * 12,
        " ".join(f"w{number}" for number in range(40)),
    ],
)
def test_long_queries_are_refused_with_a_reason(corpus: Flask, text: str) -> None:
    with pytest.raises(Invalid) as refused:
        find(corpus, text)
    assert "at most" in refused.value.errors["q"][0]


@pytest.mark.parametrize("text", ["", "   ", "-python", '""', "()", "\x00", "🐍", "OR"])
def test_a_query_with_nothing_to_look_for_is_refused(corpus: Flask, text: str) -> None:
    with pytest.raises(Invalid) as refused:
        find(corpus, text)
    assert "needs a word" in refused.value.errors["q"][0]


@pytest.mark.parametrize(
    ("text", "total"),
    [
        ('python"', 2),
        ('"python', 2),
        ("python*", 2),
        ("lighthouse:*", 1),
        ("(lighthouse", 1),
        ("lighthouse & python", 1),
        ("(lighthouse)", 1),
        ("lighthouse:", 1),
        ("NEAR(lighthouse", 0),  # joined by punctuation: the phrase "near lighthouse"
        ("title:lighthouse", 0),
        ("rock;", 1),
        ("'; DROP TABLE articles; --", 0),
        ("שלום", 1),
        ("\u202elighthouse", 1),
    ],
)
def test_operators_are_read_as_punctuation(corpus: Flask, text: str, total: int) -> None:
    assert find(corpus, text).total == total
