#!/usr/bin/env python3
"""Draws the house from its imports and checks it.

    python3 scripts/layers.py [--graph]

Every `crate::…` path in a file of `src/` (in `use` lines and inline, code
only: comments and doc links are not dependencies) is an arrow from that
file to the module it names. The check fails when

- an arrow goes from a lower layer to a higher one (the layers are below,
  lowest first; the prelude in `lib.rs` is the top of the library, so a
  module that imports through `crate::prelude` points up), or
- the files import each other in a circle (resolved to files: an arrow to
  `crate::plot::LossGrid` counts as one to the file that defines
  `LossGrid`, not to `plot/mod.rs`, when `mod.rs` only re-exports it).

`--graph` prints the module-level arrows.
"""
import glob
import os
import re
import sys

LAYERS = [
    ["simd", "error", "fmt", "linalg"],
    ["data"],
    ["mlp"],
    ["curvature"],
    ["landscapes", "problem", "trace", "gradcheck"],
    ["solvers"],
    ["report", "outputs"],
    ["race"],
    ["plot"],
    ["lessons"],
    ["prelude"],
]
RANK = {m: i for i, layer in enumerate(LAYERS) for m in layer}
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")


def code_of(text):
    """The text without comments, string literals and unit tests (a
    `#[cfg(test)]` module may import anything of its crate)."""
    cut = re.search(r"^#\[cfg\(test\)\]\s*\n\s*(?:pub(?:\(crate\))? )?mod \w+ \{", text, flags=re.M)
    if cut:
        text = text[: cut.start()]
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'r#*"(?:.|\n)*?"#*', '""', text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def module_of(path):
    rel = os.path.relpath(path, SRC).replace(os.sep, "/")
    if rel == "lib.rs":
        return "prelude"
    return rel.split("/")[0].removesuffix(".rs")


def module_path(path):
    """`src/plot/kit/chart.rs` -> ['plot', 'kit', 'chart']."""
    rel = os.path.relpath(path, SRC).replace(os.sep, "/").removesuffix(".rs")
    parts = rel.split("/")
    if parts[-1] == "mod":
        parts = parts[:-1]
    return parts


def file_of(parts):
    """The file of module path `parts`, or None."""
    base = os.path.join(SRC, *parts)
    for cand in (base + ".rs", os.path.join(base, "mod.rs")):
        if os.path.isfile(cand):
            return os.path.normpath(cand)
    return None


def imports(code, here):
    """Yields each imported module path (list of names) of `code`."""
    for m in re.finditer(r"\b(crate|super(?:::super)*)::((?:\w+::)*\w+)(::\{[^}]*\})?", code):
        head, rest, group = m.group(1), m.group(2).split("::"), m.group(3)
        if head == "crate":
            base = []
        else:
            ups = head.count("super")
            base = here[: len(here) - ups] if len(here) >= ups else []
        names = [rest]
        if group:
            names = [rest + [g.strip().split(" ")[0].split("::")[0]] for g in group[3:-1].split(",") if g.strip()]
        for n in names:
            yield base + n


REEXPORTS = {}


def reexports(path, code):
    """Records the items a module file re-exports from its children
    (`pub use child::{A, B};`) and returns the children's files."""
    here = module_path(path)
    children = set()
    for m in re.finditer(r"pub(?:\([^)]*\))?\s+use\s+(\w+)::(\{[^}]*\}|\w+)\s*;", code):
        child = m.group(1)
        if child in ("crate", "super", "self"):
            continue
        target = file_of(here + [child])
        if not target:
            continue
        children.add(target)
        for item in re.findall(r"\w+", m.group(2)):
            if item != "self":
                REEXPORTS[tuple(here + [item])] = target
    return children


def resolve(parts):
    """The file that defines what a module path names: the deepest file the
    path reaches, followed through its module's re-exports."""
    for k in range(len(parts), 0, -1):
        if tuple(parts[:k]) in REEXPORTS:
            return REEXPORTS[tuple(parts[:k])]
        f = file_of(parts[:k])
        if f:
            return f
    return None


def main():
    files = [os.path.normpath(f) for f in glob.glob(os.path.join(SRC, "**", "*.rs"), recursive=True)]
    files = [f for f in files if "/bin/" not in f.replace(os.sep, "/")]
    arrows_up, edges, mod_edges = [], {}, set()
    for f in files:
        if not f.endswith("lib.rs"):
            kids = reexports(f, code_of(open(f, encoding="utf-8").read()))
            edges.setdefault(f, set()).update(k for k in kids if k != f)
    for f in files:
        code = code_of(open(f, encoding="utf-8").read())
        if f.endswith("lib.rs"):
            code = code[code.index("pub mod prelude") :] if "pub mod prelude" in code else ""
        here = module_path(f) if not f.endswith("lib.rs") else []
        src_mod = module_of(f)
        for parts in imports(code, here):
            if not parts:
                continue
            dst_mod = "prelude" if parts[0] == "prelude" else parts[0]
            if dst_mod not in RANK or src_mod not in RANK:
                continue
            if dst_mod != src_mod:
                mod_edges.add((src_mod, dst_mod))
                if RANK[dst_mod] > RANK[src_mod]:
                    arrows_up.append((os.path.relpath(f, SRC), "::".join(parts)))
            target = resolve(parts)
            if target and target != f:
                edges.setdefault(f, set()).add(target)
    # circles between files: Tarjan's strongly connected components
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(os.path.relpath(c, SRC) for c in comp))

    for f in files:
        if f not in index:
            visit(f)
    if "--graph" in sys.argv:
        for a, b in sorted(mod_edges):
            print(f"{a} -> {b}")
    for src, dst in sorted(set(arrows_up)):
        print(f"layers: {src} imports crate::{dst}, a higher layer")
    for comp in sccs:
        print(f"layers: circle between {', '.join(comp)}")
    ok = not arrows_up and not sccs
    print(f"layers: {len(files)} files, {sum(len(v) for v in edges.values())} file arrows, "
          f"{len(set(arrows_up))} upward, {len(sccs)} circles: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
