# Two set-up commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test lint typecheck pytest demo examples bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check brevetti_schema brevetti_job tests benchmarks schema_examples
	$(BIN)/ruff format --check brevetti_schema brevetti_job tests benchmarks schema_examples

typecheck: $(STAMP)
	$(BIN)/mypy --strict

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

DEMO := demo-output/image-classification

demo: $(STAMP)
	rm -rf $(DEMO)
	$(BIN)/brevetti-schema build schema_examples/image_classification.yaml -o $(DEMO)-settings-schema.json
	$(BIN)/python schema_examples/train_classifier.py --job_dir $(DEMO) --preset quick
	$(BIN)/brevetti-job status $(DEMO)
	@echo
	@echo "Settings form:  $(DEMO)-settings-schema.json"
	@echo "Job folder:     $(DEMO)/  (info.json, status.json, artifacts/, charts/, progress.jsonl)"

examples: $(STAMP)
	$(BIN)/python schema_examples/regenerate.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
