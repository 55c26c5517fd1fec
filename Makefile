# Two commands do all the set-up on a fresh machine:
#   make demo   - merge a synthetic bracket from a bundled real HDR image with AHDRNet
#   make test   - lint and run the test suite
# Both create .venv, install the pinned CPU torch first (an unpinned torch pulls
# a multi-GB CUDA build), then the project with its test extra.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_PLUGINS := $(VENV)/.test-plugins
TORCH_PIN := torch==2.13.0

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PIN)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The test suite's own third-party plugins (one works, one fails on purpose):
# installed for the tests only, so a user's `ahdr plugins` does not list them.
$(TEST_PLUGINS): $(STAMP) tests/plugins/example/pyproject.toml tests/plugins/broken/pyproject.toml
	$(BIN)/python -m pip install --quiet --no-deps -e tests/plugins/example -e tests/plugins/broken
	touch $(TEST_PLUGINS)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ahdr demo --out out/demo

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(TEST_PLUGINS) lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .hypothesis
