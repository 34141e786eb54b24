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

.PHONY: help run test unit lint fmt venv deps assets validate package bench-coldstart bench-load clean

# Debian packages the tests use: xmllint validates SOAP answers against pagoPA's XSD;
# chromium runs the browser end-to-end tests (make e2e).
APT_PACKAGES := libxml2-utils chromium poppler-utils zbar-tools dmtx-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

help:
	@echo "make run    - run the portal on http://127.0.0.1:$(PORT) (AWS emulator, demo data)"
	@echo "make test   - run every test (unit, property, integration against moto)"
	@echo "make lint   - cargo fmt --check and cargo clippy -D warnings"
	@echo "make fuzz   - fuzz the parsers of untrusted input (AFL++, FUZZ_SECONDS each)"

$(VENV)/.installed: tests/requirements.txt
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

venv: $(VENV)/.installed

deps:
	@{ command -v xmllint && command -v chromium && command -v pdftotext && command -v zbarimg && command -v dmtxread; } >/dev/null || { \
	  echo "installing $(APT_PACKAGES)"; \
	  $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(APT_PACKAGES); }; }

run: venv deps assets
	cargo run --quiet -p devstack --bin devstack

test: venv deps assets validate
	tests/with-moto.sh cargo test --workspace
	$(MAKE) e2e

# schemathesis, in its own virtual environment too.
SCHEMATHESIS_VENV := .venv-schemathesis
$(SCHEMATHESIS_VENV)/.installed: tests/requirements-schemathesis.txt
	$(PY) -m venv $(SCHEMATHESIS_VENV)
	$(SCHEMATHESIS_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements-schemathesis.txt
	touch $@

# Browser end-to-end tests: headless Chromium (playwright-core) against the local
# stack; then schemathesis checks the API against docs/openapi.yaml on the same stack;
# then the login through a standard OpenID Connect provider (node-oidc-provider).
.PHONY: e2e
e2e: export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
e2e: venv deps assets web/node_modules/.installed tests/oidc-provider/node_modules/.installed $(SCHEMATHESIS_VENV)/.installed
	web/e2e/run.sh
	web/e2e/standard-oidc.sh

# Release build of every function for Lambda (provided.al2023), zipped, in
# target/lambda/<function>/bootstrap.zip. cargo-lambda and zig come from PyPI.
# ARCH=arm64 (the template's) needs the aarch64-unknown-linux-gnu standard
# library (`rustup target add aarch64-unknown-linux-gnu`); ARCH=x86-64 does not.
FUNCTIONS := $(notdir $(wildcard functions/*))
ARCH ?= arm64
package: venv assets
	$(VENV)/bin/pip install --quiet --disable-pip-version-check cargo-lambda==1.9.2 ziglang==0.17.1
	@if [ "$(ARCH)" = arm64 ] && ! rustup target list --installed 2>/dev/null | grep -q aarch64-unknown-linux-gnu; then \
	  echo "the aarch64 standard library is missing: run 'rustup target add aarch64-unknown-linux-gnu', or 'make package ARCH=x86-64' (and deploy with --parameter-overrides Architecture=x86_64)"; exit 1; fi
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --release --$(ARCH) --output-format zip $(addprefix -p ,$(FUNCTIONS))
	python3 infra/rezip.py $(foreach f,$(FUNCTIONS),target/lambda/$(f)/bootstrap.zip)
	@for f in $(FUNCTIONS); do printf '%-18s %8s bytes zipped\n' $$f $$(stat -c %s target/lambda/$$f/bootstrap.zip); done

# Cold start of every function (release build, as packaged) against a local
# stand-in of the Lambda runtime API, next to an empty lambda_runtime binary:
# exec → first poll, exec → the answer to one representative invocation served
# by the local stack, peak memory, zip size. BEFORE=dir measures earlier
# binaries in the same run, side by side.
bench-coldstart: package target/release/devstack
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --release --$(ARCH) --output-format zip -p coldstart-baseline
	python3 tests/bench/coldstart.py --runs 20 --stack target/release/devstack $(if $(BEFORE),--before $(BEFORE)) target/lambda

# Load benchmark of the local stack (release build, loopback, bounded in time
# and requests): the Nodo's operations, the lookup and the avviso at
# increasing concurrency, next to a bare emulator round trip.
bench-load: venv target/release/devstack
	target/release/loadbench $(BENCH_LOAD_ARGS)

.PHONY: target/release/devstack
target/release/devstack: venv
	cargo build --release -p devstack --bins

# checkov has its own virtual environment: its pins clash with the SAM CLI's.
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/.installed: tests/requirements-checkov.txt
	$(PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements-checkov.txt
	touch $@

# The SAM template, linted offline (no region, no credentials), and checked by
# checkov with no failed check (a check that does not apply is skipped in the
# template, its reason beside it).
validate: venv $(CHECKOV_VENV)/.installed
	SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam validate --lint --template-file infra/template.yaml
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --framework cloudformation -f infra/template.yaml

# Coverage-guided fuzzing of the parsers of untrusted input (AFL++, stable Rust;
# FUZZ_SECONDS per target, default 60). Not part of `make test`.
.PHONY: fuzz
fuzz:
	tests/fuzz/run.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf $(VENV) $(CHECKOV_VENV) $(SCHEMATHESIS_VENV)

# Static assets of the pages: Bootstrap Italia (npm) and the portal's own files.
web/node_modules/.installed: web/package.json
	cd web && npm install --no-audit --no-fund --silent
	touch $@

# The standard OpenID Connect provider of the login's end-to-end tests.
tests/oidc-provider/node_modules/.installed: tests/oidc-provider/package.json tests/oidc-provider/package-lock.json
	cd tests/oidc-provider && npm ci --no-audit --no-fund --silent
	touch $@

web/public/.built: web/node_modules/.installed $(wildcard web/static/*)
	rm -rf web/public && mkdir -p web/public/bootstrap-italia web/public/app
	cp -r web/node_modules/bootstrap-italia/dist/css web/node_modules/bootstrap-italia/dist/fonts web/node_modules/bootstrap-italia/dist/svg web/public/bootstrap-italia/
	cp -r web/static/. web/public/app/
	touch $@

assets: web/public/.built
