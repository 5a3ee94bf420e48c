# The two promises of the README:
#   make demo   builds in release and runs the main job
#   make test   installs what is missing, then runs every check
# Course targets: `course` executes every notebook with the Evcxr kernel and
# regenerates the book chapters from them (NB=notebooks/NN-name.ipynb for one),
# `notebooks` executes them and fails on a stale chapter, `course-check` tests
# the chapter generator and checks SUMMARY, chapter lists and chapter lint
# without executing anything, `book` builds the mdBook and checks its links,
# images and offline-ness, `figures` regenerates the introduction's figures,
# `course-deps` installs the tooling, `reproducibility` checks that the
# numbers do not depend on the SIMD level, OpenBLAS's threads or its kernels,
# `browser` opens the built book in headless Chromium (pages, images, math,
# search, and the explorables against the crate's numbers; screenshots in
# target/browser-screenshots/). `course` also rewrites the explorables' data
# (book/src/explorables/data/, tests/explorables/checks.json), whose
# staleness `cargo test --test explorables` checks.
SHELL := /bin/bash
CARGO ?= cargo

# Same numbers on every machine. The crate's own arithmetic never calls
# OpenBLAS (src/linalg), but argmin's BFGS, L-BFGS, trust region and Newton
# compute their products through ndarray, which does. OpenBLAS picks kernels
# by CPU when it loads, and they sum in different orders: pin one thread and,
# on any CPU with AVX2 and FMA, the Haswell kernels, for every recipe (the
# tests, the notebooks' kernel and the main job). The README's
# "Reproducibility" section has the measurements.
export OPENBLAS_NUM_THREADS := 1
ifeq ($(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null && echo yes),yes)
export OPENBLAS_CORETYPE := Haswell
endif

.PHONY: demo test deps lint doc unit reproducibility course-check course-deps notebooks course book browser browser-deps figures

demo: deps
	$(CARGO) build --release --locked
	./target/release/quad-vs-grad

test: deps lint doc unit reproducibility course-check book browser notebooks

deps:
	@bash scripts/install-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --locked --no-deps

unit:
	$(CARGO) test --locked

# The same bits under every setting this machine can force (SIMD levels,
# OpenBLAS threads and kernels), then the course's pins on the narrowest.
reproducibility:
	@bash scripts/reproducibility.sh

course-deps: deps
	@bash scripts/course-deps.sh

course-check:
	python3 scripts/test_course.py
	python3 scripts/course.py static
	python3 scripts/layers.py

notebooks: deps
	@bash scripts/notebooks.sh $(NB)

course: deps
	QVG_WRITE_EXPLORABLES=1 $(CARGO) test --locked --test explorables
	@bash scripts/notebooks.sh --write $(NB)

book:
	@bash scripts/book.sh

browser-deps:
	@bash scripts/browser-deps.sh

# After `book`: it tests the book just built.
browser: book browser-deps
	node scripts/browser/test.mjs

figures: deps
	@bash scripts/figures.sh
