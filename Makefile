# Two commands do all the set-up: `make run` and `make test` (`make bench` for the benchmarks).
# Every target bootstraps what is missing and skips what is already in place.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
ANVIL := $(VENV)/bin/anvil
STAMP_PY := $(VENV)/.synced
STAMP_NODE := node_modules/.installed
STAMP_BUILD := .build/.compiled
CONTRACT_SOURCES := $(shell find contracts -name '*.vy' -o -name '*.vyi')
# The build writes index.html last, so it stands for the whole of dashboard/dist.
DASHBOARD := dashboard/dist/index.html
DASHBOARD_SOURCES := $(shell find dashboard/src -type f) dashboard/tsconfig.json
# The dashboard's types of the API's responses, generated from the API's OpenAPI document.
API_DOCUMENT := dashboard/openapi.json
API_TYPES := dashboard/src/openapi.ts
API_SOURCES := $(shell find api database -name '*.py')
# The contracts' ABIs and the EIP-712 types, generated from the build and points/signing.py.
GENERATED_MODULES := dashboard/src/generated/abi.ts dashboard/src/generated/typed-data.ts

# uv must use the machine's Python: it may not download one.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Bytecode compiled once at install: where PYTHONDONTWRITEBYTECODE is set (as on our CI machines)
# every process would otherwise compile its imports from source, about 4 s for each `ape run`.
export UV_COMPILE_BYTECODE := 1
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: all install build dashboard run lint test bench clean

all: test

install: $(STAMP_PY) $(ANVIL)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP_PY): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

$(STAMP_NODE): package.json package-lock.json
	@# The lock lists every platform's Anvil package, so `npm ci` installs exactly it and never
	@# rewrites it.
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# The npm package wraps Anvil in a node launcher; link the platform binary itself so that
# signals reach Anvil directly and ape-foundry finds it on PATH.
$(ANVIL): | $(STAMP_NODE) $(STAMP_PY)
	ln -sf "$$(node -p "require.resolve('@foundry-rs/anvil-' + process.platform + '-' + ({x64: 'amd64', arm64: 'arm64'})[process.arch] + '/bin/anvil')")" $@
	$@ --version | head -n 1

# ape's compile cache looks at the contracts' own files, not at the modules they import, so a
# change to any source recompiles everything.
$(STAMP_BUILD): $(CONTRACT_SOURCES) | $(STAMP_PY)
	$(VENV)/bin/ape compile --force
	touch $@

build: install $(STAMP_BUILD)

# The generated files are checked in. A developer's build regenerates them when their sources change;
# CI's (CI=true) builds what was committed, and tests/api/test_types.py and
# tests/browser/test_generated_modules.py fail there if one is stale.
ifndef CI
$(API_TYPES): $(API_SOURCES) $(STAMP_NODE) | $(STAMP_PY)
	$(PY) -m api.openapi $(API_DOCUMENT)
	node_modules/.bin/openapi-typescript $(API_DOCUMENT) --output $@

$(GENERATED_MODULES) &: $(STAMP_BUILD) points/signing.py devtools/dashboard_modules.py | $(STAMP_PY)
	$(PY) -m devtools.dashboard_modules
endif

# The dashboard that the API serves at `/`: type-checked, then bundled by esbuild into static files.
$(DASHBOARD): $(DASHBOARD_SOURCES) $(API_TYPES) $(GENERATED_MODULES) $(STAMP_NODE)
	npm run --silent build:dashboard

dashboard: $(DASHBOARD)

run: build dashboard
	$(PY) -m devtools.run

# Static checks, configured in pyproject.toml: ruff, then mypy (incremental: its cache under
# .mypy_cache makes a second run take seconds), then the dashboard's TypeScript.
lint: $(STAMP_PY) $(STAMP_NODE) $(API_TYPES) $(GENERATED_MODULES)
	$(VENV)/bin/ruff check --quiet
	$(VENV)/bin/mypy
	node_modules/.bin/tsc --noEmit -p dashboard

# Each test session starts its own Anvil on a free port, so tests never touch `make run`'s chain.
# Three workers, each with its own Anvil; a module stays on one worker so that its module-scoped
# chain and fixtures are built once. Three on two cores, because the end-to-end tests spend much of
# their time waiting on the processes they start: the whole run took 402 s with three against 463
# and 520 s with two (measured alternately on a loaded 2-core machine). TEST_WORKERS= runs them in
# one process.
TEST_WORKERS ?= -n 3 --dist loadfile
# ape's data folder, fresh for each run: ape 0.8 records every Anvil it starts there and never drops
# the record (one more per test session, measured), then walks all of them when a session stops, at
# about 75 ms each: 14 s of a contract test module's 57 s with 187 of them in ~/.ape.
TEST_APE_DATA := .build/test-ape-data
test: lint build dashboard
	rm -rf $(TEST_APE_DATA)
	APE_FOUNDRY_HOST=auto APE_DATA_FOLDER=$(CURDIR)/$(TEST_APE_DATA) $(VENV)/bin/ape test tests -p no:cacheprovider \
		--durations=15 $(TEST_WORKERS) $(TEST_ARGS)

bench: build
	APE_FOUNDRY_HOST=auto $(PY) -m benchmarks

clean:
	rm -rf $(VENV) $(TOOLS) node_modules .build dashboard/dist .mypy_cache .ruff_cache
