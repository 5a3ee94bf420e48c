#!/usr/bin/env python3
"""Execute the course notebooks through Jupyter with the real Evcxr kernel.

    .venv/bin/python scripts/run_notebooks.py [--check-only] [NOTEBOOK ...]

With no arguments every ``notebooks/*.ipynb`` is taken. First every notebook is
checked to be committed clean (no outputs, no execution counts) and to ask for
the ``rust`` kernel; any failure there stops the run before anything executes.
Then each notebook runs top to bottom in a fresh kernel whose working
directory is the notebook's folder (so ``:dep quad-vs-grad = { path = ".." }``
finds the crate). A cell that errors, a cell that runs past the timeout or a
kernel that dies fails the run. Each notebook's execution time and its slowest
cells are printed. The committed files are never written to: executed copies
go to ``target/notebooks/``.

Environment: ``NOTEBOOK_CELL_TIMEOUT`` (seconds per cell, default 1200; the
first cell compiles the crate and its dependencies) and
``NOTEBOOK_STARTUP_TIMEOUT`` (seconds for the kernel to start, default 120).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL = "rust"


def dirty_cells(nb: dict) -> list[str]:
    """Why the notebook is not clean, one line per offending cell."""
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i}: has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i}: has execution_count {cell['execution_count']}")
        if "execution" in cell.get("metadata", {}):
            problems.append(f"cell {i}: has execution timing metadata")
    return problems


def check(path: Path) -> list[str]:
    """Standard library only, so the check runs before anything is installed."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"cannot read: {e}"]
    if nb.get("nbformat") != 4:
        return [f"nbformat {nb.get('nbformat')!r}, expected 4"]
    problems = dirty_cells(nb)
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != KERNEL:
        problems.append(f"kernelspec is {kernel!r}, expected {KERNEL!r}")
    if not any(c.get("cell_type") == "code" for c in nb.get("cells", [])):
        problems.append("has no code cell")
    return problems


def cell_seconds(cell: dict) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (parse(end) - parse(start)).total_seconds()


def first_line(cell: dict) -> str:
    lines = [l for l in cell["source"].splitlines() if l.strip()]
    return (lines[0][:60] if lines else "").strip()


def execute(path: Path, out_dir: Path, timeout: int, startup: int) -> tuple[bool, float]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=timeout,
        startup_timeout=startup,
        allow_errors=False,
        record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.monotonic()
    ok, why = True, ""
    try:
        client.execute()
    except CellTimeoutError as e:
        ok, why = False, f"a cell ran past {timeout} s: {e}"
    except DeadKernelError as e:
        ok, why = False, f"the kernel died: {e}"
    except CellExecutionError as e:
        ok, why = False, str(e)
    seconds = time.monotonic() - start

    # Belt and braces: an error output fails the run even if the reply said ok.
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if ok and out.get("output_type") == "error":
                ok = False
                why = f"cell {i} produced an error output: {out.get('ename')}: {out.get('evalue')}"

    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)

    timed = [(cell_seconds(c), i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    timed = sorted((t for t in timed if t[0] is not None), key=lambda t: t[0], reverse=True)
    status = "ok" if ok else "FAILED"
    print(f"notebooks: {path.relative_to(ROOT)}: {status} in {seconds:.1f} s", flush=True)
    for secs, i, cell in timed[:3]:
        print(f"    cell {i:2d}: {secs:6.1f} s  {first_line(cell)}")
    if not ok:
        print(f"notebooks: {path.name}: {why}", file=sys.stderr)
        print(f"notebooks: executed copy with outputs: {out_dir / path.name}", file=sys.stderr)
    return ok, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check-only", action="store_true", help="only check that notebooks are clean")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "target" / "notebooks")
    args = parser.parse_args()

    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("notebooks: no notebook found under notebooks/", file=sys.stderr)
        return 1

    failed = False
    for path in paths:
        for problem in check(path):
            failed = True
            print(f"notebooks: {path.relative_to(ROOT)}: {problem}", file=sys.stderr)
    if failed:
        print("notebooks: commit notebooks without outputs (Jupyter: Edit > Clear All Outputs)", file=sys.stderr)
        return 1
    print(f"notebooks: {len(paths)} notebook(s) clean")
    if args.check_only:
        return 0

    timeout = int(os.environ.get("NOTEBOOK_CELL_TIMEOUT", "1200"))
    startup = int(os.environ.get("NOTEBOOK_STARTUP_TIMEOUT", "120"))
    results = [execute(p, args.out_dir, timeout, startup) for p in paths]
    passed = sum(ok for ok, _ in results)
    total = sum(s for _, s in results)
    print(f"notebooks: executed in {total:.1f} s")
    print(f"notebooks: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
