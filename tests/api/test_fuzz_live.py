"""The served OpenAPI document against Inkwell under Gunicorn, over a real socket: every
check of the installed Schemathesis, in all four of its phases (examples, coverage,
fuzzing and the stateful one, which chains calls along the links between operations),
signed in as a user.

The run is `schemathesis run` in a subprocess, whose exit status says whether any check
failed: one engine for every operation and phase, and one de-duplicated report with a curl
command for each failure. (The in-process way for a server started by a fixture,
`schemathesis.pytest.from_fixture(...)`, fails under this pytest: Schemathesis 4.32 reads
and rewrites `Function._nodeid`, which pytest 9.2 no longer has; and hypothesis's own
state machine, run in-process against a live server, reports the server's changing state
as flaky data generation.) `INKWELL_FUZZ_EXAMPLES` scales the run (`make fuzz`); the
default keeps it short.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import BIN, call, gunicorn

FUZZ_EXAMPLES = int(os.environ.get("INKWELL_FUZZ_EXAMPLES", "3"))
# Fuzzed cases per operation (the examples and coverage phases add their own cases), and
# stateful scenarios of up to STATEFUL_STEPS linked calls each.
STATEFUL_STEPS = 6
PHASES = "examples,coverage,fuzzing,stateful"


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """Replaces the package's fixture, which resets the in-process app's counters: this
    server runs in its own process, with rate limiting off."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-live")


@pytest.fixture(scope="module")
def live_api(folder: Path) -> Iterator[str]:
    """Inkwell under Gunicorn (two workers, production settings) on a fresh SQLite file with
    some seeded content, unthrottled so that every request the fuzzer sends is answered."""
    with gunicorn(
        f"sqlite:///{folder / 'fuzz.sqlite3'}",
        folder,
        workers=2,
        seed=("--users", "3", "--articles", "12", "--seed", "7", "--force"),
        INKWELL_RATELIMIT_ENABLED="false",
    ) as base:
        yield base


@pytest.fixture(scope="module")
def fuzzer_token(live_api: str) -> str:
    """A registered user's token: every request the fuzzer sends is signed in as them. They
    have written an article with a comment, so changing and deleting can succeed too."""
    status, body = call(
        live_api,
        "POST",
        "/users",
        {"user": {"username": "fuzzer", "email": "fuzzer@example.com", "password": "fuzzer-pass"}},
    )
    assert status == 201, body
    token = str(body["user"]["token"])
    assert call(live_api, "GET", "/user", token=token)[0] == 200
    article = {"title": "Fuzzed", "description": "d", "body": "b", "tagList": ["fuzz"]}
    status, body = call(live_api, "POST", "/articles", {"article": article}, token)
    assert status == 201, body
    comment = {"comment": {"body": "A comment"}}
    status, body = call(
        live_api, "POST", f"/articles/{body['article']['slug']}/comments", comment, token
    )
    assert status == 201, body
    return token


@pytest.fixture(scope="module")
def settings_token(live_api: str) -> str:
    """Another user's token, for the fuzzer's changes to the signed-in account: a new
    password ends every token issued before it, which would sign the fuzzer out of
    every other operation."""
    body = {
        "user": {"username": "changer", "email": "changer@example.com", "password": "fuzzer-pass"}
    }
    status, answer = call(live_api, "POST", "/users", body)
    assert status == 201, answer
    return str(answer["user"]["token"])


@pytest.fixture(scope="module")
def fuzz_config(folder: Path, live_api: str, fuzzer_token: str, settings_token: str) -> Path:
    """The run's `schemathesis.toml`: every check, generated valid and invalid data, and no
    state kept between runs. A run whose requests are throttled or sent to the wrong place
    fails instead of passing with nothing tested."""
    path = folder / "schemathesis.toml"
    path.write_text(
        f"""
# The document's paths carry the /api prefix, and it names no server.
base-url = {json.dumps(live_api.removesuffix("/api"))}
headers = {{ Authorization = {json.dumps(f"Token {fuzzer_token}")} }}
continue-on-failure = true
request-timeout = 10.0

[cache]
enabled = false

[output.sanitization]
# A throwaway server's token: the reproducing curl commands are shown as sent.
enabled = false

[warnings]
# Refused, misrouted or unauthenticated requests would test nothing.
fail-on = ["rate_limited", "base_url_mismatch", "missing_auth"]

[checks]
enabled = true

[checks.negative_data_rejection]
# Schemathesis's list, with the answers the document gives for a body over the
# size limit (413) and a request line over the server's (414).
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 414, 415, 422, 428, 429, "5xx"]

# A new password may be too easy to guess (zxcvbn's estimate), and a new username
# may mix scripts or look like a taken one, which no schema can state: only there
# is 422 an answer to valid data.
[[operations]]
include-name-regex = "^(POST /api/users|PUT /api/user)$"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"
]

# A search may hold no word to look for (only punctuation, or only words to
# leave out), which no schema can state either: 422 names `q`.
[[operations]]
include-name = "GET /api/search"
checks.positive_data_acceptance.expected-statuses = ["2xx", "422"]

# Signing in with made-up credentials is refused (401) whatever the generator
# tries: it cannot know a password. There, a run of 401s is the right answer,
# not a sign of missing authentication.
[[operations]]
include-name = "POST /api/users/login"
warnings = {{ fail-on = ["rate_limited", "base_url_mismatch"] }}

# Following oneself is refused (403): the stateful phase follows the profile it
# links from the fuzzer's own account, so a run may get nothing but that 403,
# which is the right answer, not a sign of missing authentication.
[[operations]]
include-name = "POST /api/profiles/{{username}}/follow"
warnings = {{ fail-on = ["rate_limited", "base_url_mismatch"] }}

# Changing the account's password ends the tokens issued before: another account.
[[operations]]
include-name = "PUT /api/user"
headers = {{ Authorization = {json.dumps(f"Token {settings_token}")} }}

[generation]
mode = "all"
max-examples = {FUZZ_EXAMPLES}
database = "none"

[phases.stateful]
max-steps = {STATEFUL_STEPS}
"""
    )
    return path


def test_every_operation_conforms_under_every_check(
    live_api: str, fuzz_config: Path, folder: Path
) -> None:
    """Every phase, with every check on every answer: no 5xx, documented statuses, content
    types, headers and bodies, schema-valid input accepted and invalid input rejected,
    tokens enforced where the document requires one, 405 with the documented `Allow` for
    other methods; and, along chains of linked calls, created resources available until
    deleted and gone after."""
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(fuzz_config),
        "--no-color",
        "run",
        f"{live_api}/openapi.json",
        "--phases",
        PHASES,
        "--checks",
        "all",
    ]
    # In the run's folder: nothing Schemathesis writes lands in the repository.
    result = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=600 + 10 * FUZZ_EXAMPLES
    )
    assert result.returncode == 0, (
        f"{result.stdout}\n{result.stderr}\nServer log: {folder / 'gunicorn.stderr'}"
    )
    assert "✅ Stateful" in result.stdout, result.stdout
