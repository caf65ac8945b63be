"""The app as a whole: factory, landing page, and the console command's errors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inkwell.models import Article


def test_landing_page_lists_the_newest_articles(
    client: Any, make_article: Callable[..., Article], count_queries: Callable
) -> None:
    make_article(title="An older piece")
    make_article(title="The <newest> piece", tags=("news",))
    make_article(title="Secret draft", publish=False)
    with count_queries() as statements:
        response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.index("The &lt;newest&gt; piece") < page.index("An older piece")
    assert "Secret draft" not in page
    assert statements() == 3


def inkwell(tmp_path: Path, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "INKWELL_INSTANCE_PATH": str(tmp_path),
        **environ,
    }
    command = [str(Path(sys.executable).parent / "inkwell"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DATABASE_URL": "definitely not a url"}, "Error: DATABASE_URL: is not a database URL"),
        ({"DATABASE_URL": "oracle://db/x"}, "Error: DATABASE_URL: unsupported driver 'oracle'"),
        (
            {"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"},
            "Error: DATABASE_URL: cannot",
        ),
        ({"INKWELL_ENV": "production"}, "Error: INKWELL_SECRET_KEY: is required in production"),
    ],
)
def test_bad_configuration_is_one_line_and_a_failure(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    for args in (["check"], ["db", "upgrade"]):
        result = inkwell(tmp_path, *args, **environ)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith(message)
