# Quick start:  make demo   (set up + run the workflow on the bundled demo patient)
#               make test   (run the test suite)
VENV    ?= .venv
# the Hail tests' own environment (hail pins rich<13; the dev extra needs rich>=13.9)
VENV_COHORT ?= .venv-cohort
PYTHON  ?= python3
BIN      = $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup setup-cohort demo test test-fast test-cohort lint bench bench-exome bench-cohort clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/install_system_deps.sh
	# system packages first: the dev extra builds psycopg2 (biocommons hgvs) against libpq-dev
	bash scripts/install_system_deps.sh || echo "warning: system packages missing; browser tests will be skipped"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[pipeline,api,dev]'
	# PhEval (optional): only when it changes none of the packages just installed
	$(BIN)/python scripts/install_pheval.py || echo "warning: PhEval not installed; its tests will be skipped"
	# first command fast: bytecode compiled, HPO release loaded (shipped compiled), gene models compiled
	$(BIN)/python -m compileall -q triage
	$(BIN)/triage hpo info > /dev/null
	$(BIN)/python -c "from triage.variants.gene_model import GeneModel; GeneModel.load('GRCh37'); GeneModel.load('GRCh38')"
	touch $@

setup-cohort: $(VENV_COHORT)/.installed

$(VENV_COHORT)/.installed: pyproject.toml scripts/install_system_deps.sh
	$(PYTHON) -m venv $(VENV_COHORT)
	$(VENV_COHORT)/bin/pip install -q --upgrade pip
	$(VENV_COHORT)/bin/pip install -q -e '.[cohort,cohort-dev]'
	bash scripts/install_system_deps.sh || echo "warning: system packages missing; without Java the Hail tests are skipped"
	touch $@

demo: setup
	$(BIN)/snakemake --cores 2 --profile workflow/profiles/local
	@echo "demo outputs in results/ (e.g. results/DEMO1/)"

# pytest's exit 5 (no tests collected) is not a failure here. The main suite skips the Hail
# tests (no hail in .venv); they run afterwards in .venv-cohort (test-cohort).
test: setup setup-cohort
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; \
	$(VENV_COHORT)/bin/python -m pytest tests/cohort; rc2=$$?; if [ $$rc2 -eq 5 ]; then rc2=0; fi; \
	if [ $$rc -ne 0 ]; then exit $$rc; fi; exit $$rc2

test-cohort: setup-cohort
	$(VENV_COHORT)/bin/python -m pytest tests/cohort

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

# cohort scaling: 10 / 100 / 1000 samples from the ten real donors vs the single-sample path
bench-cohort: setup-cohort
	nice $(VENV_COHORT)/bin/python scripts/bench_cohort.py

clean:
	rm -rf results logs benchmarks .snakemake bench
