# Two commands set up everything on a fresh machine:
#   make demo   creates .venv, installs tltutor, runs `python -m tltutor compare` on the offline default
#   make test   creates .venv, installs tltutor with its test tools, runs every test and notebook
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m tltutor compare

test: $(STAMP)
	TLTUTOR_QUICK=1 TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=Agg KERAS_HOME=$(CURDIR)/.keras-test \
		$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider

test-fast: $(STAMP)
	TLTUTOR_QUICK=1 TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=Agg $(BIN)/python -m pytest tests

bench: $(STAMP)
	$(BIN)/python -m tltutor.bench

clean:
	rm -rf $(VENV) .keras-test tltutor-results
