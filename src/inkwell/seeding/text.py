"""Generated words for seeded content: a pool drawn once per run.

Composing a fresh Markdown body per article would cost more than writing
it, so articles draw their titles, descriptions and bodies from a pool.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from inkwell.services.slugs import slugify

WORDS = """
ink paper quill draft story chapter river mountain signal garden lantern harbor
engine compass orbit pattern archive letter journey winter summer autumn spring
city forest ocean desert island bridge tower market library kitchen window street
code server query index cache schema migration release test deploy network packet
coffee bread music rhythm colour light shadow memory future history method theory
quiet bright careful honest simple rapid gentle steady hidden open early late
builds writes reads keeps finds makes holds turns shows learns grows carries about
across after before between beyond during through under within without
""".split()
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
    words = rng.choices(WORDS, k=rng.randint(shortest, longest))
    return " ".join(words).capitalize() + "."


def markdown(rng: random.Random) -> str:
    parts = []
    for number in range(rng.randint(2, 5)):
        if number and rng.random() < 0.3:
            parts.append("## " + sentence(rng, 2, 5).rstrip("."))
        parts.append(" ".join(sentence(rng, 6, 16) for _ in range(rng.randint(2, 5))))
        if rng.random() < 0.15:
            parts.append("\n".join(f"- {sentence(rng, 3, 7)}" for _ in range(3)))
    return "\n\n".join(parts)
