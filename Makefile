# Inkwell's two everyday commands: `make run` and `make test`.
# Everything is installed from uv.lock into .venv; uv itself is bootstrapped
# with pip into .tools, so a machine needs only Python 3.11.

PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

export UV_PYTHON_DOWNLOADS := never
# The machine's local servers; tests create and use their own `inkwell_test`
# databases there. Unreachable servers are skipped with a one-line note
# (a failure on CI).
export INKWELL_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
export INKWELL_TEST_MYSQL_URL ?= mysql://root@127.0.0.1:3306/test

.PHONY: run test fuzz bench bench-full bench-servers lint format settings-doc lock clean

run: $(VENV)/.synced
	$(BIN)/inkwell db upgrade
	$(BIN)/inkwell seed --users 6 --articles 50 --seed 7 --guides --if-empty
	@echo "Inkwell is starting at http://$(HOST):$(PORT)"
	$(BIN)/inkwell run --host $(HOST) --port $(PORT)

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

# Property-based fuzzing of the OpenAPI document with many more examples: through the test
# client, then against Gunicorn with every Schemathesis check in all four phases, stateful
# included (thousands of requests; `make fuzz FUZZ_EXAMPLES=2000` for more).
FUZZ_EXAMPLES ?= 500
fuzz: $(VENV)/.synced
	INKWELL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/api/test_openapi.py tests/api/test_fuzz_live.py -k fuzz $(PYTEST_ARGS)

# Benchmarks (never part of `make test`): short form, then the long one.
bench: $(VENV)/.synced
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null || { echo "make bench needs wrk: apt-get install -y wrk"; exit 1; }
	$(BIN)/python bench/run.py

bench-full: $(VENV)/.synced
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null || { echo "make bench-full needs wrk: apt-get install -y wrk"; exit 1; }
	@[ -x /usr/sbin/nginx ] || apt-get install -y -qq nginx >/dev/null || { echo "make bench-full needs nginx: apt-get install -y nginx"; exit 1; }
	$(BIN)/python bench/run.py --full

# Gunicorn server models compared, each against a ceiling served the same way.
bench-servers: $(VENV)/.synced
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null || { echo "make bench-servers needs wrk: apt-get install -y wrk"; exit 1; }
	$(BIN)/python bench/servers.py

lint: $(VENV)/.synced
	$(BIN)/ruff check src tests bench deploy
	$(BIN)/ruff format --check src tests bench deploy
	$(BIN)/mypy

format: $(VENV)/.synced
	$(BIN)/ruff check --fix src tests bench deploy
	$(BIN)/ruff format src tests bench deploy

# README.md's configuration table, written from the settings declared in src/inkwell/config.py.
settings-doc: $(VENV)/.synced
	$(BIN)/python -c 'import pathlib, inkwell.config as c; p = pathlib.Path("README.md"); p.write_text(c.with_settings_markdown(p.read_text()))'

lock: $(UV)
	$(UV) lock

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

clean:
	rm -rf .tools $(VENV) .pytest_cache .mypy_cache .ruff_cache
