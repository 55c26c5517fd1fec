# Two commands do all the set-up on a fresh machine:
#   make demo   - merge a synthetic bracket from a bundled real HDR image with AHDRNet
#   make test   - lint and run the test suite (make test-fast: without the slow tests)
# Both create .venv, install the pinned CPU torch first (an unpinned torch pulls
# a multi-GB CUDA build), then the project with its test extra.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_PIN := torch==2.13.0

.PHONY: demo test test-fast lint install clean

# setuptools warns on every editable install that a folder named like the
# package may shadow it: true of any checkout, and nothing a user can act on.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PIN)
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ahdr demo --out out/demo

lint: $(STAMP)
	$(BIN)/ruff check .

# The suite loads its own test plugins in-process (tests/conftest.py) and checks
# the import contracts (tests/test_architecture.py): plain `pytest` in a fresh
# `pip install -e .[test]` runs it all.
test: lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not slow"

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .hypothesis
