# Two set-up commands: `make demo` and `make test`. Both create .venv when missing.
# `make notebooks` also installs JupyterLab (the `notebooks` extra) and opens notebooks/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOK_STAMP := $(VENV)/.notebooks
REPS ?= 200

.PHONY: demo test test-slow lint bench app notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dcsim compare scenarios/example/baseline.yaml \
		scenarios/example/three_band6_posts.yaml \
		scenarios/example/council_band6.yaml \
		scenarios/example/open_referrals.yaml \
		--actuals scenarios/example/actuals.csv \
		--reps $(REPS) --seed 2024 --out results/demo
	@echo "Report: results/demo/report.html"

$(NOTEBOOK_STAMP): $(STAMP)
	$(BIN)/python -m pip install -e '.[dev,notebooks]'
	touch $(NOTEBOOK_STAMP)

notebooks: $(NOTEBOOK_STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# Long statistical and end-to-end tests (CI runs them after `make test`).
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check sim calibration tests benchmarks

# The browser explorer on http://127.0.0.1:8501 (PORT=..., BASELINE=path/to/service.yaml).
PORT ?= 8501
app: $(STAMP)
	$(BIN)/dcsim app $(BASELINE) --port $(PORT)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf results .pytest_cache
