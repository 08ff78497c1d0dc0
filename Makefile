# Two commands matter: `make demo` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= data
DEMO_NAME ?= workbench
LAB_PORT ?= 8888

.PHONY: demo test venv lab bench clean browser redis

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q workbench  # what a wheel install does; PYTHONDONTWRITEBYTECODE would stop it
	touch $(STAMP)

venv: $(STAMP)

## demo: map this repository (cloned like a remote), print the summary, write the report,
## then search it and ask it a question (offline: the extractive default, no model)
demo: $(STAMP)
	$(BIN)/workbench --data-dir $(DATA_DIR) map . --name $(DEMO_NAME)
	$(BIN)/workbench --data-dir $(DATA_DIR) report $(DEMO_NAME)
	$(BIN)/workbench --data-dir $(DATA_DIR) search "where are database lock conflicts retried" -p $(DEMO_NAME) --k 5
	$(BIN)/workbench --data-dir $(DATA_DIR) ask "Which event does a finished map publish, and who subscribes to it?" -p $(DEMO_NAME)

## test: the whole suite on two processes, one test file per process at a time (module
## fixtures such as a Dask cluster stay single); the browser test needs Chromium, the event
## tests redis-server: both installed from Debian when root (the tests start their own server)
test: $(STAMP) browser redis
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15

## browser: Debian's Chromium for tests/browser (Playwright drives it; no browser is downloaded)
browser:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	  else echo "chromium is missing and this is not root: tests/browser will be skipped"; fi

## redis: Debian's redis-server for tests/events (each test session runs its own on 127.0.0.1)
redis:
	@command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y redis-server; \
	  else echo "redis-server is missing and this is not root: the Redis event tests will be skipped"; fi

## lab: JupyterLab on notebooks/ at 127.0.0.1:$(LAB_PORT) with a token (printed; JUPYTER_TOKEN
## sets it), as a normal user or as root; kernels open the repository's data/
lab: $(STAMP)
	$(BIN)/jupyter lab --no-browser --ServerApp.root_dir=notebooks --ServerApp.ip=127.0.0.1 \
	  --ServerApp.port=$(LAB_PORT) --ServerApp.port_retries=0 \
	  $$(if [ "$$(id -u)" = 0 ]; then echo --allow-root; fi)

## bench: every benchmark, peers in the same run (see benchmarks/README.md)
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_structure.py --runs 3
	$(BIN)/python benchmarks/bench_import_contexts.py --runs 5
	$(BIN)/python benchmarks/bench_history.py --runs 5 --pydriller-runs 1
	$(BIN)/python benchmarks/bench_end_to_end.py --runs 3
	$(BIN)/python benchmarks/bench_snapshot_queries.py
	$(BIN)/python benchmarks/bench_events.py

clean:
	rm -rf $(VENV) build *.egg-info
