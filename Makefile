# Two commands matter: `make demo` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= data
DEMO_NAME ?= workbench

.PHONY: demo test venv lab bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## demo: map this repository (cloned like a remote), print the summary, write the report
demo: $(STAMP)
	$(BIN)/workbench --data-dir $(DATA_DIR) map . --name $(DEMO_NAME)
	$(BIN)/workbench --data-dir $(DATA_DIR) report $(DEMO_NAME)

## test: the whole suite
test: $(STAMP)
	$(BIN)/python -m pytest

## lab: JupyterLab on notebooks/ with the project's environment
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

## bench: every benchmark, peers in the same run (see benchmarks/README.md)
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_structure.py --runs 3
	$(BIN)/python benchmarks/bench_history.py --runs 5 --pydriller-runs 1
	$(BIN)/python benchmarks/bench_end_to_end.py --runs 3
	$(BIN)/python benchmarks/bench_snapshot_queries.py

clean:
	rm -rf $(VENV) build *.egg-info
