"""The search box's language, read into words only."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inkwell.search_terms import QUERY_MAX, TERMS_MAX, QueryProblem, Term, Terms, parse


def test_words_must_all_match_and_the_last_matches_as_a_prefix() -> None:
    assert parse("Quick brown fox") == Terms(
        ((Term(("quick",)),), (Term(("brown",)),), (Term(("fox",), prefix=True),))
    )


def test_phrases_exclusions_and_or() -> None:
    terms = parse('"brown fox" -lazy dogs OR cats')
    assert terms.groups == (
        (Term(("brown", "fox")),),
        (Term(("dogs",)), Term(("cats",), prefix=True)),
    )
    assert terms.excluded == (Term(("lazy",)),)


def test_words_joined_by_punctuation_are_a_phrase() -> None:
    assert parse("node.js e-mail").groups == ((Term(("node", "js")),), (Term(("e", "mail")),))


def test_a_short_last_word_or_a_quoted_one_is_not_a_prefix() -> None:
    assert parse("go").groups == ((Term(("go",)),),)
    assert parse('"python"').groups == ((Term(("python",)),),)
    assert parse("python ").groups == ((Term(("python",), prefix=True),),)


def test_an_unclosed_quote_runs_to_the_end() -> None:
    assert parse('say "hello there').groups == ((Term(("say",)),), (Term(("hello", "there")),))


def test_or_without_a_term_on_both_sides_is_ignored() -> None:
    assert parse("OR cats OR").groups == ((Term(("cats",)),),)
    assert parse("cats or dogs").groups[1] == (Term(("or",)),)


def test_side_by_side_words_make_a_phrase_to_rank_by() -> None:
    assert parse("quick brown fox").loose_phrase == ("quick", "brown", "fox")
    assert parse("quick").loose_phrase is None
    assert parse("quick OR brown fox").loose_phrase is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "needs a word to look for"),
        ("-cats", "not only words to leave out"),
        ("x" * (QUERY_MAX + 1), "too long"),
        (" ".join(["w"] * (TERMS_MAX + 1)), "too many words"),
    ],
)
def test_what_cannot_be_searched_for_says_why(text: str, problem: str) -> None:
    with pytest.raises(QueryProblem, match=problem):
        parse(text)


@given(st.text())
def test_terms_hold_only_letters_and_digits(text: str) -> None:
    try:
        terms = parse(text)
    except QueryProblem:
        return
    for term in [*terms.wanted, *terms.excluded]:
        for word in term.words:
            assert word and all(char.isalnum() for char in word)
