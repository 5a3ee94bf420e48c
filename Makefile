# The two promises of the README:
#   make demo   builds in release and runs the main job
#   make test   installs what is missing, then runs every check
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: demo test deps lint doc unit

demo: deps
	$(CARGO) build --release --locked
	./target/release/quad-vs-grad

test: deps lint doc unit

deps:
	@bash scripts/install-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --locked --no-deps

unit:
	$(CARGO) test --locked
