"""What a reader expects search to rank first, on every database.

A small corpus with known answers: a title beats a body, side-by-side words
beat scattered ones, stemming finds other forms of a word where the engine
stems, excluded words exclude, and filters narrow.
"""

from __future__ import annotations

import pytest
from flask import Flask

from inkwell.services import search as search_service
from tests.databases import Backend
from tests.search.conftest import Writer, find, titles, wipe

FILLER = "Notes on gardens, kettles and the long winter evenings by the window."


@pytest.fixture(scope="module")
def corpus(search_app: Flask) -> Flask:
    wipe(search_app)
    write = Writer(search_app)
    ada = write.author("ada")
    grace = write.author("grace")
    write.article(ada, "Lighthouse keepers", f"{FILLER} A lighthouse stands on the rock.")
    write.article(grace, "Harbour walks", f"{FILLER} We walked past the lighthouse at dusk.")
    write.article(
        ada, "Brewing tea", f"{FILLER} The quick brown fox met a teapot.", tags=("tea", "mornings")
    )
    write.article(
        grace, "Foxes of the city", f"{FILLER} A brown dog and a quick red fox.", tags=("animals",)
    )
    write.article(ada, "Marathon diary", f"{FILLER} I ran every morning; running clears the head.")
    write.article(
        grace, "Learning Python", f"{FILLER} Python scripts for the garden.", tags=("code",)
    )
    write.article(
        ada, "Snakes", f"{FILLER} A python is a snake, not a language.", tags=("animals",)
    )
    write.article(grace, "Draft about lighthouses", "lighthouse lighthouse", publish=False)
    return search_app


def test_a_title_match_ranks_above_a_body_only_match(corpus: Flask) -> None:
    found = find(corpus, "lighthouse")
    assert titles(found) == ["Lighthouse keepers", "Harbour walks"]
    assert found.total == 2


def test_words_side_by_side_rank_above_scattered_words(corpus: Flask) -> None:
    assert titles(find(corpus, "quick brown fox"))[:2] == ["Brewing tea", "Foxes of the city"]


def test_a_quoted_phrase_finds_only_the_words_in_that_order(corpus: Flask) -> None:
    assert titles(find(corpus, '"quick brown"')) == ["Brewing tea"]


def test_stemming_finds_other_forms_of_a_word(corpus: Flask, backend: Backend) -> None:
    found = set(titles(find(corpus, "runs")))
    if backend.name == "mysql":  # no stemmer: only the prefix of the last word helps
        assert found == set()
        assert titles(find(corpus, "run")) == ["Marathon diary"]
    else:
        assert found == {"Marathon diary"}


def test_an_excluded_word_excludes(corpus: Flask) -> None:
    assert titles(find(corpus, "python")) and "Snakes" in titles(find(corpus, "python"))
    assert titles(find(corpus, "python -snake")) == ["Learning Python"]


def test_or_finds_either(corpus: Flask) -> None:
    assert set(titles(find(corpus, "teapot OR marathon"))) == {"Brewing tea", "Marathon diary"}


def test_the_last_word_matches_as_a_prefix(corpus: Flask) -> None:
    assert set(titles(find(corpus, "pyth"))) == {"Learning Python", "Snakes"}
    assert titles(find(corpus, "lighthou")) == ["Lighthouse keepers", "Harbour walks"]


def test_tag_and_author_filters_narrow(corpus: Flask) -> None:
    assert titles(find(corpus, "python", tags=("animals",))) == ["Snakes"]
    assert titles(find(corpus, "lighthouse", author="GRACE")) == ["Harbour walks"]
    assert find(corpus, "python", tags=("no-such-tag",)).total == 0


@pytest.mark.parametrize("few", [5_000, 0], ids=["few matches", "many matches"])
def test_newest_first_orders_by_publication(
    corpus: Flask, few: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Few matches are sorted after the index found them; many are read in date
    # order: both give the same page.
    monkeypatch.setattr(search_service, "FEW_MATCHES", few)
    assert titles(find(corpus, "lighthouse", order="newest")) == [
        "Harbour walks",
        "Lighthouse keepers",
    ]
    assert titles(find(corpus, "lighthouse", order="newest", offset=1)) == ["Lighthouse keepers"]
    assert titles(find(corpus, "lighthouse", order="newest", author="ada")) == [
        "Lighthouse keepers"
    ]


def test_drafts_are_never_found(corpus: Flask) -> None:
    assert "Draft about lighthouses" not in titles(find(corpus, "lighthouses"))


def test_facets_count_the_tags_of_every_match(corpus: Flask) -> None:
    found = find(corpus, "fox OR python", limit=1)
    assert len(found.hits) == 1
    assert found.total == 4
    assert [(tag.name, tag.count) for tag in found.facets] == [
        ("animals", 2),
        ("code", 1),
        ("mornings", 1),
        ("tea", 1),
    ]


def test_snippets_mark_the_matched_words_and_escape_the_rest(corpus: Flask) -> None:
    (hit,) = find(corpus, "teapot").hits
    assert "<mark>teapot</mark>" in hit.snippet
    assert "brown fox met a" in hit.snippet
