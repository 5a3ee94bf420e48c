#!/usr/bin/env python3
"""Execute the course notebooks through Jupyter with the real Evcxr kernel.

    .venv/bin/python scripts/run_notebooks.py [--check-only] [NOTEBOOK ...]

With no arguments every ``notebooks/*.ipynb`` is taken. First every notebook is
checked to be committed clean (no outputs, no execution counts) and to ask for
the ``rust`` kernel; any failure there stops the run before anything executes.
Then each notebook runs top to bottom in a kernel whose working directory is
the notebooks' folder (so ``:dep quad-vs-grad = { path = ".." }`` finds the
crate), ``NOTEBOOK_JOBS`` workers at a time (default 2; with more than one, a
first kernel runs only the ``:dep`` cell, so that the kernels do not both
compile the crate into Evcxr's cache on a first run). Each worker keeps one
kernel for all the notebooks it runs and sends it ``:clear`` between two of
them (every variable, import and dependency is dropped and the process that
runs the cells restarts; each notebook's own ``:dep`` and ``use`` cells bring
back what it needs), which saves the kernel's start and its first cells'
set-up, about 20 s per notebook (``--fresh-kernels`` gives every notebook a
kernel of its own). A notebook that fails is followed by a fresh kernel. A cell that
errors, a cell that runs past the timeout or a kernel that dies fails the run.
Notebooks start longest first (by the times of the last run, in
``status.json``), so that the kernels finish together. Each notebook's
execution time and its slowest cells are printed, then the wall time of the
whole run. The committed files are never written to:
executed copies go to ``target/notebooks/``, with ``status.json`` recording
which ran cleanly (``scripts/course.py`` generates chapters only from those).

Environment: ``NOTEBOOK_CELL_TIMEOUT`` (seconds per cell, default 1200; the
first cell compiles the crate and its dependencies) and
``NOTEBOOK_STARTUP_TIMEOUT`` (seconds for the kernel to start, default 120),
``NOTEBOOK_JOBS`` (kernels at a time, default 2; ``--jobs`` overrides it).
Each kernel builds in a kept folder ``target/evcxr/slot-N`` (through
``EVCXR_TMPDIR``; one per kernel running at a time), so that cargo reuses the
crate's previous build there instead of compiling it again in every kernel.
The kernel reads its start-up configuration from ``scripts/evcxr/`` (through
``EVCXR_CONFIG_DIR``, unless that is already set), not from the user's own, so
every run starts alike; that configuration turns on Evcxr's compilation cache
(``:cache``, in ``~/.cache/evcxr``), so that a second run does not recompile
the crate's registry dependencies. ``scripts/evcxr/cargo-config.toml`` is
copied to ``target/evcxr/.cargo/config.toml``: cargo reads it from every kernel
folder and builds the cells' own crates unoptimised, the crate and its
dependencies optimised (the reasons are in that file).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import multiprocessing
import os
from queue import Empty
import re
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


def shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


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


ANSI = re.compile(r"\x1b\[[0-9;]*m")
TOLERANT_TAGS = {"raises-exception", "allow-stderr"}
# Evcxr forwards a cell's stderr (a panic, an error returned by `?`) on its
# own thread, after its reply: measured within 3 ms of the reply on two cores
# at load 5 (scripts/cell_latency.py's machine). The kernel tags such a line
# with the *latest* request, so output later than the grace lands on the next
# cell and still fails the run; only the last cell has no next one and waits
# longer. A grace of 0.5 s on every cell cost about 80 s of the course's
# notebook time (161 cells).
LATE_OUTPUT_GRACE = 0.1
LAST_CELL_GRACE = 1.0
LATE_TYPES = {"stream", "error", "display_data", "execute_result"}


class CellFailed(Exception):
    """A cell whose reply said "ok" but whose outputs show it failed."""


def cell_failure(cell: dict) -> str | None:
    """Why a code cell failed, judged from its outputs, or None.

    Evcxr replies "ok" to a cell that panicked or whose `?` returned an
    error: it only writes the panic message or the error to stderr. So in a
    course notebook anything on stderr is a failure, unless the cell is
    tagged `allow-stderr` (or `raises-exception`, nbclient's own tag).
    """
    tags = set(cell.get("metadata", {}).get("tags", []))
    if tags & TOLERANT_TAGS:
        return None
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            trace = ANSI.sub("", "\n".join(out.get("traceback", [])))
            return f"{out.get('ename')}: {out.get('evalue')}\n{trace}".rstrip()
    stderr = "".join(
        "".join(out.get("text", ""))
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    )
    if stderr.strip():
        kind = "panicked" if "panicked at" in stderr else "wrote to stderr (an error returned by `?`, or a warning)"
        lines = stderr.strip().splitlines()
        shown_lines = "\n".join(lines[:12]) + ("\n    ..." if len(lines) > 12 else "")
        return f"{kind}:\n{shown_lines}"
    return None


class Kernel:
    """One Evcxr kernel that a worker keeps for every notebook it runs.

    Starting a kernel costs its process, Evcxr's start-up configuration and,
    in the first cells, the `:dep` build and Evcxr's rust-analyzer loading the
    crate. A kept kernel pays that once per worker: between two notebooks it
    runs `:clear`, which drops every variable, import and dependency (each
    notebook's own `:dep` and `use` cells bring them back) and restarts the
    process that runs the cells, while the build folder and the analysis stay.
    A notebook that fails or a kernel that died is followed by a fresh kernel.
    """

    def __init__(self, startup: int):
        self.startup = startup
        self.km = None  # the kernel manager, once a kernel runs
        self.slot = None  # the kernel's build folder (held by a lock)
        self.notebooks = 0  # notebooks run in the current kernel
        self.log: Path | None = None  # the kernel's own output
        self.cwd: Path | None = None  # the kernel's working directory

    def env(self) -> dict[str, str]:
        # Evcxr builds each kernel's code in a temporary cargo project, so every
        # kernel would compile the crate itself again (Evcxr's cache skips path
        # dependencies, which cargo builds incrementally). A kept project folder
        # per kernel slot lets cargo find the crate's previous build and reuse it.
        # The folder goes to this kernel's own environment, not os.environ,
        # which all kernels of the process would share.
        if self.slot is None:
            self.slot = claim_slot(ROOT / "target" / "evcxr")
        return {**os.environ, "EVCXR_TMPDIR": str(self.slot.name)}

    def clear(self, timeout: int) -> bool:
        """Readies a kept kernel for the next notebook; False when there is none (or it failed)."""
        if self.km is None or self.notebooks == 0:
            return False
        import nbformat
        from nbclient import NotebookClient

        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(":clear")])
        client = NotebookClient(nb, km=self.km, kernel_name=KERNEL, timeout=timeout,
                                startup_timeout=self.startup, allow_errors=False)
        try:
            client.execute()
            ok = not any(cell_failure(c) for c in nb.cells)
        except Exception:
            ok = False
        finally:
            stop_channels(client)
        if not ok:
            self.shutdown()
        return ok

    def shutdown(self) -> None:
        """Stops the kernel (the build folder stays claimed for the next one)."""
        if self.km is not None:
            from nbclient.util import run_sync

            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:
                pass
            try:
                run_sync(self.km.cleanup_resources)()
            except Exception:
                pass
        self.km, self.notebooks = None, 0

    def close(self) -> None:
        self.shutdown()
        if self.slot is not None:
            self.slot.close()  # releases the slot's lock
            self.slot = None


def stop_channels(client) -> None:
    kc = getattr(client, "kc", None)
    if kc is not None:
        try:
            kc.stop_channels()
        except Exception:
            pass
        client.kc = None


def execute(path: Path, out_dir: Path, timeout: int, startup: int,
            cwd: Path | None = None, kernel: Kernel | None = None) -> tuple[bool, float, list[str], list[str]]:
    """Runs one notebook in `cwd` (default: its folder); returns (ok, seconds, report lines, error lines).

    With `kernel`, the notebook runs in that kept kernel (cleared first) and
    leaves it running for the next one; without, in a kernel of its own."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    own = kernel is None
    if own:
        kernel = Kernel(startup)
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    failed_cell: list[int] = []
    last_code = max((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), default=-1)

    async def stop_on_failure(cell, cell_index, execute_reply, **_):  # nbclient's on_cell_executed hook
        # Evcxr forwards the cell's stderr on its own thread, so a panic
        # message or a `?` error can reach iopub after the kernel reported
        # idle, where nbclient no longer listens. Collect such late output
        # until the channel has been quiet for LATE_OUTPUT_GRACE seconds
        # (LAST_CELL_GRACE after the last cell).
        parent = execute_reply.get("parent_header", {}).get("msg_id")
        grace = LAST_CELL_GRACE if cell_index == last_code else LATE_OUTPUT_GRACE
        while True:
            try:
                msg = await client.kc.iopub_channel.get_msg(timeout=grace)
            except Empty:
                break
            if msg["parent_header"].get("msg_id") == parent and msg["msg_type"] in LATE_TYPES:
                client.output(cell.outputs, msg, None, cell_index)
        why = cell_failure(cell)
        if why is not None:
            failed_cell.append(cell_index)
            raise CellFailed(why)

    where = cwd or path.parent
    if kernel.cwd != where:  # a kept kernel works in the folder it started in
        kernel.shutdown()
        kernel.cwd = where
    reused = kernel.clear(timeout)
    env = kernel.env()

    client = NotebookClient(
        nb,
        km=kernel.km,
        kernel_name=KERNEL,
        timeout=timeout,
        startup_timeout=startup,
        allow_errors=False,
        record_timing=True,
        on_cell_executed=stop_on_failure,
        resources={"metadata": {"path": str(where)}},
    )
    # The kernel's own output (cargo compiling the crate into it) goes to a
    # log beside the executed copy instead of flooding the console.
    out_dir.mkdir(parents=True, exist_ok=True)
    if not reused:
        kernel.log = out_dir / f"{path.stem}.kernel.log"
    kernel_log = kernel.log
    start = time.monotonic()
    ok, why = True, ""
    try:
        # A kept kernel writes to the log of the notebook it started with.
        with open(kernel_log, "ab" if reused else "wb") as log:
            # cleanup_kc=False: the kernel outlives this notebook (a kept
            # kernel's manager is not the client's, so it would anyway).
            client.execute(stdout=log, stderr=log, env=env, cleanup_kc=False)
    except CellFailed as e:
        ok, why = False, str(e)
    except CellTimeoutError as e:
        ok, why = False, f"a cell ran past {timeout} s (NOTEBOOK_CELL_TIMEOUT): {e}"
    except DeadKernelError as e:
        ok, why = False, f"the kernel died: {e}"
    except CellExecutionError as e:
        ok, why = False, ANSI.sub("", str(e))
    seconds = time.monotonic() - start
    kernel.km = client.km
    stop_channels(client)
    if ok and not own:
        kernel.notebooks += 1
    else:
        kernel.shutdown() if not own else kernel.close()

    # Belt and braces: any failing cell fails the run, whatever the replies said.
    for i, cell in enumerate(nb.cells):
        if ok and cell.cell_type == "code" and (w := cell_failure(cell)) is not None:
            ok, why = False, w
            failed_cell.append(i)
    if failed_cell:
        i = failed_cell[0]
        why = f"cell {i} failed ({first_line(nb.cells[i])}): {why}"

    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)

    timed = [(cell_seconds(c), i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    timed = sorted((t for t in timed if t[0] is not None), key=lambda t: t[0], reverse=True)
    status = "ok" if ok else "FAILED"
    report = [f"notebooks: {shown(path)}: {status} in {seconds:.1f} s"]
    for secs, i, cell in timed[:3]:
        report.append(f"    cell {i:2d}: {secs:6.1f} s  {first_line(cell)}")
    errors = []
    if not ok:
        errors.append(f"notebooks: {path.name}: {why}")
        errors.append(f"notebooks: executed copy with outputs: {out_dir / path.name}")
        errors.append(f"notebooks: the kernel's own log: {kernel_log}")
    return ok, seconds, report, errors


def install_cargo_config(base: Path) -> None:
    """Copies ``scripts/evcxr/cargo-config.toml`` to ``base/.cargo/config.toml`` when it differs."""
    wanted = (ROOT / "scripts" / "evcxr" / "cargo-config.toml").read_bytes()
    target = base / ".cargo" / "config.toml"
    try:
        if target.read_bytes() == wanted:
            return
    except OSError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(wanted)
    tmp.replace(target)


def claim_slot(base: Path):
    """Locks and returns the first free kernel folder ``base/slot-N`` (an open lock file).

    The folder is the file's ``.name``; the lock lasts until the file is closed
    (or the process ends), so two kernels never share a cargo project.
    """
    import fcntl

    base.mkdir(parents=True, exist_ok=True)
    install_cargo_config(base)
    for n in range(64):
        lock = open(base / f"slot-{n}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        folder = base / f"slot-{n}"
        folder.mkdir(exist_ok=True)

        class Slot:
            name = folder

            @staticmethod
            def close():
                lock.close()

        return Slot
    raise RuntimeError(f"no free kernel folder under {base}")


def prime(paths: list[Path], out_dir: Path, timeout: int, startup: int) -> None:
    """Compiles the crate into Evcxr's cache once, before kernels run side by side.

    Two kernels starting on a cold cache would both compile the crate and its
    dependencies; one kernel running only the first notebook's Evcxr command
    cell (the `:dep` line) fills the cache for both. Done only when no kernel
    folder has been built in yet (a first run, or after `cargo clean`).
    """
    import nbformat

    nb = nbformat.read(paths[0], as_version=4)
    first = next((c for c in nb.cells if c.cell_type == "code"), None)
    lines = [l for l in (first.source.splitlines() if first else []) if l.strip()]
    if not lines or not all(l.lstrip().startswith(":") for l in lines):
        return
    primer = nbformat.v4.new_notebook(metadata=nb.metadata, cells=[nbformat.v4.new_code_cell(first.source)])
    folder = out_dir / "prime"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(primer, folder / "prime.ipynb")
    ok, seconds, _, errors = execute(folder / "prime.ipynb", folder, timeout, startup, cwd=paths[0].parent)
    print(f"notebooks: compiled the crate into Evcxr's cache in {seconds:.1f} s ({'ok' if ok else 'FAILED'})", flush=True)
    if errors:
        print("\n".join(errors), file=sys.stderr, flush=True)


def longest_first(paths: list[Path], out_dir: Path) -> list[Path]:
    """`paths` ordered by the seconds each took in the last run, longest first
    (unknown ones first of all, in their order)."""
    try:
        status = json.loads((out_dir / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return paths
    seconds = {stem: float(s.get("seconds") or 0.0) for stem, s in status.items() if isinstance(s, dict)}
    return sorted(paths, key=lambda p: -seconds.get(p.stem, float("inf")))


def record_status(out_dir: Path, results: dict[str, tuple[bool, float]]) -> None:
    """Merges this run's outcome into ``out_dir/status.json`` (read by scripts/course.py)."""
    path = out_dir / "status.json"
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        status = {}
    for stem, (ok, seconds) in results.items():
        status[stem] = {"ok": ok, "seconds": round(seconds, 1)}
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(status, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def worker(queue, out_dir: Path, timeout: int, startup: int, keep: bool) -> dict[str, tuple[bool, float]]:
    """Runs notebooks from `queue` until it is empty, in one kept kernel
    (`keep`) or each in a fresh one; prints each notebook's report as it ends."""
    outcomes = {}
    kernel = Kernel(startup) if keep else None
    try:
        while True:
            try:
                path = queue.get_nowait()
            except Empty:
                break
            try:
                ok, seconds, report, errors = execute(path, out_dir, timeout, startup, kernel=kernel)
            except Exception as e:  # nbclient or the kernel manager itself failed
                ok, seconds, report, errors = False, 0.0, [f"notebooks: {shown(path)}: FAILED"], [f"notebooks: {path.name}: {e!r}"]
                if kernel is not None:
                    kernel.shutdown()
            outcomes[path.stem] = (ok, seconds)
            print("\n".join(report), flush=True)
            if errors:
                print("\n".join(errors), file=sys.stderr, flush=True)
    finally:
        if kernel is not None:
            kernel.close()
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check-only", action="store_true", help="only check that notebooks are clean")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "target" / "notebooks")
    parser.add_argument("--fresh-kernels", action="store_true",
                        help="a fresh kernel for every notebook (default: each worker keeps one, cleared between notebooks)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("NOTEBOOK_JOBS", "2")),
                        help="kernels at a time (default: NOTEBOOK_JOBS or 2)")
    args = parser.parse_args()

    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("notebooks: no notebook found under notebooks/", file=sys.stderr)
        return 1

    failed = False
    for path in paths:
        for problem in check(path):
            failed = True
            print(f"notebooks: {shown(path)}: {problem}", file=sys.stderr)
    if failed:
        print("notebooks: commit notebooks without outputs (Jupyter: Edit > Clear All Outputs)", file=sys.stderr)
        return 1
    print(f"notebooks: {len(paths)} notebook(s) clean")
    if args.check_only:
        return 0

    os.environ.setdefault("EVCXR_CONFIG_DIR", str(ROOT / "scripts" / "evcxr"))
    timeout = int(os.environ.get("NOTEBOOK_CELL_TIMEOUT", "1200"))
    startup = int(os.environ.get("NOTEBOOK_STARTUP_TIMEOUT", "120"))
    jobs = max(1, min(args.jobs, len(paths)))
    # Longest first, by the last run's times (status.json), so that two
    # kernels do not end with one long notebook running alone.
    paths = longest_first(paths, args.out_dir)
    # A failed or interrupted run must not leave an old "ok" behind.
    record_status(args.out_dir, {p.stem: (False, 0.0) for p in paths})
    start = time.monotonic()
    slots = ROOT / "target" / "evcxr"
    if jobs > 1 and not any((slots / f"slot-{n}" / "target").is_dir() for n in range(jobs)):
        prime(paths, args.out_dir, timeout, startup)
    print(f"notebooks: executing {len(paths)} notebook(s), {jobs} at a time", flush=True)
    outcomes: dict[str, tuple[bool, float]] = {}
    with multiprocessing.Manager() as manager, concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        queue = manager.Queue()
        for p in paths:
            queue.put(p)
        futures = [pool.submit(worker, queue, args.out_dir, timeout, startup, not args.fresh_kernels)
                   for _ in range(jobs)]
        for future in concurrent.futures.as_completed(futures):
            try:
                outcomes.update(future.result())
            except Exception as e:  # a crash of the worker itself, not of a cell
                print(f"notebooks: a worker crashed: {e!r}", file=sys.stderr, flush=True)
    for p in paths:  # a notebook that a crashed worker never reported
        if p.stem not in outcomes:
            outcomes[p.stem] = (False, 0.0)
            print(f"notebooks: {shown(p)}: FAILED (not run)", file=sys.stderr, flush=True)
    wall = time.monotonic() - start
    record_status(args.out_dir, outcomes)
    passed = sum(ok for ok, _ in outcomes.values())
    total = sum(s for _, s in outcomes.values())
    slowest = max(outcomes.items(), key=lambda kv: kv[1][1])
    print(f"notebooks: executed in {wall:.1f} s wall ({total:.1f} s of notebook time, {jobs} at a time; "
          f"slowest {slowest[0]} {slowest[1][1]:.1f} s)")
    print(f"notebooks: {passed} passed, {len(outcomes) - passed} failed")
    return 0 if passed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
