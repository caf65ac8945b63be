"""Slugs stay readable whatever the title."""

import pytest

from inkwell.services.slugs import slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("How to train your dragon", "how-to-train-your-dragon"),
        ("  Café déjà vu!  ", "cafe-deja-vu"),
        ("C++ & Rust: a_story", "c-rust-a-story"),
        ("日本語のタイトル", "日本語のタイトル"),
        ("!!!", "article"),
        ("", "article"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_long_titles_are_cut_without_a_trailing_dash() -> None:
    slug = slugify("word " * 100)
    assert len(slug) <= 80
    assert not slug.endswith("-")
