# Two commands on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# llama-cpp-python compiles llama.cpp from source; use every core, keep pip's cache
# (pip caches the built wheel, so the second install takes seconds).
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)
# A portable llama.cpp (AVX2 baseline) rather than one tuned to the compiling CPU: the bundle
# packs this build and must run on other machines. Set CMAKE_ARGS yourself for a GPU build.
export CMAKE_ARGS ?= -DGGML_NATIVE=off

.PHONY: run test lint typecheck pytest bench bundle bench-bundle clean

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "chatapp needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(PY)
	$(PY) -m pip install -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[test]'
	touch $@ $(VENV)/.run-installed $(VENV)/.bundle-installed

$(VENV)/.bundle-installed: pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[bundle]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(PY) -m chatapp $(ARGS)

lint: $(VENV)/.test-installed
	$(PY) -m ruff check chatapp tests benchmarks packaging
	$(PY) -m ruff format --check chatapp tests benchmarks packaging

typecheck: $(VENV)/.test-installed
	$(PY) -m mypy chatapp/core

pytest: $(VENV)/.test-installed
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(VENV)/.run-installed
	$(PY) benchmarks/bench_engine.py

# The self-contained app for this platform, named for its version: dist/chatapp-<version>-…
# (Linux: a folder and its .tar.gz with install.sh). It packs the llama.cpp build in .venv.
bundle: $(VENV)/.bundle-installed
	$(PY) packaging/build_bundle.py

bench-bundle: bundle
	$(PY) benchmarks/bench_bundle.py

clean:
	rm -rf $(VENV) build dist *.egg-info
