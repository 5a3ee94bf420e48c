# The two promises of the README:
#   make demo   builds in release and runs the main job
#   make test   installs what is missing, then runs every check
# Course targets: `course` executes every notebook with the Evcxr kernel and
# regenerates the book chapters from them (NB=notebooks/NN-name.ipynb for one),
# `notebooks` executes them and fails on a stale chapter, `course-check` tests
# the chapter generator and checks SUMMARY, chapter lists and chapter lint
# without executing anything, `book` builds the mdBook and checks its links,
# images and offline-ness, `figures` regenerates the introduction's figures,
# `course-deps` installs the tooling.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: demo test deps lint doc unit course-check course-deps notebooks course book figures

# The main job's matrices are 2 × 2: OpenBLAS's worker thread would only
# spin (sched_yield) for its first ~0.1 s beside the two drawing threads.
demo: deps
	$(CARGO) build --release --locked
	OPENBLAS_NUM_THREADS=1 ./target/release/quad-vs-grad

test: deps lint doc unit course-check book notebooks

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

course-check:
	python3 scripts/test_course.py
	python3 scripts/course.py static

notebooks: deps
	@bash scripts/notebooks.sh $(NB)

course: deps
	@bash scripts/notebooks.sh --write $(NB)

book:
	@bash scripts/book.sh

figures: deps
	@bash scripts/figures.sh
