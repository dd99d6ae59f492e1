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

# Test processes: one per core here; each test file stays in one process (--dist loadfile).
PYTEST_WORKERS ?= 2

.PHONY: run test lint typecheck pytest bench bundle bench-bundle clean system-packages \
	translations qm

$(PY): | system-packages
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "chatapp needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip

# System packages, checked before anything else (before the venv is made): the libraries Qt
# loads, and for `make test` the programs the suite runs; on a fresh machine also venv and a C++
# compiler. As root with apt-get, what is missing is installed; otherwise this stops with the
# one `sudo apt-get install …` line. The list is chatapp/system_packages.py's, which the window
# uses too. It runs with the system's Python: the venv may not exist yet.
SYSTEM_GOAL := $(if $(filter test pytest,$(MAKECMDGOALS)),test,run)
SYSTEM_CHECK_ARGS ?=
system-packages:
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) is missing:" \
	    "sudo apt-get install python3 python3-venv" >&2; exit 1; }
	@$(PYTHON) chatapp/system_packages.py $(SYSTEM_GOAL) $(if $(wildcard $(PY)),,--fresh) $(SYSTEM_CHECK_ARGS)

$(VENV)/.run-installed: pyproject.toml | system-packages $(PY)
	$(PY) -m pip install -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | system-packages $(PY)
	$(PY) -m pip install -e '.[test]'
	touch $@ $(VENV)/.run-installed $(VENV)/.bundle-installed

$(VENV)/.bundle-installed: pyproject.toml | system-packages $(PY)
	$(PY) -m pip install -e '.[bundle]'
	touch $@ $(VENV)/.run-installed

# The window's languages: resources/translations/*.ts (in git, complete) built into the .qm files
# the app loads, by PySide6's pyside6-lrelease; `make translations` runs pyside6-lupdate after
# a change to the UI's strings (packaging/translations.py), then translate what it lists.
TS := $(wildcard resources/translations/*.ts)
QM := $(patsubst resources/translations/%.ts,chatapp/data/translations/%.qm,$(TS))
chatapp/data/translations/%.qm: resources/translations/%.ts | $(VENV)/.run-installed
	@mkdir -p $(@D)
	$(VENV)/bin/pyside6-lrelease -silent $< -qm $@

qm: $(QM)

translations: $(VENV)/.run-installed
	$(PY) packaging/translations.py update

run: $(VENV)/.run-installed $(QM)
	$(PY) -m chatapp $(ARGS)

lint: $(VENV)/.test-installed
	$(PY) -m ruff check chatapp tests benchmarks packaging
	$(PY) -m ruff format --check chatapp tests benchmarks packaging

typecheck: $(VENV)/.test-installed
	$(PY) -m mypy chatapp

pytest: $(VENV)/.test-installed $(QM)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(VENV)/.run-installed
	$(PY) benchmarks/bench_engine.py

# The self-contained app for this platform, named for its version: dist/chatapp-<version>-…
# (Linux: a folder and its .tar.gz with install.sh). It packs the llama.cpp build in .venv.
bundle: $(VENV)/.bundle-installed $(QM)
	$(PY) packaging/build_bundle.py

bench-bundle: bundle
	$(PY) benchmarks/bench_bundle.py

clean:
	rm -rf $(VENV) build dist *.egg-info chatapp/data/translations
