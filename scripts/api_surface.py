#!/usr/bin/env python3
"""Counts the crate's public API from its rustdoc output (`cargo doc --no-deps`).

    python3 scripts/api_surface.py [target/doc/quad_vs_grad]

Prints the public modules, the items rustdoc lists on its "all items" page
(functions, types, traits, constants, ...), the inherent public methods and
associated items of those types (trait implementations excluded), and the
names the prelude re-exports. Used to measure how wide the front door is.
"""
import glob
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/doc/quad_vs_grad"
all_items = re.findall(r'<li><a href="([^"]+)">', open(os.path.join(root, "all.html")).read())
modules = [f for f in glob.glob(os.path.join(root, "**", "index.html"), recursive=True)]
methods = 0
for page in glob.glob(os.path.join(root, "**", "*.html"), recursive=True):
    if not re.search(r"/(struct|enum|trait|union)\.[^/]+\.html$", page):
        continue
    s = open(page).read()
    start = s.find('id="implementations-list"')
    if start < 0:
        continue
    end = min(i for i in (s.find('id="trait-implementations"', start),
                          s.find('id="synthetic-implementations"', start),
                          s.find('id="blanket-implementations"', start), len(s)) if i >= 0)
    methods += len(set(re.findall(r'id="(?:method|associatedconstant|associatedtype)\.([A-Za-z0-9_]+)"', s[start:end])))
lib = open(os.path.join(os.path.dirname(__file__), "..", "src", "lib.rs")).read()
block = lib[lib.index("pub mod prelude"):]
block = block[: block.index("\n}\n")]
prelude_names = 0
for use in re.findall(r"pub use ([^;]+);", block):
    inner = use[use.index("{") + 1 : use.rindex("}")] if "{" in use else use.split("::")[-1]
    prelude_names += len([n for n in inner.replace("\n", " ").split(",") if n.strip()])
print(f"modules: {len(modules)}")
print(f"items: {len(all_items)}")
print(f"inherent methods: {methods}")
print(f"total: {len(modules) + len(all_items) + methods}")
print(f"prelude names: {prelude_names}")
