"""Jobs for the tests only. The worker under test imports them by name (the
checkout is on its path), as it imports Inkwell's own."""

from __future__ import annotations

import time
from pathlib import Path

from inkwell.scaling import jobs


@jobs.job(backoff=(2, 3))
def flaky(runs: str, failures: int) -> None:
    """Fail the first `failures` runs; each run's start time is a line of the file `runs`."""
    log = Path(runs)
    earlier = len(log.read_text().splitlines()) if log.exists() else 0
    with log.open("a") as lines:
        lines.write(f"{time.time()}\n")
    if earlier < failures:
        raise RuntimeError(f"run {earlier + 1} fails on purpose")


@jobs.job(backoff=(1,))
def broken(reason: str) -> None:
    """Fail every run, saying `reason`."""
    raise RuntimeError(reason)


def run_times(runs: Path) -> list[float]:
    """When each run of `flaky` writing to `runs` started."""
    return [float(line) for line in runs.read_text().splitlines()]
