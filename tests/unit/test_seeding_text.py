"""Seeded text: real English words, drawn as often as English uses them, in sentences."""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkwell.seeding import POOL, text
from inkwell.seeding.text import EXCLUDED, VOCABULARY_SIZE, TextPool, Vocabulary, english

WORD = re.compile(r"[a-z]+")


@pytest.fixture(scope="module")
def pool() -> TextPool:
    """A pool the size seeding uses."""
    return TextPool.generate(random.Random(1), POOL)


def word_counts(pool: TextPool) -> Counter[str]:
    texts = [title for title, _ in pool.titles] + pool.descriptions + pool.bodies + pool.comments
    return Counter(WORD.findall(" ".join(texts).lower()))


def test_the_vocabulary_is_plain_words_most_frequent_first() -> None:
    vocabulary = english()
    assert len(vocabulary.words) == VOCABULARY_SIZE == len(set(vocabulary.words))
    assert all(WORD.fullmatch(word) and len(word) > 1 for word in vocabulary.words)
    assert not EXCLUDED & set(vocabulary.words)
    weights = [b - a for a, b in itertools.pairwise([0, *vocabulary.cum_weights])]
    assert weights == sorted(weights, reverse=True) and weights[-1] > 0


def test_a_pool_uses_thousands_of_distinct_words(pool: TextPool) -> None:
    assert len(word_counts(pool)) > 5000


def test_word_frequencies_fall_with_rank_as_in_natural_language(pool: TextPool) -> None:
    counts = sorted(word_counts(pool).values(), reverse=True)
    # Zipf's law: a word's count falls about as 1/rank, so the commonest word is
    # hundreds of times as frequent as the thousandth, and a long tail of words
    # appears once or a few times (the rare terms a search narrows down to).
    assert counts[0] > 100 * counts[999]
    assert sum(1 for count in counts if count == 1) > 300
    assert sum(1 for count in counts if count <= 3) > 1500


def test_the_same_seed_writes_the_same_text() -> None:
    first, again = (TextPool.generate(random.Random(7), 50) for _ in range(2))
    assert first == again
    assert TextPool.generate(random.Random(8), 50) != first


def test_draws_follow_the_weights_whatever_the_words(monkeypatch: pytest.MonkeyPatch) -> None:
    made_up = Vocabulary(["often", "seldom"], [99, 100])
    drawn = Counter(made_up.draw(random.Random(3), 10_000))
    assert 9800 < drawn["often"] < 10_000 and drawn["seldom"] > 0
    monkeypatch.setattr(text, "english", lambda: made_up)
    sentence = text.sentence(random.Random(3), 20, 20)
    assert sentence.startswith("Often ") and sentence.endswith(".")
    assert set(sentence.lower().rstrip(".").split()) <= {"often", "seldom"}
    assert len(sentence.split()) == 20


@settings(max_examples=30, database=None, deadline=None)
@given(seed=st.integers())
def test_text_reads_as_sentences_titles_and_markdown(seed: int) -> None:
    pool = TextPool.generate(random.Random(seed), 8)
    for title, slug in pool.titles:
        assert 3 <= len(title.split()) <= 8
        assert title[0].isupper() and not title.endswith(".")
        assert slug
    for sentence in pool.descriptions + pool.comments:
        assert sentence[0].isupper() and sentence.endswith(".") and sentence.count(".") == 1
    for body in pool.bodies:
        blocks = body.split("\n\n")
        assert 2 <= sum(1 for block in blocks if block[0].isupper()) <= 5
        for block in blocks:
            assert block.startswith(("## ", "- ")) or block.endswith(".")


def test_bodies_have_headings_and_lists_now_and_then(pool: TextPool) -> None:
    headings = sum("\n## " in body for body in pool.bodies)
    lists = sum("\n- " in body for body in pool.bodies)
    assert 0.2 * POOL < headings < 0.9 * POOL
    assert 0.1 * POOL < lists < 0.6 * POOL
