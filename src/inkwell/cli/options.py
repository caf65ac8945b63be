"""Options several commands share, declared once so they read and check alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def batch_size(default: int, meaning: str) -> Callable[[Any], Any]:
    """`--batch-size N` (1 to 10,000): how many rows a command handles and commits together."""
    return click.option(
        "--batch-size",
        type=click.IntRange(1, 10_000),
        default=default,
        show_default=True,
        help=meaning,
    )
