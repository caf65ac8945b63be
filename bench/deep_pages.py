"""How the site's keyset pagination holds up deep in a large archive.

Seeds (or reuses) a SQLite database with ARTICLES articles, then times the
home page's query at the first page and at a position near the end of the
archive, both through the keyset (`?before=`) the site uses and, as a
baseline measured in the same run, through LIMIT/OFFSET at the same depth.
Reports medians and the deep/first ratios.

    .venv/bin/python bench/deep_pages.py [--articles 100000] [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from inkwell import create_app
from inkwell.extensions import db
from inkwell.models import Article
from inkwell.services.listing import ArticleFilters, Cursor, browse_articles, list_articles

BIN = Path(sys.executable).parent


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm the cache and the statement cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--folder", type=Path, default=None, help="reuse a database folder")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="inkwell-bench-"))
    env = {"INKWELL_INSTANCE_PATH": str(folder), "INKWELL_ENV": "development", "PATH": ""}
    database = folder / "inkwell.sqlite3"
    if not database.exists():
        subprocess.run([BIN / "inkwell", "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run(
            [
                BIN / "inkwell",
                "seed",
                "--users",
                "1000",
                "--articles",
                str(args.articles),
                "--seed",
                "1",
            ],
            env=env,
            check=True,
        )
    app = create_app(env)
    with app.app_context():
        published = (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Article)
                .where(Article.published_at.is_not(None))
            )
            or 0
        )
        depth = published - 40
        deep_article = db.session.execute(
            sa.select(Article.published_at, Article.id)
            .where(Article.published_at.is_not(None))
            .order_by(Article.published_at.desc(), Article.id.desc())
            .offset(depth - 1)
            .limit(1)
        ).one()
        cursor = Cursor(deep_article.published_at, deep_article.id)
        everything = ArticleFilters()
        results = {
            "keyset, first page": median_ms(lambda: browse_articles(None, everything), args.runs),
            f"keyset, at position {depth:,}": median_ms(
                lambda: browse_articles(None, everything, before=cursor), args.runs
            ),
            "offset, first page": median_ms(lambda: list_articles(None, everything), args.runs),
            f"offset, at position {depth:,}": median_ms(
                lambda: list_articles(None, everything, offset=depth), args.runs
            ),
        }
    rows = list(results.items())
    print(f"{published:,} published articles, SQLite, median of {args.runs} runs\n")
    print("| query | median ms |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:.2f} |")
    keyset = rows[1][1] / rows[0][1]
    offset = rows[3][1] / rows[2][1]
    print(f"\nkeyset deep/first: {keyset:.2f}x; offset deep/first: {offset:.2f}x")


if __name__ == "__main__":
    main()
