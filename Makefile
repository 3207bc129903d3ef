# Parley: the two commands a contributor needs are `make dev` and `make test`.
# Each installs what it needs itself (a project-local Python venv with moto).

SHELL := /bin/bash
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
MOTO := $(VENV)/bin/moto_server

# Project-local tools (.tools/ is git-ignored): the checks' and the deploy tools' venvs,
# cargo-deny, the advisory database snapshot.
TOOLS := .tools
CHECKS_VENV := $(TOOLS)/checks-venv
SAM_VENV := $(TOOLS)/sam-venv
DEPLOY_VENV := $(TOOLS)/deploy-venv
CARGO_DENY_VERSION := 0.20.2
CARGO_DENY := $(TOOLS)/bin/cargo-deny
# The dated RustSec snapshot beside the clone (CI lays a read-only copy at ../shared), copied
# to where cargo-deny looks for https://github.com/rustsec/advisory-db under deny.toml's db-path.
ADVISORY_SRC ?= ../shared/advisory-db
ADVISORY_DB := $(TOOLS)/advisory-dbs/advisory-db-3157b0e258782691
TEMPLATE := infra/template.yaml
# Every function: a crate under functions/ with a main.rs (the package and binary are named
# after the directory). core is the shared library.
FUNCTIONS := $(patsubst functions/%/src/main.rs,%,$(wildcard functions/*/src/main.rs))
LAMBDA_ARCH ?= arm64
# cargo-lambda's flag for each architecture as the template names it (x86_64 is `--x86-64`).
LAMBDA_ARCH_FLAG_arm64 := --arm64
LAMBDA_ARCH_FLAG_x86_64 := --x86-64
LAMBDA_ARCH_FLAG := $(LAMBDA_ARCH_FLAG_$(LAMBDA_ARCH))

.PHONY: fuzz fuzz-smoke soak protocol-types web-test web-build web-e2e web-bench chromium
.PHONY: bench dev test lint toolchain venv clean help template-checks checks-venv sam-venv deny \
	advisory-db build build-command-check deploy deploy-venv scripts-test

help:
	@echo "make dev    run the whole backend locally (WebSocket gateway, functions, moto) and serve the"
	@echo "            web app at the URL it prints (http://127.0.0.1:8792/); Ctrl-C stops it"
	@echo "make test   format check, clippy (warnings are errors), template checks (cfn-lint, checkov,"
	@echo "            the SAM transform, sam validate --lint),"
	@echo "            cargo deny, unit and end-to-end tests, the web client's tests and browser scenarios"
	@echo "make fuzz   run every fuzz target for FUZZ_SECONDS each (fuzz/, cargo-fuzz)"
	@echo "make build  release arm64 Lambda artifacts with cargo lambda (target/lambda/<function>/bootstrap)"
	@echo "make deploy build, then sam deploy (guided the first time); uploads Parley Web when the stack hosts it"
	@echo "make soak   the chaos soak, bigger (SOAK_USERS, SOAK_DEVICES, SOAK_SECONDS): target/soak/report.md"
	@echo "make bench  measure a fresh local stack (release build): target/bench/report.json and report.md"
	@echo "make web-bench  measure the web app in Chromium (JS size, load to chat list, a 10,000-message chat)"
	@echo "make invoke-<function> [EVENT=events/<file>.json]  run one function on an event against the local stack"
	@echo "make protocol-types  regenerate protocol/typescript/protocol.ts from the protocol crate's types"

## Run the local stack in the foreground, the web app (web/dist, built first) served with it.
## Ports: DEVSTACK_GATEWAY_PORT, DEVSTACK_AWS_PORT, DEVSTACK_WEB_PORT (8790, 8791, 8792).
dev: venv web-build
	$(CARGO) build --workspace --bins
	exec ./target/debug/devstack

test: venv lint template-checks scripts-test build-command-check deny web-test
	$(CARGO) build --workspace --bins
	$(MAKE) web-e2e
	$(CARGO) test --workspace
	$(MAKE) fuzz-smoke

## The web client (web/): npm ci when node_modules is missing or older than the lockfile, then
## the type check, the unit tests and the production build (web/dist).
web-test: web/node_modules/.installed
	cd web && npx tsc --noEmit && npx vitest run && npx vite build

## The browser scenarios (web/e2e/): Parley Web in headless Chromium (Debian's, installed
## with apt-get where missing; never a downloaded browser) against a local stack the run
## starts itself; screenshots of the main screens go to target/web-screenshots/.
CHROMIUM ?= /usr/bin/chromium
web-e2e: venv web/node_modules/.installed chromium
	$(CARGO) build --workspace --bins
	cd web && npx vite build && CHROMIUM_PATH=$(CHROMIUM) npx vitest run --config vitest.e2e.config.ts

## What Parley Web costs a person (measured, not asserted): gzipped JS on first load (budget
## 200 KB), load → conversation list, opening a 10,000-message conversation:
## target/web-bench/report.json.
web-bench: venv web/node_modules/.installed chromium
	$(CARGO) build --workspace --bins
	cd web && npx vite build && CHROMIUM_PATH=$(CHROMIUM) npx vitest run --config vitest.bench.config.ts

chromium:
	@test -x $(CHROMIUM) || { \
		command -v apt-get >/dev/null || { echo "Chromium is needed at $(CHROMIUM) (Debian: apt-get install chromium)"; exit 1; }; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get install -y --no-install-recommends chromium || \
			{ $$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends chromium; }; \
	}

## The web app alone (web/dist), as `make dev` serves it.
web-build: web/node_modules/.installed
	cd web && npx vite build

web/node_modules/.installed: web/package-lock.json web/package.json
	@command -v npm >/dev/null || { echo "Node.js 20 and npm are needed for the web client"; exit 1; }
	cd web && npm ci --no-audit --no-fund
	@touch $@

## The web client's frame types, generated from the protocol crate (protocol/src) by its
## `typescript` test, which fails in `make test` whenever the committed file is stale.
protocol-types:
	PARLEY_WRITE_TS=1 $(CARGO) test -p parley-protocol --lib typescript

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

## The template under cfn-lint (no errors, no warnings) and checkov (no unsuppressed failure;
## each suppression carries its reason in the template), checkov twice: it leaves out the
## resources whose Condition the defaults make false, so the second run reads a copy with the
## opt-in parts switched on (infra/scripts/with_defaults.py); then SAM's own tools: the template
## transformed offline by aws-sam-translator (infra/scripts/sam_transform.py) and the
## CloudFormation it makes under cfn-lint, and `sam validate --lint`. The project's own rules
## are Rust tests: infra/devstack/src/template/policy_checks.rs, run by `cargo test`.
TRANSFORMED_TEMPLATE := $(TOOLS)/template.transformed.json
OPTED_IN_TEMPLATE := $(TOOLS)/template.opted-in.yaml
OPT_INS := WebHosting=true
# sam validate reads no account, but boto3 wants a region and credentials to exist: dummy
# ones, and no profile or session token from the caller's shell.
SAM_OFFLINE := env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=offline \
	AWS_SECRET_ACCESS_KEY=offline AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0
template-checks: checks-venv sam-venv
	$(CHECKS_VENV)/bin/cfn-lint $(TEMPLATE)
	$(CHECKS_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -f $(TEMPLATE)
	$(CHECKS_VENV)/bin/python infra/scripts/with_defaults.py $(TEMPLATE) $(OPTED_IN_TEMPLATE) $(OPT_INS)
	$(CHECKS_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -f $(OPTED_IN_TEMPLATE)
	$(CHECKS_VENV)/bin/python infra/scripts/sam_transform.py $(TEMPLATE) $(TRANSFORMED_TEMPLATE)
	$(CHECKS_VENV)/bin/cfn-lint $(TRANSFORMED_TEMPLATE)
	$(SAM_OFFLINE) $(SAM_VENV)/bin/sam validate --lint --template-file $(TEMPLATE) --region us-east-1

## The infra scripts' own tests (infra/scripts/test_*.py: publish_web.py's config, upload plan
## and its AWS calls against moto in-process; with_defaults.py), in the project venv.
scripts-test: venv
	$(VENV)/bin/python -m unittest discover -s infra/scripts -p 'test_*.py'

checks-venv: $(CHECKS_VENV)/.installed

$(CHECKS_VENV)/.installed: infra/requirements-checks.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed for the template checks"; exit 1; }
	$(PYTHON) -m venv $(CHECKS_VENV)
	$(CHECKS_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-checks.txt
	@touch $@

sam-venv: $(SAM_VENV)/.installed

$(SAM_VENV)/.installed: infra/requirements-sam.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed for the SAM CLI"; exit 1; }
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-sam.txt
	@touch $@

## Supply chain: advisories (offline, from the dated snapshot), licenses, bans, sources.
deny: $(CARGO_DENY) advisory-db
	$(CARGO) fetch --locked
	$(CARGO_DENY) --offline check

$(CARGO_DENY):
	$(CARGO) install --locked cargo-deny@$(CARGO_DENY_VERSION) --root $(TOOLS)

advisory-db: $(TOOLS)/advisory-dbs/SNAPSHOT.copied

$(TOOLS)/advisory-dbs/SNAPSHOT.copied: $(wildcard $(ADVISORY_SRC)/SNAPSHOT)
	@test -f "$(ADVISORY_SRC)/SNAPSHOT" || { echo "no advisory database snapshot at $(ADVISORY_SRC) (expected ../shared/advisory-db beside the repository; set ADVISORY_SRC=...)"; exit 1; }
	rm -rf $(ADVISORY_DB)
	mkdir -p $(dir $(ADVISORY_DB))
	cp -R $(ADVISORY_SRC) $(ADVISORY_DB)
	chmod -R u+w $(ADVISORY_DB)
	cd $(ADVISORY_DB) && git init -q && git add -A && \
		git -c user.name=parley -c user.email=parley@localhost -c commit.gpgsign=false commit -qm "$$(cat SNAPSHOT)"
	cp $(ADVISORY_SRC)/SNAPSHOT $@

deploy-venv: $(DEPLOY_VENV)/.installed

$(DEPLOY_VENV)/.installed: infra/requirements-deploy.txt infra/requirements-sam.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed for cargo-lambda and the SAM CLI"; exit 1; }
	$(PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-deploy.txt
	@touch $@

## Release Lambda artifacts: target/lambda/<function>/bootstrap, arm64 (LAMBDA_ARCH=x86_64
## when the aarch64 target cannot be installed; the template's Architectures must match).
build: deploy-venv
	@test -n "$(LAMBDA_ARCH_FLAG)" || { echo "LAMBDA_ARCH must be arm64 or x86_64, not '$(LAMBDA_ARCH)'"; exit 1; }
	@if [ "$(LAMBDA_ARCH)" = arm64 ] && ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then \
		rustup target add aarch64-unknown-linux-gnu || { \
			echo "cannot add the aarch64-unknown-linux-gnu target: run 'make build LAMBDA_ARCH=x86_64' and set Architectures: [x86_64] in $(TEMPLATE)"; exit 1; }; \
	fi
	PATH="$(CURDIR)/$(DEPLOY_VENV)/bin:$$PATH" $(CARGO) lambda build --release $(LAMBDA_ARCH_FLAG) $(addprefix -p ,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do \
		test -f target/lambda/$$f/bootstrap || { echo "missing target/lambda/$$f/bootstrap"; exit 1; }; \
		printf '%-12s %8s KiB  %s\n' $$f $$(( $$(stat -c %s target/lambda/$$f/bootstrap) / 1024 )) "$$(file -b target/lambda/$$f/bootstrap | cut -d, -f1-2)"; \
	done

## The command lines `make build` runs, for each architecture, checked against the flags
## cargo-lambda's own help lists (without building anything): a flag it does not know would
## only fail after a deployer waited for the release build's dependencies.
build-command-check: deploy-venv
	@for arch in arm64 x86_64; do \
		line=$$($(MAKE) --no-print-directory -n build LAMBDA_ARCH=$$arch | grep -F ' lambda build ') || { echo "make -n build LAMBDA_ARCH=$$arch runs no 'cargo lambda build'"; exit 1; }; \
		for flag in $$(printf '%s\n' $$line | grep -E '^--[a-z]'); do \
			$(DEPLOY_VENV)/bin/cargo-lambda lambda build --help | grep -qE -- "(^|[ ,])$$flag([ ,=]|$$)" || { \
				echo "make build LAMBDA_ARCH=$$arch passes $$flag, which cargo-lambda lambda build does not accept: $$line"; exit 1; }; \
		done; \
		echo "LAMBDA_ARCH=$$arch: $$(printf '%s\n' $$line | grep -E '^--[a-z]' | tr '\n' ' ')accepted by cargo-lambda"; \
	done

## sam deploy: guided the first time (it writes samconfig.toml), plain after. Then, when the
## stack hosts Parley Web (WebHosting=true), the app is built, uploaded with a config.json made
## from the stack's outputs, and its URL printed (infra/scripts/publish_web.py).
deploy: build
	@# SAM keeps samconfig.toml beside the template (infra/), its project directory. An
	@# unchanged stack is no failure: the app may still have changed.
	@if [ -f infra/samconfig.toml ]; then \
		$(DEPLOY_VENV)/bin/sam deploy --template-file $(TEMPLATE) --no-fail-on-empty-changeset; \
	else \
		$(DEPLOY_VENV)/bin/sam deploy --guided --template-file $(TEMPLATE) --capabilities CAPABILITY_IAM \
			--no-fail-on-empty-changeset; \
	fi
	@# Its build command is its default, `make web-build`: naming $$(MAKE) here would make
	@# `make -n deploy` run this line for real.
	$(DEPLOY_VENV)/bin/python infra/scripts/publish_web.py --samconfig infra/samconfig.toml web/dist

## One function on one event, the cargo-lambda way, against the running local stack
## (`make dev` in another terminal): `cargo lambda watch` with the function's local
## environment, then `cargo lambda invoke --data-file`. EVENT defaults to
## events/<function>.json, else the first events/<function>-*.json.
INVOKE_PORT ?= 9009
STACK_FILE ?= .devstack/stack.json
invoke-%: venv deploy-venv
	@test -f $(STACK_FILE) || { echo "the local stack is not running: start 'make dev' in another terminal first"; exit 1; }
	@event="$(EVENT)"; \
	if [ -z "$$event" ]; then event=$$(ls events/$*.json events/$*-*.json 2>/dev/null | head -1); fi; \
	test -n "$$event" -a -f "$$event" || { echo "no event for $*: pass EVENT=events/<file>.json"; exit 1; }; \
	$(VENV)/bin/python infra/scripts/local_env.py $* $(TEMPLATE) $(STACK_FILE) > $(TOOLS)/local-$*.env || exit 1; \
	PATH="$(CURDIR)/$(DEPLOY_VENV)/bin:$$PATH" $(CARGO) lambda watch --invoke-port $(INVOKE_PORT) \
		--env-file $(TOOLS)/local-$*.env -p $* --bin $* >$(TOOLS)/watch-$*.log 2>&1 & watch=$$!; \
	trap 'kill $$watch 2>/dev/null; wait $$watch 2>/dev/null' EXIT; \
	for i in $$(seq 1 120); do \
		(exec 3<>/dev/tcp/127.0.0.1/$(INVOKE_PORT)) 2>/dev/null && break; sleep 1; \
	done; \
	echo "invoking $* with $$event"; \
	PATH="$(CURDIR)/$(DEPLOY_VENV)/bin:$$PATH" $(CARGO) lambda invoke $* --invoke-port $(INVOKE_PORT) --data-file "$$event"; \
	status=$$?; echo; echo "(cargo lambda watch log: $(TOOLS)/watch-$*.log)"; exit $$status

## Benchmarks on a fresh local stack of release binaries (a smoke run of the same code is
## part of `cargo test`): target/bench/report.json and report.md. Measures, asserts nothing.
bench: venv
	$(CARGO) build --release --workspace --bins
	DEVSTACK_BIN=$(CURDIR)/target/release/devstack DEVSTACK_BIN_DIR=$(CURDIR)/target/release \
		$(CARGO) run --release -p parley-bench

clean:
	$(CARGO) clean
	rm -rf $(VENV) .devstack

## Fuzzing (fuzz/, cargo-fuzz with libFuzzer): every target for FUZZ_SECONDS, starting from
## the committed seeds (fuzz/seeds/<target>) and the corpus grown so far
## (target/fuzz-corpus/<target>, not committed; the build goes to fuzz/target). A crash leaves its input under
## fuzz/artifacts/<target>/ and fails the run. cargo-fuzz's flags are nightly-only:
## RUSTC_BOOTSTRAP lets the one stable toolchain accept them.
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ := $(TOOLS)/bin/cargo-fuzz
FUZZ_TARGETS := frame token
FUZZ_SECONDS ?= 120
# The short run `make test` makes: about 30 s in all.
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_ENV := RUSTC_BOOTSTRAP=1
FUZZ_FLAGS := --fuzz-dir fuzz -O --sanitizer none

fuzz: $(CARGO_FUZZ)
	$(FUZZ_ENV) $(CARGO_FUZZ) fuzz build $(FUZZ_FLAGS)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p target/fuzz-corpus/$$t; \
		dict=""; test -f fuzz/$$t.dict && dict="-dict=fuzz/$$t.dict"; \
		echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
		if $(FUZZ_ENV) $(CARGO_FUZZ) fuzz run $(FUZZ_FLAGS) $$t target/fuzz-corpus/$$t fuzz/seeds/$$t -- \
			-max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
			$$dict >target/fuzz-$$t.log 2>&1; then \
			grep -E '^Done [0-9]+ runs' target/fuzz-$$t.log; \
		else \
			tail -n 60 target/fuzz-$$t.log; echo "fuzz target $$t failed: the input is under fuzz/artifacts/$$t/"; exit 1; \
		fi; \
	done

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)

$(CARGO_FUZZ):
	$(CARGO) install --locked cargo-fuzz@$(CARGO_FUZZ_VERSION) --root $(TOOLS)

## The chaos soak (tests/tests/soak.rs) at a larger size than `make test` runs it: faults
## injected through the devstack's control API; the report goes to target/soak/.
SOAK_USERS ?= 16
SOAK_DEVICES ?= 3
SOAK_SECONDS ?= 120
soak: venv
	$(CARGO) build --workspace --bins
	SOAK_USERS=$(SOAK_USERS) SOAK_DEVICES=$(SOAK_DEVICES) SOAK_SECONDS=$(SOAK_SECONDS) \
		$(CARGO) test -p parley-tests --test soak -- --nocapture
