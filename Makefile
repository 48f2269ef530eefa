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

# uv must use the machine's Python: it may not download one.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: all install build run test bench clean

all: test

install: $(STAMP_PY) $(ANVIL)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP_PY): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

$(STAMP_NODE): package.json package-lock.json
	@# `npm ci` rejects the lock because the registry lacks some platforms' optional packages;
	@# `npm install` with the lock present installs exactly the locked versions.
	npm install --no-audit --no-fund --ignore-scripts
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

run: build
	$(PY) -m points.run

# Each test session starts its own Anvil on a free port, so tests never touch `make run`'s chain.
test: build
	APE_FOUNDRY_HOST=auto $(VENV)/bin/ape test tests -p no:cacheprovider $(TEST_ARGS)

bench: build
	APE_FOUNDRY_HOST=auto $(PY) -m benchmarks

clean:
	rm -rf $(VENV) $(TOOLS) node_modules .build
