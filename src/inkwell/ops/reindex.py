"""Rebuilding the full-text search index in committed batches: the steps of
`inkwell search reindex`, and the same steps as a background job.

Each step is a unit of work of its own, so the site keeps searching and
writing meanwhile. The whole is safe to run again from the start after it
stopped anywhere (a job's retry): the engine's structures are rebuilt only
when they differ from the settings, and each batch replaces its articles'
rows with what their content gives now.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from flask import current_app

from inkwell.config import Settings
from inkwell.scaling import jobs
from inkwell.services import search_index
from inkwell.transactions import unit_of_work

logger = logging.getLogger("inkwell.reindex")


def language() -> str:
    """The search language the settings ask for."""
    settings: Settings = current_app.extensions["inkwell.settings"]
    return settings.search_language


def prepare() -> list[str]:
    """Bring the engine's structures in line with the settings (PostgreSQL's document
    column, for a new language); what was done."""
    with unit_of_work():
        return search_index.prepare_reindex(language())


def size() -> int:
    """How many articles a reindex reads."""
    with unit_of_work(writes=False):
        return search_index.reindex_size()


def batches(batch_size: int) -> Iterator[int]:
    """Rewrite every article's row, `batch_size` articles per unit of work; yields each
    batch's count once it is committed."""
    after: int | None = 0
    while after is not None:
        with unit_of_work():
            after, count = search_index.reindex_batch(after, batch_size)
        yield count


def finish() -> list[str]:
    """Let the engine tidy its index after the rewrite; what was done."""
    with unit_of_work():
        return search_index.finish_reindex()


@jobs.job(backoff=(60, 300, 900), timeout=4 * 3600)
def reindex_job(batch_size: int = 500) -> int:
    """The whole reindex as a background job, logging what it did; how many articles
    it read. Its long timeout is for large sites (a million articles)."""
    started = time.perf_counter()
    for done in prepare():
        logger.info("reindex ran: %s", done)
    seen = sum(batches(batch_size))
    for done in finish():
        logger.info("reindex ran: %s", done)
    logger.info("reindexed %d articles in %.1f s", seen, time.perf_counter() - started)
    return seen
