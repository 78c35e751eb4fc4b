# Two set-up commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv assets test lint typecheck pytest demo examples bench clean

$(STAMP): pyproject.toml setup.py
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

# Browser libraries for the form preview and the dev server's pages: installed from the
# npm registry by package-lock.json, their dist files copied into the package as data.
# The form preview's libraries go to brevetti_schema/_web, the dev platform's charts to
# brevetti_job/devserver/_web, each as its vendor.json lists.
WEB := brevetti_schema/_web brevetti_job/devserver/_web
ASSETS := brevetti_schema/_web/vendor/.built

$(ASSETS): package.json package-lock.json vendor.mjs $(addsuffix /vendor.json,$(WEB))
	@command -v npm >/dev/null || { echo "make assets needs Node.js and npm (apt-get install -y nodejs npm)"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	node vendor.mjs $(WEB)
	touch $(addsuffix /vendor/.built,$(WEB))

assets: $(ASSETS)

venv: $(STAMP) $(ASSETS)

lint: $(STAMP)
	$(BIN)/ruff check setup.py brevetti_schema brevetti_job tests benchmarks schema_examples
	$(BIN)/ruff format --check setup.py brevetti_schema brevetti_job tests benchmarks schema_examples

typecheck: $(STAMP)
	$(BIN)/mypy --strict

pytest: $(STAMP) $(ASSETS)
	$(BIN)/pytest -q

test: lint typecheck pytest

DEMO := demo-output/image-classification
REPORT := demo-output/test-report

# The example training job, then the example test report on the model it trained (both
# in local mode): the report reads the model's package, every checksum verified.
demo: $(STAMP)
	rm -rf $(DEMO) $(REPORT)
	$(BIN)/brevetti-schema build schema_examples/image_classification.yaml -o $(DEMO)-settings-schema.json --force
	$(BIN)/python schema_examples/train_classifier.py --job_dir $(DEMO) --preset quick
	$(BIN)/brevetti-job status $(DEMO)
	$(BIN)/python schema_examples/test_report_classifier.py --model-dir $(DEMO) --job_dir $(REPORT)
	$(BIN)/brevetti-job status $(REPORT)
	@echo
	@echo "Settings form:  $(DEMO)-settings-schema.json"
	@echo "Job folder:     $(DEMO)/  (info.json, status.json, artifacts/, charts/, progress.jsonl)"
	@echo "Test report:    $(REPORT)/  (artifacts/report.html, per_class_metrics.json, charts/confusion_matrix.json)"

examples: $(STAMP)
	$(BIN)/python schema_examples/regenerate.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --write

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build dist *.egg-info node_modules $(WEB)/vendor
