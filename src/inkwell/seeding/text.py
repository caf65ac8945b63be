"""Generated words for seeded content: a pool drawn once per run.

Composing a fresh Markdown body per article would cost more than writing
it, so articles draw their titles, descriptions and bodies from a pool.

Words are drawn as often as English uses them, so that searching seeded
content finds a common word in most articles and a rare one in a few: the
10,000 most frequent plain words of symspellpy's English dictionary, weighted
by their counts in Google's n-gram data. symspellpy ships that list in a
2.6 MB wheel with no dependencies; wordfreq's data is a 57 MB wheel with five
dependencies, and frozen since 2024.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import accumulate

from inkwell.services.slugs import slugify

DICTIONARY = ("symspellpy", "frequency_dictionary_en_82_765.txt")
VOCABULARY_SIZE = 10_000
# The counts come from the web, spam included: the words that a demo blog's
# generated prose should never show a reader, of those that rank in the top 10,000.
EXCLUDED = frozenset(
    """
    anal ass bestiality bitch blowjob blowjobs bondage boob boobs busty cock cocks cum cunt
    dick dicks dildo dildos erotic erotica fetish fuck fucked fucking horny incest lolita
    masturbating masturbation milf milfs nude nudity orgasm orgy panties penis piss pissing
    porn porno pussy rape sex sexy shit slut sluts spank spanking sperm swingers thong thongs
    threesome tits vagina voyeur whore xxx zoophilia
    """.split()
)
TAGS = """
python flask sqlalchemy postgresql mariadb sqlite databases performance testing
security design writing travel cooking music books science history photography
gardening productivity open-source devops linux web css accessibility career
teaching opinion tutorial news
""".split()
NAMES = """
ada grace alan barbara edsger frances guido linus margaret donald ken dennis radia
hedy katherine tim vint john sophie annie leslie niklaus
""".split()


@dataclass(frozen=True)
class Vocabulary:
    """Words, most frequent first, with their running total of counts (for
    `random.Random.choices`, which then draws each word in a binary search)."""

    words: list[str]
    cum_weights: list[int]

    def draw(self, rng: random.Random, count: int) -> list[str]:
        """`count` words, each as likely as its share of the counts."""
        return rng.choices(self.words, cum_weights=self.cum_weights, k=count)


@cache
def english() -> Vocabulary:
    """The `VOCABULARY_SIZE` most frequent plain words (ASCII letters, two or more),
    read from the package once per process."""
    package, name = DICTIONARY
    counts: list[tuple[int, str]] = []
    for line in resources.files(package).joinpath(name).read_text("utf-8").splitlines():
        word, count = line.split()
        if len(word) > 1 and word.isascii() and word.isalpha() and word not in EXCLUDED:
            counts.append((int(count), word))
    # The file is nearly, not exactly, in order of frequency.
    top = sorted(counts, reverse=True)[:VOCABULARY_SIZE]
    return Vocabulary([word for _, word in top], list(accumulate(count for count, _ in top)))


@dataclass(frozen=True)
class TextPool:
    """Titles (with their slugs), descriptions, bodies and comments to draw from."""

    titles: list[tuple[str, str]]
    descriptions: list[str]
    bodies: list[str]
    comments: list[str]

    @classmethod
    def generate(cls, rng: random.Random, size: int) -> TextPool:
        """`size` of each, from `rng`."""
        titles = [sentence(rng, 3, 8).rstrip(".") for _ in range(size)]
        return cls(
            titles=[(title, slugify(title)) for title in titles],
            descriptions=[sentence(rng, 8, 18) for _ in range(size)],
            bodies=[markdown(rng) for _ in range(size)],
            comments=[sentence(rng, 6, 30) for _ in range(size)],
        )


def sentence(rng: random.Random, shortest: int, longest: int) -> str:
    """Between `shortest` and `longest` words, capitalised, with a full stop."""
    words = english().draw(rng, rng.randint(shortest, longest))
    return " ".join(words).capitalize() + "."


def markdown(rng: random.Random) -> str:
    """A body of a few paragraphs, now and then a `##` heading or a list."""
    parts = []
    for number in range(rng.randint(2, 5)):
        if number and rng.random() < 0.3:
            parts.append("## " + sentence(rng, 2, 5).rstrip("."))
        parts.append(" ".join(sentence(rng, 6, 16) for _ in range(rng.randint(2, 5))))
        if rng.random() < 0.15:
            parts.append("\n".join(f"- {sentence(rng, 3, 7)}" for _ in range(3)))
    return "\n\n".join(parts)
