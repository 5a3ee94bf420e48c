#!/usr/bin/env python3
"""The course engine: book chapters generated from the executed notebooks.

    python3 scripts/course.py write  [NOTEBOOK ...]   regenerate chapters + figures + chapter lists (make course)
    python3 scripts/course.py check  [NOTEBOOK ...]   fail when a committed chapter is stale (make test)
    python3 scripts/course.py static                  checks that need no execution (make test, first)
    python3 scripts/course.py lists [--write]         the chapter lists of README.md and the introduction

Each lesson is written once, as the Evcxr notebook ``notebooks/NN-name.ipynb``.
``scripts/run_notebooks.py`` executes it into ``target/notebooks/NN-name.ipynb``;
from that executed copy this script writes the chapter ``book/src/NN-name.md``:

* markdown cells as written (``$…$``/``$$…$$`` math is left to mdbook-katex;
  a link to ``other.ipynb`` becomes a link to ``other.md``);
* code cells as ```` ```rust ```` blocks, Evcxr commands such as the
  ``:dep quad-vs-grad = { path = ".." }`` line included, so a chapter shows
  once how the crate is loaded;
* ``stream`` output (stdout, and stderr of a cell tagged ``allow-stderr``) and
  ``text/plain`` results as ```` ```text ```` blocks; ``text/html`` results
  (tables) as raw HTML in a ``<div class="cell-output">``, blank lines removed
  so that Markdown does not end the HTML block early;
* ``image/png``, ``image/gif`` and ``image/svg+xml`` results as files under
  ``book/src/figures/NN-name/`` (``figure-1.png``, ``figure-2.gif``, …, or the
  name given by the cell's ``"figure"`` metadata), linked with the cell's
  ``"caption"`` metadata as alternative text.

The chapter starts with an HTML comment saying it is generated and from which
notebook. Cell tags: ``remove-cell`` (the cell is not in the chapter),
``remove-input`` (only its outputs are), ``remove-output`` (only its code is),
``volatile`` (its outputs are shown but excluded from the staleness check),
``tolerant`` (its outputs' numbers are compared within ``NUMBER_TOLERANCE``).

What "stale" means
------------------
``check`` regenerates every chapter in memory from the executed notebook and
compares it with the committed one. A chapter is stale when

* its text differs, after the outputs of ``volatile`` cells (wall times,
  timings, anything machine-dependent a cell prints) are replaced by a
  placeholder on both sides: every other output, and all code and prose, must
  match exactly. Cells print numbers with a fixed number of decimals, so the
  last bits of a float cannot change the text. The crate computes the same
  bits on every x86-64 machine (README, "Reproducibility"), except argmin's
  own solvers where OpenBLAS's kernels cannot be pinned (a CPU without AVX2):
  a cell whose output quotes them is tagged ``tolerant``, and there the text
  around the numbers must match exactly while each number may differ by
  ``NUMBER_TOLERANCE`` (1 %) of its size;
* a figure is missing, has a different format or size, or differs in pixels:
  PNG figures are decoded and compared pixel by pixel, and count as the same
  when at most ``PIXEL_TOLERANCE`` (0.1 %) of their pixels differ by more than
  ``CHANNEL_TOLERANCE`` (32 of 255) in some channel, so anti-aliasing noise
  from another machine's floating point cannot fail the check while a moved
  curve or a new panel does; GIF animations are compared by size and number of
  frames (their frames are not decoded); SVG figures by their width, height and
  number of elements; figures of ``volatile`` cells only have to exist;
* the chapter's figure folder holds a file that the notebook no longer makes.

``write`` rewrites a chapter only when it is stale by that definition (or with
``--force``), and keeps a committed figure's bytes when the new one is the
same within the tolerance, so regenerating on another machine does not churn
files. Nothing here reads wall time.

``static`` checks what needs no kernel: every notebook has an entry in
``book/src/SUMMARY.md`` and every non-draft ``NN-*.md`` entry a notebook, the
chapter lists in README.md and book/src/introduction.md are current, and every
committed chapter (except the tour, ``00-tour``, which is the introduction's
companion rather than a lesson) has its goal line, summary and exercises:

* a ``**Goal.**`` paragraph right after the chapter's ``#`` title;
* a ``## Summary`` section with content;
* a ``## Exercises`` section with at least two numbered items (``1.``, ``2.``),
  each naming a crate call in backticks and carrying a hint as
  ``<details><summary>Hint</summary>`` … ``</details>`` and, after it, the
  answer as ``<details><summary>Answer</summary>`` … ``</details>`` (the hint
  helps without giving the answer away; the answer quotes the numbers, which
  ``tests/course/chNN.rs`` pins).

Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import difflib
import json
import re
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "target" / "notebooks"
BOOK_SRC = ROOT / "book" / "src"
SUMMARY = BOOK_SRC / "SUMMARY.md"
README = ROOT / "README.md"
PINS = ROOT / "tests" / "course"
LESSONS = ROOT / "src" / "lessons"
INTRODUCTION = BOOK_SRC / "introduction.md"

LINT_EXEMPT = {"00-tour"}
PIXEL_TOLERANCE = 0.001
CHANNEL_TOLERANCE = 32
VOLATILE_BEGIN = "<!-- volatile output: not compared by `make test` -->"
VOLATILE_END = "<!-- end of volatile output -->"
VOLATILE_PLACEHOLDER = "[volatile output]"
TOLERANT_BEGIN = "<!-- tolerant output: its numbers are compared within 1 % by `make test` -->"
TOLERANT_END = "<!-- end of tolerant output -->"
NUMBER_TOLERANCE = 0.01
NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
LIST_BEGIN = "<!-- course-chapters: generated by `make course` from book/src/SUMMARY.md and notebooks/; do not edit -->"
LIST_END = "<!-- end of course-chapters -->"
IMAGE_TYPES = {"image/png": "png", "image/gif": "gif", "image/svg+xml": "svg"}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
FIGURE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
HINT_OPEN = "<details><summary>Hint</summary>"
ANSWER_OPEN = "<details><summary>Answer</summary>"
SAFE_FLAGS = {"--force"}


class CourseError(Exception):
    """A problem the user must fix, with a message saying how."""


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def text_of(value) -> str:
    """nbformat stores multi-line strings either whole or as a list of lines."""
    return "".join(value) if isinstance(value, list) else (value or "")


def tags_of(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


# --------------------------------------------------------------------------
# Rendering


@dataclasses.dataclass
class Figure:
    """One figure file of a chapter: its name under the chapter's figure folder."""

    name: str
    data: bytes
    volatile: bool


@dataclasses.dataclass
class Rendered:
    stem: str
    text: str
    figures: list[Figure]


def header(stem: str) -> str:
    return (
        f"<!-- Generated by scripts/course.py from notebooks/{stem}.ipynb (executed): do not edit by hand.\n"
        f"     Edit the notebook, then run `make course`. -->"
    )


def fence_for(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    return "`" * max(3, longest + 1)


def code_block(text: str, lang: str) -> str:
    fence = fence_for(text)
    return f"{fence}{lang}\n{text}\n{fence}"


def clean_text_output(text: str) -> str:
    text = ANSI.sub("", text)
    lines = []
    for line in text.split("\n"):
        lines.append(line.rsplit("\r", 1)[-1].rstrip())
    return "\n".join(lines).strip("\n")


def mdbook_rust(source: str) -> str:
    """mdBook hides lines of a Rust block that start with `# `; escape them as `##`."""
    out = []
    for line in source.split("\n"):
        stripped = line.lstrip()
        if stripped == "#" or stripped.startswith("# ") or stripped.startswith("##"):
            indent = line[: len(line) - len(stripped)]
            line = f"{indent}#{stripped}"
        out.append(line.rstrip())
    return "\n".join(out).strip("\n")


IPYNB_LINK = re.compile(r"\]\((?:\./)?([A-Za-z0-9_-]+)\.ipynb((?:#[^)\s]*)?)\)")


def render_markdown(source: str) -> str:
    return IPYNB_LINK.sub(r"](\1.md\2)", source.strip("\n"))


def html_block(html: str) -> str:
    lines = [l.rstrip() for l in html.split("\n") if l.strip()]
    return '<div class="cell-output">\n' + "\n".join(lines) + "\n</div>"


def image_bytes(mime: str, value) -> bytes:
    if mime == "image/svg+xml":
        return text_of(value).encode("utf-8")
    return base64.b64decode(re.sub(r"\s+", "", text_of(value)))


def render(nb: dict, stem: str) -> Rendered:
    """The chapter for an executed notebook: Markdown text and figure files."""
    blocks: list[str] = [header(stem)]
    figures: list[Figure] = []
    used_names: set[str] = set()
    for index, cell in enumerate(nb.get("cells", [])):
        tags = tags_of(cell)
        if "remove-cell" in tags:
            continue
        source = text_of(cell.get("source"))
        kind = cell.get("cell_type")
        if kind == "markdown":
            if source.strip():
                blocks.append(render_markdown(source))
            continue
        if kind != "code":
            continue
        if "remove-input" not in tags and source.strip():
            blocks.append(code_block(mdbook_rust(source), "rust"))
        if "remove-output" in tags:
            continue
        volatile = "volatile" in tags
        out_blocks: list[str] = []
        for out in merged_streams(cell.get("outputs", [])):
            kind_out = out.get("output_type")
            if kind_out == "stream":
                text = clean_text_output(text_of(out.get("text")))
                if text:
                    out_blocks.append(code_block(text, "text"))
            elif kind_out in ("display_data", "execute_result"):
                block = render_display(out.get("data", {}), cell, index, stem, figures, used_names, volatile)
                if block:
                    out_blocks.append(block)
            elif kind_out == "error":
                raise CourseError(
                    f"notebooks/{stem}.ipynb: cell {index} has an error output; fix the notebook "
                    "(a chapter is only generated from a notebook that ran cleanly)"
                )
        if out_blocks:
            if volatile:
                out_blocks = [VOLATILE_BEGIN, *out_blocks, VOLATILE_END]
            elif "tolerant" in tags:
                out_blocks = [TOLERANT_BEGIN, *out_blocks, TOLERANT_END]
            blocks.extend(out_blocks)
    return Rendered(stem, "\n\n".join(blocks) + "\n", figures)


def merged_streams(outputs: list[dict]) -> list[dict]:
    merged: list[dict] = []
    for out in outputs:
        if (
            out.get("output_type") == "stream"
            and merged
            and merged[-1].get("output_type") == "stream"
            and merged[-1].get("name") == out.get("name")
        ):
            merged[-1] = {**merged[-1], "text": text_of(merged[-1]["text"]) + text_of(out.get("text"))}
        else:
            merged.append(out)
    return merged


def render_display(data: dict, cell: dict, index: int, stem: str, figures: list[Figure],
                   used_names: set[str], volatile: bool) -> str | None:
    for mime, ext in IMAGE_TYPES.items():
        if mime in data:
            meta = cell.get("metadata", {})
            base = meta.get("figure") or f"figure-{len(figures) + 1}"
            if not FIGURE_NAME.match(base):
                raise CourseError(
                    f"notebooks/{stem}.ipynb: cell {index}: figure name {base!r} must be lower-case letters, digits and '-'"
                )
            name = f"{base}.{ext}"
            k = 2
            while name in used_names:
                name, k = f"{base}-{k}.{ext}", k + 1
            used_names.add(name)
            figures.append(Figure(name, image_bytes(mime, data[mime]), volatile))
            alt = " ".join(str(meta.get("caption") or f"Figure {len(figures)}: output of the code above").split())
            alt = alt.replace("[", "(").replace("]", ")")
            return f"![{alt}](figures/{stem}/{name})"
    if "text/html" in data:
        return html_block(text_of(data["text/html"]))
    if "text/markdown" in data:
        return text_of(data["text/markdown"]).strip("\n")
    if "text/plain" in data:
        text = clean_text_output(text_of(data["text/plain"]))
        return code_block(text, "text") if text else None
    return None


# --------------------------------------------------------------------------
# Comparison


def normalise(text: str) -> str:
    """The chapter with every volatile output replaced by a placeholder."""
    pattern = re.compile(re.escape(VOLATILE_BEGIN) + r".*?" + re.escape(VOLATILE_END), re.S)
    return pattern.sub(VOLATILE_PLACEHOLDER, text)


def split_tolerant(text: str) -> tuple[str, list[str]]:
    """The text with every number of a tolerant output replaced by `#`, and those numbers."""
    numbers: list[str] = []

    def block(m: re.Match) -> str:
        def number(n: re.Match) -> str:
            numbers.append(n.group(0))
            return "#"
        return NUMBER.sub(number, m.group(0))

    pattern = re.compile(re.escape(TOLERANT_BEGIN) + r".*?" + re.escape(TOLERANT_END), re.S)
    return pattern.sub(block, text), numbers


def numbers_differ(committed: list[str], rendered: list[str]) -> str | None:
    """The first pair of numbers further apart than NUMBER_TOLERANCE, if any."""
    for a, b in zip(committed, rendered):
        x, y = float(a), float(b)
        if x != y and not abs(x - y) <= NUMBER_TOLERANCE * max(abs(x), abs(y)):
            return f"a tolerant output's number moved by more than {NUMBER_TOLERANCE:.0%}: {a} -> {b}"
    return None


def first_difference(committed: str, fresh: str, name: str) -> str:
    diff = list(difflib.unified_diff(committed.splitlines(), fresh.splitlines(),
                                     f"{name} (committed)", f"{name} (from the notebook)", n=1, lineterm=""))
    shown = diff[:14]
    if len(diff) > len(shown):
        shown.append(f"    ... ({len(diff) - len(shown)} more diff lines)")
    return "\n".join("    " + l for l in shown)


def png_pixels(data: bytes) -> tuple[int, int, int, list[bytes]] | None:
    """Decodes an 8-bit, non-interlaced PNG: (width, height, channels, rows). None if unsupported."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos, idat, palette = 8, [], None
    width = height = channels = 0
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos: pos + 4])
        ctype = data[pos + 4: pos + 8]
        body = data[pos + 8: pos + 8 + length]
        pos += 12 + length
        if ctype == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace != 0 or color not in (0, 2, 3, 4, 6):
                return None
            channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
        elif ctype == b"PLTE":
            palette = body
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        line = bytearray(raw[start + 1: start + 1 + stride])
        bpp = channels
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    if palette is not None and channels == 1 and color == 3:
        rows = [b"".join(palette[3 * v: 3 * v + 3] for v in row) for row in rows]
        channels = 3
    return width, height, channels, rows


def gif_shape(data: bytes) -> tuple[int, int, int] | None:
    """(width, height, frames) of a GIF, by walking its blocks without decoding them."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        return None
    width, height, flags = struct.unpack("<HHB", data[6:11])
    pos = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    frames = 0

    def skip_sub_blocks(p: int) -> int:
        while p < len(data) and data[p] != 0:
            p += data[p] + 1
        return p + 1

    while pos < len(data):
        kind = data[pos]
        if kind == 0x3B:
            break
        if kind == 0x21:
            pos = skip_sub_blocks(pos + 2)
        elif kind == 0x2C:
            frames += 1
            lflags = data[pos + 9]
            pos += 10 + (3 * (2 << (lflags & 7)) if lflags & 0x80 else 0)
            pos = skip_sub_blocks(pos + 1)
        else:
            return None
    return width, height, frames


def svg_shape(data: bytes) -> tuple[str, str, int]:
    text = data.decode("utf-8", errors="replace")
    root = re.search(r"<svg\b[^>]*>", text)
    attrs = root.group(0) if root else ""
    get = lambda k: (re.search(rf'\b{k}="([^"]*)"', attrs) or [None, ""])[1]
    return get("width"), get("height"), len(re.findall(r"<[A-Za-z]", text))


def image_difference(old: bytes, new: bytes, name: str) -> str | None:
    """Why two figure files are not the same figure, or None (see the module doc)."""
    if old == new:
        return None
    ext = name.rsplit(".", 1)[-1]
    if ext == "png":
        a, b = png_pixels(old), png_pixels(new)
        if a is None or b is None:
            return "not a PNG this script can decode (8-bit, non-interlaced)"
        if a[:2] != b[:2]:
            return f"size {a[0]}×{a[1]} committed, {b[0]}×{b[1]} now"
        if a[2] != b[2]:
            return f"{a[2]} channels committed, {b[2]} now"
        width, height, channels, rows_a = a
        rows_b = b[3]
        changed = 0
        for ra, rb in zip(rows_a, rows_b):
            if ra == rb:
                continue
            for x in range(0, width * channels, channels):
                for c in range(channels):
                    if abs(ra[x + c] - rb[x + c]) > CHANNEL_TOLERANCE:
                        changed += 1
                        break
        fraction = changed / max(1, width * height)
        if fraction > PIXEL_TOLERANCE:
            return f"{changed} pixels ({100 * fraction:.2f}%) differ, more than the {100 * PIXEL_TOLERANCE:.1f}% tolerated"
        return None
    if ext == "gif":
        a, b = gif_shape(old), gif_shape(new)
        if a is None or b is None:
            return "not a GIF"
        if a != b:
            return f"{a[0]}×{a[1]} with {a[2]} frames committed, {b[0]}×{b[1]} with {b[2]} frames now"
        return None
    if ext == "svg":
        a, b = svg_shape(old), svg_shape(new)
        if a != b:
            return f"SVG width, height, elements {a} committed, {b} now"
        return None
    return "differs"


# --------------------------------------------------------------------------
# Notebooks, executed copies, chapters


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise CourseError(f"cannot read {rel(path)}: {e}") from e


def cell_signature(nb: dict) -> list[tuple]:
    """What decides a run's outputs: the code cells, in order. Markdown cells
    do not run, so prose can change without a new run."""
    return [text_of(c.get("source")) for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def executed_copy(notebook: Path, executed_dir: Path) -> dict:
    """The executed copy of `notebook`, checked to be a clean run of its current code
    cells, with the notebook's markdown cells and cell metadata (tags, figure,
    caption) as they are now."""
    stem = notebook.stem
    path = executed_dir / notebook.name
    status_file = executed_dir / "status.json"
    status = read_json(status_file) if status_file.exists() else {}
    if not path.exists() or stem not in status:
        raise CourseError(f"{rel(notebook)} has not been executed; run `make course` (or `make notebooks`)")
    if not status[stem].get("ok"):
        raise CourseError(f"{rel(notebook)} failed when executed; fix it, then run `make course`")
    nb, source = read_json(path), read_json(notebook)
    if cell_signature(nb) != cell_signature(source):
        raise CourseError(
            f"{rel(path)} was executed from an older version of {rel(notebook)}; run `make course`"
        )
    # Prose, tags and figure metadata only decide how outputs are shown: take
    # them from the notebook as it is now, so changing them needs no new run.
    ran = iter(c for c in nb["cells"] if c.get("cell_type") == "code")
    cells = []
    for cell in source["cells"]:
        if cell.get("cell_type") == "code":
            executed = dict(next(ran))
            executed["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k != "execution"}
            cells.append(executed)
        else:
            cells.append(cell)
    nb["cells"] = cells
    return nb


def chapter_path(stem: str, book_src: Path) -> Path:
    return book_src / f"{stem}.md"


def stale_reasons(rendered: Rendered, book_src: Path) -> list[str]:
    """Why the committed chapter differs from `rendered` (empty when it is current)."""
    chapter = chapter_path(rendered.stem, book_src)
    if not chapter.exists():
        return [f"{rel(chapter)} does not exist"]
    reasons = []
    committed = chapter.read_text(encoding="utf-8")
    old, old_numbers = split_tolerant(normalise(committed))
    new, new_numbers = split_tolerant(normalise(rendered.text))
    if old != new:
        reasons.append(f"{rel(chapter)} differs from what the notebook gives now:\n"
                       + first_difference(old, new, rel(chapter)))
    elif why := numbers_differ(old_numbers, new_numbers):
        reasons.append(f"{rel(chapter)}: {why}")
    fig_dir = book_src / "figures" / rendered.stem
    wanted = {f.name for f in rendered.figures}
    for fig in rendered.figures:
        path = fig_dir / fig.name
        if not path.exists():
            reasons.append(f"{rel(path)} does not exist")
        elif not fig.volatile and (why := image_difference(path.read_bytes(), fig.data, fig.name)):
            reasons.append(f"{rel(path)}: {why}")
    if fig_dir.is_dir():
        for path in sorted(fig_dir.iterdir()):
            if path.name not in wanted:
                reasons.append(f"{rel(path)} is no longer made by the notebook")
    return reasons


def write_chapter(rendered: Rendered, book_src: Path) -> list[str]:
    """Writes the chapter and its figures; returns the files it changed."""
    changed = []
    chapter = chapter_path(rendered.stem, book_src)
    if not chapter.exists() or chapter.read_text(encoding="utf-8") != rendered.text:
        chapter.write_text(rendered.text, encoding="utf-8")
        changed.append(rel(chapter))
    fig_dir = book_src / "figures" / rendered.stem
    wanted = {f.name for f in rendered.figures}
    if rendered.figures:
        fig_dir.mkdir(parents=True, exist_ok=True)
    for fig in rendered.figures:
        path = fig_dir / fig.name
        if path.exists():
            old = path.read_bytes()
            if old == fig.data or (not fig.volatile and image_difference(old, fig.data, fig.name) is None):
                continue
        path.write_bytes(fig.data)
        changed.append(rel(path))
    if fig_dir.is_dir():
        for path in sorted(fig_dir.iterdir()):
            if path.name not in wanted:
                path.unlink()
                changed.append(f"{rel(path)} (removed)")
        if not any(fig_dir.iterdir()):
            fig_dir.rmdir()
    return changed


# --------------------------------------------------------------------------
# SUMMARY.md, chapter lists, lint


@dataclasses.dataclass
class Entry:
    title: str
    target: str  # "" for a draft entry


SUMMARY_ENTRY = re.compile(r"^\s*[-*]\s+\[([^\]]+)\]\(([^)]*)\)\s*$")


def summary_entries(summary: Path) -> list[Entry]:
    entries = []
    for line in summary.read_text(encoding="utf-8").splitlines():
        if m := SUMMARY_ENTRY.match(line):
            entries.append(Entry(m.group(1), m.group(2).strip()))
    return entries


def notebook_paths(notebooks_dir: Path) -> list[Path]:
    return sorted(notebooks_dir.glob("*.ipynb"))


def is_generated(path: Path) -> bool:
    try:
        return path.read_text(encoding="utf-8").startswith("<!-- Generated by scripts/course.py")
    except OSError:
        return False


def summary_problems(summary: Path, notebooks_dir: Path, book_src: Path) -> list[str]:
    entries = summary_entries(summary)
    targets = {e.target for e in entries if e.target}
    problems = []
    stems = {p.stem for p in notebook_paths(notebooks_dir)}
    for stem in sorted(stems):
        if f"{stem}.md" not in targets:
            problems.append(
                f"notebooks/{stem}.ipynb has no entry in book/src/SUMMARY.md: add `- [Title]({stem}.md)` "
                "(replacing its draft entry `- [Title]()`)"
            )
    for target in sorted(targets):
        md = book_src / target
        if re.match(r"^\d\d-[\w-]+\.md$", target) and Path(target).stem not in stems:
            problems.append(f"book/src/SUMMARY.md lists {target}, but notebooks/{Path(target).stem}.ipynb does not exist")
        elif is_generated(md) and Path(target).stem not in stems:
            problems.append(f"{rel(md)} is generated, but its notebook is gone")
    for md in sorted(book_src.glob("*.md")):
        if is_generated(md) and md.name not in targets:
            problems.append(f"{rel(md)} is generated but not listed in book/src/SUMMARY.md")
    return problems


def lesson_name(stem: str) -> str:
    """`03-momentum` -> `momentum`: the lesson module of a notebook."""
    return re.sub(r"^\d\d-", "", stem).replace("-", "_")


def lesson_problems(notebooks_dir: Path, pins_dir: Path, lessons_dir: Path) -> list[str]:
    """A lesson is four things: its notebook, its pins (`tests/course/chNN.rs`,
    declared in `tests/course/main.rs`), its SUMMARY line (checked by
    `summary_problems`) and, when it has library code, its lesson module
    (`src/lessons/<name>.rs` or `src/lessons/<name>/mod.rs`). A notebook
    imports the prelude and its own lesson module, nothing else, and every
    lesson module belongs to a notebook."""
    problems = []
    main = pins_dir / "main.rs"
    declared = set(re.findall(r"^mod (ch\d\d);", main.read_text(encoding="utf-8"), flags=re.M)) if main.exists() else set()
    names = set()
    for nb in notebook_paths(notebooks_dir):
        nn, name = nb.stem[:2], lesson_name(nb.stem)
        names.add(name)
        pins = pins_dir / f"ch{nn}.rs"
        if not pins.exists():
            problems.append(f"{rel(nb)} has no pins: add {rel(pins)} (the numbers its prose quotes) "
                            f"and `mod ch{nn};` to {rel(main)}")
        elif f"ch{nn}" not in declared:
            problems.append(f"{rel(pins)} is not declared: add `mod ch{nn};` to {rel(main)}")
        try:
            cells = json.loads(nb.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, json.JSONDecodeError) as e:
            problems.append(f"{rel(nb)} cannot be read: {e}")
            continue
        code = "\n".join("".join(c.get("source", [])) for c in cells if c.get("cell_type") == "code")
        allowed = {"quad_vs_grad::prelude::*", f"quad_vs_grad::lessons::{name}::*"}
        for use in re.findall(r"^\s*use\s+(quad_vs_grad::[^;]+);", code, flags=re.M):
            use = re.sub(r"\s+", "", use)
            if use not in allowed:
                problems.append(f"{rel(nb)} imports `{use}`: a notebook imports `quad_vs_grad::prelude::*` "
                                f"and its own lesson, `quad_vs_grad::lessons::{name}::*` (re-export there "
                                "what it borrows)")
        module = [lessons_dir / f"{name}.rs", lessons_dir / name / "mod.rs"]
        if re.search(rf"quad_vs_grad::lessons::{name}::\*", code) and not any(m.exists() for m in module):
            problems.append(f"{rel(nb)} imports lessons::{name}, but src/lessons/{name}.rs "
                            f"(or src/lessons/{name}/mod.rs) does not exist")
    if lessons_dir.is_dir():
        for p in sorted(lessons_dir.iterdir()):
            mod = p.stem if p.suffix == ".rs" else p.name
            if mod in ("mod", "checks", "explorables") or (p.suffix != ".rs" and not p.is_dir()):
                continue
            if mod not in names:
                problems.append(f"src/lessons/{p.name} belongs to no notebook (expected notebooks/NN-"
                                f"{mod.replace('_', '-')}.ipynb)")
    return problems


def strip_code(text: str) -> str:
    """The Markdown without fenced code blocks (so `# comment` lines are not headings)."""
    out, fence = [], None
    for line in text.split("\n"):
        m = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence is None and m:
            fence = m.group(1)
            out.append("")
            continue
        if fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) <= {fence[0]}:
                fence = None
            out.append("")
            continue
        out.append(line)
    return "\n".join(out)


def goal_of(text: str) -> str:
    """The chapter's goal sentence, or the first sentence after its title."""
    prose = strip_code(re.sub(r"<!--.*?-->", "", text, flags=re.S))
    m = re.search(r"^#\s+.+\n+((?:[^\n#].*\n?)+)", prose, re.M)
    if not m:
        return ""
    para = " ".join(m.group(1).split())
    if para.startswith("**Goal.**"):
        return para[len("**Goal.**"):].strip()
    sentence = re.match(r"(.+?[.!?])(\s|$)", para)
    return sentence.group(1) if sentence else para


def title_of(text: str) -> str:
    m = re.search(r"^#\s+(.+)$", strip_code(text), re.M)
    return m.group(1).strip() if m else ""


def lint(text: str, name: str) -> list[str]:
    """Goal line, summary and exercises of a generated chapter (see the module doc)."""
    problems = []
    prose = strip_code(re.sub(r"<!--.*?-->", "", text, flags=re.S))
    m = re.search(r"^#\s+.+\n+(.*)", prose, re.M)
    if not m:
        problems.append(f"{name}: no `# Title` heading")
    elif not re.match(r"\*\*Goal\.\*\*\s+\S", m.group(1)):
        problems.append(f"{name}: the paragraph after the title must start with `**Goal.**` and state the goal in one sentence")
    sections = {}
    heads = list(re.finditer(r"^##\s+(.+?)\s*$", prose, re.M))
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(prose)
        sections.setdefault(h.group(1), prose[h.end(): end])
    if not sections.get("Summary", "").strip():
        problems.append(f"{name}: no `## Summary` section with content")
    exercises = sections.get("Exercises")
    if exercises is None:
        problems.append(f"{name}: no `## Exercises` section")
        return problems
    if "Summary" in sections and list(sections).index("Exercises") < list(sections).index("Summary"):
        problems.append(f"{name}: `## Exercises` must come after `## Summary`")
    items = re.split(r"^\d+\.\s", exercises, flags=re.M)[1:]
    if len(items) < 2:
        problems.append(f"{name}: `## Exercises` has {len(items)} numbered exercise(s), at least 2 wanted")
    for k, item in enumerate(items, 1):
        if HINT_OPEN not in item or "</details>" not in item:
            problems.append(f"{name}: exercise {k} has no hint `{HINT_OPEN}` … `</details>`")
        elif not has_answer_after_hint(item):
            problems.append(
                f"{name}: exercise {k} has no answer `{ANSWER_OPEN}` … `</details>` after its hint; "
                "keep the numbers out of the hint and put them there"
            )
        question = item.split(HINT_OPEN, 1)[0]
        if not re.search(r"`[^`\n]+`", question):
            problems.append(f"{name}: exercise {k} names no crate call in backticks (e.g. `XorProblem::hessian`)")
    return problems


def has_answer_after_hint(item: str) -> bool:
    """Whether an exercise's answer block follows its (closed) hint block."""
    _, _, after_hint = item.partition(HINT_OPEN)
    hint_end = after_hint.find("</details>")
    if hint_end < 0:
        return False
    rest = after_hint[hint_end + len("</details>"):]
    answer = rest.find(ANSWER_OPEN)
    return answer >= 0 and "</details>" in rest[answer + len(ANSWER_OPEN):]


def chapter_list(book_src: Path, summary: Path, for_readme: bool) -> str:
    entries = summary_entries(summary)
    written, drafts = [], []
    for e in entries:
        if not e.target:
            drafts.append(e.title)
            continue
        md = book_src / e.target
        if not is_generated(md):
            continue
        text = md.read_text(encoding="utf-8")
        written.append((e.title, Path(e.target).stem, goal_of(text)))
    lines = [LIST_BEGIN]
    if for_readme:
        lines += ["| chapter | notebook | goal |", "|---|---|---|"]
        lines += [f"| [{t}](book/src/{s}.md) | [`notebooks/{s}.ipynb`](notebooks/{s}.ipynb) | {g} |" for t, s, g in written]
    else:
        lines += ["| chapter | notebook | goal |", "|---|---|---|"]
        lines += [f"| [{t}]({s}.md) | `notebooks/{s}.ipynb` | {g} |" for t, s, g in written]
    if drafts:
        lines += ["", "Still to be written: " + "; ".join(drafts) + "."]
    lines.append(LIST_END)
    return "\n".join(lines)


def with_list(text: str, block: str, name: str) -> str:
    start, end = text.find(LIST_BEGIN), text.find(LIST_END)
    if start < 0 or end < start:
        raise CourseError(f"{name} has no chapter list markers ({LIST_BEGIN} … {LIST_END}); put them back where the list goes")
    return text[:start] + block + text[end + len(LIST_END):]


def list_targets() -> list[tuple[Path, bool]]:
    return [(README, True), (INTRODUCTION, False)]


# --------------------------------------------------------------------------
# Commands


def selected(paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p).resolve() for p in paths]
    found = notebook_paths(NOTEBOOKS)
    if not found:
        raise CourseError("no notebook under notebooks/")
    return found


def cmd_write(args) -> int:
    failed = 0
    for notebook in selected(args.notebooks):
        try:
            rendered = render(executed_copy(notebook, args.executed), notebook.stem)
        except CourseError as e:
            print(f"course: {e}", file=sys.stderr)
            failed += 1
            continue
        if not args.force and not stale_reasons(rendered, BOOK_SRC):
            print(f"course: {rel(chapter_path(notebook.stem, BOOK_SRC))} is current, left as committed")
            continue
        changed = write_chapter(rendered, BOOK_SRC)
        for c in changed:
            print(f"course: wrote {c}")
        problems = [] if notebook.stem in LINT_EXEMPT else lint(rendered.text, rel(chapter_path(notebook.stem, BOOK_SRC)))
        for p in problems:
            print(f"course: {p}", file=sys.stderr)
        failed += bool(problems)
    failed += cmd_lists(argparse.Namespace(write=True))
    return 1 if failed else 0


def cmd_check(args) -> int:
    passed = failed = 0
    for notebook in selected(args.notebooks):
        chapter = rel(chapter_path(notebook.stem, BOOK_SRC))
        try:
            reasons = stale_reasons(render(executed_copy(notebook, args.executed), notebook.stem), BOOK_SRC)
        except CourseError as e:
            reasons = [str(e)]
        if reasons:
            failed += 1
            print(f"course: {chapter} is stale (from {rel(notebook)}):", file=sys.stderr)
            for r in reasons:
                print(f"  - {r}", file=sys.stderr)
            print(f"course: run `make course` and commit {chapter} and book/src/figures/{notebook.stem}/", file=sys.stderr)
        else:
            passed += 1
            print(f"course: {chapter} is current")
    print(f"course: {passed} passed, {failed} failed")
    return 1 if failed else 0


def cmd_lists(args) -> int:
    bad = 0
    for path, for_readme in list_targets():
        text = path.read_text(encoding="utf-8")
        try:
            new = with_list(text, chapter_list(BOOK_SRC, SUMMARY, for_readme), rel(path))
        except CourseError as e:
            print(f"course: {e}", file=sys.stderr)
            bad += 1
            continue
        if new == text:
            continue
        if args.write:
            path.write_text(new, encoding="utf-8")
            print(f"course: wrote the chapter list of {rel(path)}")
        else:
            bad += 1
            print(f"course: the chapter list of {rel(path)} is out of date; run "
                  "`python3 scripts/course.py lists --write` (or `make course`)", file=sys.stderr)
    return 1 if bad else 0


def cmd_static(args) -> int:
    problems = summary_problems(SUMMARY, NOTEBOOKS, BOOK_SRC)
    problems += lesson_problems(NOTEBOOKS, PINS, LESSONS)
    for notebook in notebook_paths(NOTEBOOKS):
        chapter = chapter_path(notebook.stem, BOOK_SRC)
        if not chapter.exists():
            problems.append(f"{rel(chapter)} does not exist; run `make course` and commit it")
        elif not is_generated(chapter):
            problems.append(f"{rel(chapter)} is not generated from {rel(notebook)}; run `make course`")
        elif notebook.stem not in LINT_EXEMPT:
            problems += lint(chapter.read_text(encoding="utf-8"), rel(chapter))
    for p in problems:
        print(f"course: {p}", file=sys.stderr)
    bad = cmd_lists(argparse.Namespace(write=False))
    n = len(notebook_paths(NOTEBOOKS))
    print(f"course: SUMMARY, chapter lists and lint of {n} chapter(s): {len(problems) + bad} problem(s)")
    return 1 if problems or bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("write", "check"):
        p = sub.add_parser(name)
        p.add_argument("notebooks", nargs="*")
        p.add_argument("--executed", type=Path, default=EXECUTED, help="folder of executed copies")
        if name == "write":
            p.add_argument("--force", action="store_true", help="rewrite even a current chapter")
    sub.add_parser("static")
    p = sub.add_parser("lists")
    p.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    try:
        return {"write": cmd_write, "check": cmd_check, "static": cmd_static, "lists": cmd_lists}[args.command](args)
    except CourseError as e:
        print(f"course: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
