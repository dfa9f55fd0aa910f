# Reelhouse: `make run` (no Docker), `make test` (lint, then the whole suite), `make test-fast` (lint,
# then the tests that need no service), `make lint`. See README.md.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
REQS := auth-svc/requirements.txt file-svc/requirements.txt upload-webapp/requirements.txt \
        streaming-webapp/requirements.txt requirements-dev.txt common/pyproject.toml pyproject.toml
HLSJS := streaming-webapp/streaming_webapp/static/vendor/hls.min.js
TUSJS := upload-webapp/upload_webapp/static/vendor/tus.min.js
IS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)

.PHONY: run test test-fast setup setup-system setup-test bench soak lint format clean compose-setup

run: setup
	@[ -f .env ] || { cp .env.example .env; echo "Created .env from .env.example (edit it to change the login)."; }
	$(BIN)/python scripts/run.py

# lint before setup-test: a lint failure stops here, before the Docker engine starts.
# The suite runs on TEST_WORKERS pytest-xdist workers (0: one process), a test folder per
# worker (tests/conftest.py: its session stacks start once); the compose test after it, alone
# (it builds images and runs the stack: nothing else beside it). --durations=25: CI's log
# names the slowest steps, where the suite's time budget goes.
TEST_WORKERS ?= 2
test: setup lint setup-test
	@code=0; \
	bash scripts/pytest.sh $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadgroup) \
	  --ignore=tests/compose --durations=25 || code=$$?; \
	bash scripts/pytest.sh tests/compose || code=$$?; \
	bash tests/compose/teardown.sh || true; exit $$code

# The short loop: lint, then the tests marked `fast` (pytest.ini), which need no root, no
# service, no MariaDB, Chromium or Docker: under a minute. `make test` runs them too.
# scripts/pytest.sh fails when nothing is collected (pytest's exit 5).
test-fast: lint
	@bash scripts/pytest.sh -q -m fast

setup: $(VENV)/.stamp $(HLSJS) $(TUSJS) setup-system

$(VENV)/.stamp: $(REQS)
	@command -v $(PY) >/dev/null || { echo "python3 is required"; exit 1; }
	@[ -x $(BIN)/python ] || $(PY) -m venv $(VENV) || { \
	  if [ "$(IS_ROOT)" = yes ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && apt-get install -y -q python3-venv && $(PY) -m venv $(VENV); \
	  else echo "python3 -m venv failed: install python3-venv"; exit 1; fi; }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(foreach r,$(filter %.txt,$(REQS)),-r $(r)) -e common -e .
	@touch $@

$(HLSJS): streaming-webapp/package.json streaming-webapp/package-lock.json
	@command -v npm >/dev/null || { \
	  if [ "$(IS_ROOT)" = yes ] && command -v apt-get >/dev/null; then apt-get update -q && apt-get install -y -q npm; \
	  else echo "npm is required (to install hls.js)"; exit 1; fi; }
	cd streaming-webapp && npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $@) && cp streaming-webapp/node_modules/hls.js/dist/hls.min.js $@

$(TUSJS): upload-webapp/package.json upload-webapp/package-lock.json $(HLSJS)
	cd upload-webapp && npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $@) && cp upload-webapp/node_modules/tus-js-client/dist/tus.min.js $@

# ffmpeg is needed to package videos; as root on Debian it is installed when missing.
setup-system:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
	  if [ "$(IS_ROOT)" = yes ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ffmpeg; \
	  else echo "ffmpeg is required: install it (e.g. sudo apt-get install ffmpeg)"; exit 1; fi; }

# The test suite's real components: MariaDB, Chromium, nginx and wrk (bench), and the
# compose stack (a Docker engine and locally built base images).
setup-test:
	@bash scripts/setup-test.sh

compose-setup:
	@bash tests/compose/setup.sh

bench: setup setup-test
	$(BIN)/python -m bench.run

soak: setup setup-test
	$(BIN)/python -m pytest -q -s -m soak tests/soak

# ruff (imports, variables, style; formatting) and vulture (unused functions, methods,
# attributes: its settings in pyproject.toml, the names it cannot see used in
# vulture_whitelist.py). Only the virtualenv is needed, not the rest of setup.
lint: $(VENV)/.stamp
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/vulture

format: $(VENV)/.stamp
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf data .pytest_cache
