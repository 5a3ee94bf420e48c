#!/usr/bin/env python3
"""How long a notebook cell takes in the Evcxr kernel, split into compile, link and run.

    .venv/bin/python scripts/cell_latency.py [--cold | --only-cold] [--runs 5] [--linker system|lld|mold] [--json FILE]

Starts a fresh Evcxr kernel (Jupyter kernel ``rust``) with the start-up
configuration that ``scripts/run_notebooks.py`` gives the course's kernels
(``EVCXR_CONFIG_DIR=scripts/evcxr``, a kept kernel folder
``target/evcxr/slot-N`` through ``EVCXR_TMPDIR``, and
``scripts/evcxr/cargo-config.toml`` above it), then times:

- the first cell, ``:dep quad-vs-grad = { path = ".." }``, **warm** (Evcxr's
  cache and the kernel folder hold a previous build of the same sources) and,
  with ``--cold``, **cold**: an empty Evcxr cache (a scratch
  ``XDG_CACHE_HOME``, so the shared ``~/.cache/evcxr`` is left alone) and an
  empty kernel folder (``target/evcxr/latency-cold``), both deleted
  afterwards;
- the ``use`` cell that follows it in every notebook, and the first cell that
  uses the crate (it defines variables, which starts Evcxr's type analysis);
- typical cells, each ``--runs`` times with a different constant (as a
  learner editing a number would): a one-line call into the crate, a race of
  three optimizers (through the generic ``problem.race()…run()`` and through
  the concrete ``problem.race_of(…)``), and a figure;
- then ``:clear`` and the first three cells again in the same kernel, as
  ``scripts/run_notebooks.py`` starts the next notebook in a kept kernel.

Each cell's wall time (request to reply, as a learner waits) is split with
probes in front of the kernel's tools: a ``rustc`` wrapper for the cell's own
crate (cargo's ``RUSTC_WORKSPACE_WRAPPER``) and a ``cc`` wrapper (rustc's
linker driver, first on ``PATH``). *before* is the time until the cell
crate's rustc starts (Evcxr's analysis of the cell with its embedded
rust-analyzer, cargo checking the dependency graph), *compile* and *link*
split that rustc, *after* is the time from its end to the reply (loading the
cell's library and running it), and *between* the rest (for the first cell:
cargo metadata, rust-analyzer loading the crate graph, dependencies). Median
and max over the runs are printed per cell, with the load average.

``--linker`` sends Evcxr's ``:linker`` command before ``:dep`` (Evcxr picks
``mold``, then ``lld``, by itself when installed; ``mold`` wraps cargo and
changes no compiler flag; ``lld`` adds one to every crate, so its first
``:dep`` rebuilds the kernel folder).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import run_notebooks  # noqa: E402  (claim_slot, install_cargo_config)

DEP = ':dep quad-vs-grad = { path = ".." }'
USE = "use quad_vs_grad::prelude::*;\nuse quad_vs_grad::lessons::tour::*;"
SETUP = """let problem = XorProblem::reference();
let traces = problem.race_of(&["adam", "lbfgs", "newton"])?;
let (grid, shown) = path_view(&problem, &traces, None, 120)?;"""
# {k} and {i} vary per run so that no two runs compile the same source.
KINDS = {
    "one-line call": "XorProblem::reference().cost(&array![2.0, -2.0{k}])?",
    "race of three": (
        'let traces = problem.race().with("adam").with("lbfgs").with("newton")'
        ".from(array![2.0, -2.0{k}]).run()?;\ntraces.len()"
    ),
    "race of three, concrete": (
        'let traces = problem.race_of_from(&["adam", "lbfgs", "newton"], '
        "array![2.0, -2.0{k}], RaceConfig::default())?;\ntraces.len()"
    ),
    "figure": "paths_figure(&grid, &shown, &PathsStyle {{ width: 64{i}, ..PathsStyle::default() }})?",
}

RUSTC_PROBE = """#!/bin/sh
# cell_latency.py: times the cell crate's rustc (RUSTC_WORKSPACE_WRAPPER).
s=$(date +%s.%N)
"$@"; rc=$?
echo "rustc-cell $s $(date +%s.%N)" >> "$QVG_LATENCY_LOG"
exit $rc
"""
CC_PROBE = """#!/bin/sh
# cell_latency.py: times the linker driver (first `cc` on PATH).
s=$(date +%s.%N)
PATH="$QVG_LATENCY_PATH" cc "$@"; rc=$?
echo "link $s $(date +%s.%N)" >> "$QVG_LATENCY_LOG"
exit $rc
"""


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


class Kernel:
    """One Evcxr kernel with probes; `run(code)` returns (seconds, split, outputs)."""

    def __init__(self, slot: Path, probe_dir: Path, cache_home: Path | None, startup: int):
        from jupyter_client import KernelManager

        self.log = probe_dir / "probe.log"
        env = dict(os.environ)
        env.pop("CARGO_INCREMENTAL", None)  # Evcxr needs incremental builds (scripts/notebooks.sh)
        env.setdefault("EVCXR_CONFIG_DIR", str(ROOT / "scripts" / "evcxr"))
        env["EVCXR_TMPDIR"] = str(slot)
        env["QVG_LATENCY_LOG"] = str(self.log)
        env["QVG_LATENCY_PATH"] = env.get("PATH", "")
        env["PATH"] = f"{probe_dir}:{env.get('PATH', '')}"
        env["RUSTC_WORKSPACE_WRAPPER"] = str(probe_dir / "rustc-probe")
        if cache_home is not None:
            env["XDG_CACHE_HOME"] = str(cache_home)
        self.km = KernelManager(kernel_name="rust")
        self.km.start_kernel(cwd=str(ROOT / "notebooks"), env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=startup)

    def run(self, code: str, timeout: float = 3600) -> tuple[float, dict, list[str]]:
        self.log.write_text("")
        start_wall = time.time()
        start = time.monotonic()
        msg_id = self.kc.execute(code)
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        seconds = time.monotonic() - start
        outputs = []
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=0.2)
            except Exception:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":
                outputs.append("stderr: " + msg["content"]["text"])
            elif msg["msg_type"] == "error":
                outputs.append(f"error: {msg['content'].get('evalue')}")
        if reply["content"].get("status") != "ok":
            outputs.append(f"error: {reply['content'].get('evalue')}")
        return seconds, split(self.log, start_wall, start_wall + seconds), outputs

    def stop(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def split(log: Path, start: float, end: float) -> dict:
    """compile/link of the cell crate, and the time before its first rustc
    (Evcxr's analysis of the cell, cargo checking the dependency graph and
    building any dependency) and after its last (loading and running)."""
    rustc = link = 0.0
    first, last = end, start
    cell = []
    for line in log.read_text().splitlines():
        kind, s, e = line.split()
        s, e = float(s), float(e)
        if kind == "rustc-cell":
            rustc += e - s
            first, last = min(first, s), max(last, e)
            cell.append((s, e))
    for line in log.read_text().splitlines():
        kind, s, e = line.split()
        s, e = float(s), float(e)
        # only links inside the cell crate's rustc (not those of dependency dylibs)
        if kind == "link" and any(cs <= s and e <= ce for cs, ce in cell):
            link += e - s
    if not cell:
        first = last = end
    events = [f"{k} {float(s) - start:.3f} {float(e) - start:.3f}"
              for k, s, e in (line.split() for line in log.read_text().splitlines())]
    return {"total": end - start, "compile": rustc - link, "link": link,
            "before": first - start, "after": end - last, "rustc_runs": len(cell),
            "other": end - start - rustc - (first - start) - (end - last), "events": events}


def write_probes(probe_dir: Path) -> None:
    for name, text in (("rustc-probe", RUSTC_PROBE), ("cc", CC_PROBE)):
        p = probe_dir / name
        p.write_text(text)
        p.chmod(0o755)


def fmt_row(name: str, runs: list[dict]) -> str:
    def med(key):
        return statistics.median(r[key] for r in runs)

    mx = max(r["total"] for r in runs)
    return (f"| {name} | {len(runs)} | {med('total'):.2f} | {mx:.2f} | {med('before'):.2f} | "
            f"{med('compile'):.2f} | {med('link'):.2f} | {med('after'):.2f} | {med('other'):.2f} |")


def main() -> int:
    # A SIGTERM (timeout, kill) then stops the kernel and removes the scratch
    # cache and kernel folder like any other exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also time the first cell on an empty cache and kernel folder")
    parser.add_argument("--only-cold", action="store_true", help="time only the cold first cell")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--linker", choices=["system", "lld", "mold"], help="send `:linker X` before `:dep`")
    parser.add_argument("--json", type=Path, help="also write the measurements as JSON")
    args = parser.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    startup = int(os.environ.get("NOTEBOOK_STARTUP_TIMEOUT", "120"))
    prefix = f":linker {args.linker}\n" if args.linker else ""
    results: dict = {"load_before": loadavg(), "cells": {}}
    print(f"cell_latency: load average {results['load_before']}, {os.cpu_count()} CPUs", flush=True)
    rows = []

    with tempfile.TemporaryDirectory(prefix="cell-latency-") as tmp:
        probe_dir = Path(tmp)
        write_probes(probe_dir)

        if args.cold or args.only_cold:
            cold_slot = ROOT / "target" / "evcxr" / "latency-cold"
            cache_home = probe_dir / "cache"
            shutil.rmtree(cold_slot, ignore_errors=True)
            cold_slot.mkdir(parents=True)
            run_notebooks.install_cargo_config(ROOT / "target" / "evcxr")
            k = None
            try:
                k = Kernel(cold_slot, probe_dir, cache_home, startup)
                secs, sp, out = k.run(prefix + DEP)
            finally:
                if k is not None:
                    k.stop()
                shutil.rmtree(cold_slot, ignore_errors=True)
                shutil.rmtree(cache_home, ignore_errors=True)
            results["cells"]["first cell, cold"] = [sp]
            print(f"cell_latency: first cell cold {secs:.1f} s {out or ''}", flush=True)
            rows.append(fmt_row("`:dep` cell, cold", [sp]))
            if args.only_cold:
                print_table(rows, results)
                return finish(args, results)

        slot = run_notebooks.claim_slot(ROOT / "target" / "evcxr")
        k = None
        try:
            k = Kernel(slot.name, probe_dir, None, startup)
            secs, sp, out = k.run(prefix + DEP)
            print(f"cell_latency: first cell warm {secs:.1f} s {out or ''}", flush=True)
            results["cells"]["first cell, warm"] = [sp]
            rows.append(fmt_row("`:dep` cell, warm", [sp]))
            secs, sp, out = k.run(USE)
            results["cells"]["use cell"] = [sp]
            rows.append(fmt_row("`use` cell", [sp]))
            secs, sp, out = k.run(SETUP)
            results["cells"]["first cell using the crate"] = [sp]
            rows.append(fmt_row("first cell using the crate", [sp]))
            if out:
                print(f"cell_latency: set-up cell failed: {out}", file=sys.stderr)
                return 1
            for name, template in KINDS.items():
                runs = []
                for i in range(args.runs):
                    code = template.format(k=f"+0.{i:02d}", i=i)
                    secs, sp, out = k.run(code)
                    if out:
                        print(f"cell_latency: {name} failed: {out}", file=sys.stderr)
                        return 1
                    runs.append(sp)
                    print(f"cell_latency: {name} run {i + 1}: {secs:.2f} s", flush=True)
                results["cells"][name] = runs
                rows.append(fmt_row(name, runs))
            # The notebook runner's kept kernel: `:clear`, then the next
            # notebook's first cells in the same kernel.
            secs, sp, out = k.run(":clear")
            results["cells"][":clear"] = [sp]
            rows.append(fmt_row("`:clear` (kept kernel, next notebook)", [sp]))
            for name, code in [("`:dep` cell after `:clear`", prefix + DEP), ("`use` cell after `:clear`", USE),
                               ("first cell using the crate after `:clear`", SETUP)]:
                secs, sp, out = k.run(code)
                if out:
                    print(f"cell_latency: {name} failed: {out}", file=sys.stderr)
                    return 1
                results["cells"][name] = [sp]
                rows.append(fmt_row(name, [sp]))
                print(f"cell_latency: {name}: {secs:.2f} s", flush=True)
        finally:
            if k is not None:
                k.stop()
            slot.close()
    print_table(rows, results)
    return finish(args, results)


def print_table(rows: list[str], results: dict) -> None:
    results["load_after"] = loadavg()
    print()
    print("| cell | runs | median s | max s | before s | compile s | link s | after s | between s |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nload average {results['load_before']} before, {results['load_after']} after; "
          "the split columns are medians: before = Evcxr's analysis of the cell and cargo until the cell "
          "crate's rustc; compile and link = that rustc; after = loading and running; between = the rest "
          "(first cells: cargo metadata, rust-analyzer loading the crate graph, dependencies)")


def finish(args, results: dict) -> int:
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
