# cpre — two commands do all the set-up on a fresh Debian machine with Rust:
#   make run    the tool on http://127.0.0.1:8080 with SQLite at ./data/cpre.sqlite, and the
#               demo course of lti-config/demo/ (the local Moodle lab; demo only)
#   make test   every test (the PostgreSQL suite too when CPRE_TEST_POSTGRES_URL is set)

SHELL := /bin/bash
CARGO ?= cargo
# Link with mold when it is installed (much faster links); same flags for every target.
ifneq ($(shell command -v mold 2>/dev/null),)
export RUSTFLAGS ?= -C link-arg=-fuse-ld=mold
endif
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test test-pg ci fmt lint bench deps build release clean

run: deps
	CPRE_DATABASE_URL=$${CPRE_DATABASE_URL:-sqlite://data/cpre.sqlite} $(CARGO) run --release --bin cpre -- serve --demo

test: deps
	$(CARGO) test

# The PostgreSQL suite needs a server; it fails (does not skip) when it is unreachable.
test-pg:
	@pg_isready -d "$(POSTGRES_TEST_URL)" >/dev/null 2>&1 || psql "$(POSTGRES_TEST_URL)" -c 'select 1' >/dev/null \
	  || { echo "PostgreSQL unreachable at $(POSTGRES_TEST_URL)"; exit 1; }
	CPRE_TEST_POSTGRES_URL=$(POSTGRES_TEST_URL) $(MAKE) test

fmt:
	$(CARGO) fmt --all --check

lint:
	$(CARGO) clippy --all-targets -- -D warnings

ci: fmt lint test-pg

bench: deps
	$(CARGO) bench --bench launch
	$(CARGO) bench --bench questionnaire
	$(CARGO) bench --bench grades
	$(CARGO) bench --bench staff

build: deps
	$(CARGO) build

release: deps
	$(CARGO) build --release

# System packages the build needs (C compiler for the bundled SQLite/libpq/aws-lc, OpenSSL
# headers for libpq's TLS). Installed only when missing.
deps:
	@missing=""; \
	command -v cc >/dev/null 2>&1 || missing="$$missing build-essential"; \
	command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	pkg-config --exists openssl 2>/dev/null || missing="$$missing libssl-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq $$missing; fi; \
	fi

clean:
	$(CARGO) clean
