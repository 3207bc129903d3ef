# Parley: the two commands a contributor needs are `make dev` and `make test`.
# Each installs what it needs itself (a project-local Python venv with moto).

SHELL := /bin/bash
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
MOTO := $(VENV)/bin/moto_server

.PHONY: dev test lint toolchain venv clean help

help:
	@echo "make dev    run the whole backend locally (WebSocket gateway, functions, moto); Ctrl-C stops it"
	@echo "make test   format check, clippy (warnings are errors), unit and end-to-end tests"

## Run the local stack in the foreground. Ports: DEVSTACK_GATEWAY_PORT, DEVSTACK_AWS_PORT.
dev: venv
	$(CARGO) build --workspace --bins
	exec ./target/debug/devstack

test: venv lint
	$(CARGO) build --workspace --bins
	$(CARGO) test --workspace

lint: toolchain
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

toolchain:
	@$(CARGO) fmt --version >/dev/null 2>&1 || { echo "rustfmt is missing: rustup component add rustfmt"; exit 1; }
	@$(CARGO) clippy --version >/dev/null 2>&1 || { echo "clippy is missing: rustup component add clippy"; exit 1; }

venv: $(VENV)/.installed

# Re-installs when the pinned requirements change.
$(VENV)/.installed: infra/requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed for the AWS emulator (moto)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	@touch $@

clean:
	$(CARGO) clean
	rm -rf $(VENV) .devstack
