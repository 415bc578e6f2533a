# Quick start:  make demo   (set up + run the workflow on the bundled demo patient)
#               make test   (run the test suite)
VENV    ?= .venv
PYTHON  ?= python3
BIN      = $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup demo test test-fast lint bench bench-exome clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/install_system_deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[pipeline,api,dev]'
	bash scripts/install_system_deps.sh || echo "warning: system packages missing; browser tests will be skipped"
	# first command fast: bytecode compiled, HPO release loaded (shipped compiled), gene models compiled
	$(BIN)/python -m compileall -q triage
	$(BIN)/triage hpo info > /dev/null
	$(BIN)/python -c "from triage.variants.gene_model import GeneModel; GeneModel.load('GRCh37'); GeneModel.load('GRCh38')"
	touch $@

demo: setup
	$(BIN)/snakemake --cores 2 --profile workflow/profiles/local
	@echo "demo outputs in results/ (e.g. results/DEMO1/)"

# pytest's exit 5 (no tests collected) is not a failure here
test: setup
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then exit 0; fi; exit $$rc

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

# ruff (rules in pyproject.toml), mypy (strict on the kernel and the scoring code, see
# [tool.mypy]), and Snakemake's own linter on the workflow
lint: setup
	$(BIN)/ruff check triage tests scripts
	$(BIN)/mypy
	$(BIN)/snakemake --lint

bench: setup
	$(BIN)/triage benchmark --phenopackets ../shared/benchmark/phenopackets --out bench/phenotype --compare pyhpo

# one exome, cold, as a user runs it (needs ../shared; see docs/performance.md)
bench-exome: setup
	nice $(BIN)/python scripts/bench_cold_exome.py --repeat 3

clean:
	rm -rf results logs benchmarks .snakemake bench
