# Portale dei Pagamenti: the two commands of the README, and their helpers.
#   make run   runs the whole portal locally (AWS emulator, API, demo data)
#   make test  runs every test
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY   := python3
PORT ?= 3000
OPERATOR_API_KEY ?= dev-operator-key
AWS_EMULATOR_PORT ?= 5000
export PORT OPERATOR_API_KEY AWS_EMULATOR_PORT

.PHONY: help run test unit lint fmt venv deps assets clean

# Debian packages the tests use: xmllint validates SOAP answers against pagoPA's XSD;
# chromium runs the browser end-to-end tests (make e2e).
APT_PACKAGES := libxml2-utils chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

help:
	@echo "make run    - run the portal on http://127.0.0.1:$(PORT) (AWS emulator, demo data)"
	@echo "make test   - run every test (unit, property, integration against moto)"
	@echo "make lint   - cargo fmt --check and cargo clippy -D warnings"

$(VENV)/.installed: tests/requirements.txt
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

venv: $(VENV)/.installed

deps:
	@{ command -v xmllint && command -v chromium; } >/dev/null || { \
	  echo "installing $(APT_PACKAGES)"; \
	  $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(APT_PACKAGES); }; }

run: venv deps assets
	cargo run --quiet -p devstack --bin devstack

test: venv deps assets
	tests/with-moto.sh cargo test --workspace
	$(MAKE) e2e

# Browser end-to-end tests: headless Chromium (playwright-core) against the local stack.
.PHONY: e2e
e2e: export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
e2e: venv deps assets web/node_modules/.installed
	web/e2e/run.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf $(VENV)

# Static assets of the pages: Bootstrap Italia (npm) and the portal's own files.
web/node_modules/.installed: web/package.json
	cd web && npm install --no-audit --no-fund --silent
	touch $@

web/public/.built: web/node_modules/.installed $(wildcard web/static/*)
	rm -rf web/public && mkdir -p web/public/bootstrap-italia web/public/app
	cp -r web/node_modules/bootstrap-italia/dist/css web/node_modules/bootstrap-italia/dist/fonts web/node_modules/bootstrap-italia/dist/svg web/public/bootstrap-italia/
	cp -r web/static/. web/public/app/
	touch $@

assets: web/public/.built
