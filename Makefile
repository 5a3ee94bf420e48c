# The two promises of the README:
#   make demo   builds in release and runs the main job
#   make test   installs what is missing, then runs every check
# Course targets: `notebooks` executes every notebook with the Evcxr kernel,
# `book` builds the mdBook and checks its links, images and offline-ness,
# `figures` regenerates the book's figures, `course-deps` installs the tooling.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: demo test deps lint doc unit course-deps notebooks book figures

demo: deps
	$(CARGO) build --release --locked
	./target/release/quad-vs-grad

test: deps lint doc unit book notebooks

deps:
	@bash scripts/install-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --locked --no-deps

unit:
	$(CARGO) test --locked

course-deps: deps
	@bash scripts/course-deps.sh

notebooks: deps
	@bash scripts/notebooks.sh

book:
	@bash scripts/book.sh

figures: deps
	@bash scripts/figures.sh
