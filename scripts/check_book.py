#!/usr/bin/env python3
"""Check a built mdBook: no broken internal link, no missing image, no network.

    python3 scripts/check_book.py [BOOK_DIR]     (default: book/book)

Over every HTML file of the built book it resolves each relative ``href`` and
``src`` (links, images, scripts, stylesheets, media) and fails when the target
file is missing, or when a ``#fragment`` names no element id of the target
page. It also fails when the book would load anything from the network: a
script, stylesheet, image, font or frame with an absolute ``http(s)://`` or
protocol-relative ``//`` address, in HTML or in a shipped CSS file. Ordinary
outbound hyperlinks (``<a href="https://...">``) are allowed: reading the book
never follows them.

Standard library only, so it runs before any virtual environment exists.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent

# Attributes that make the browser fetch something as soon as the page loads.
FETCHING = {
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("source", "src"),
    ("source", "srcset"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("iframe", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("input", "src"),
}
LINKING = {("a", "href"), ("area", "href"), ("link", "href")} | FETCHING
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str, str]] = []  # (tag, attr, value, rel)
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        for attr, value in a.items():
            if (tag, attr) in LINKING and value:
                self.refs.append((tag, attr, value, a.get("rel", "")))
        if a.get("style"):
            self.inline_css.append(a["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.inline_css.append(data)


def is_remote(url: str) -> bool:
    return bool(urlsplit(url).scheme) or url.startswith("//")


def fetches_on_load(tag: str, attr: str, rel: str) -> bool:
    if (tag, attr) in FETCHING:
        return True
    if tag == "link":
        # Hyperlink-only relations (canonical, alternate, ...) are not loaded.
        return bool(set(rel.lower().split()) & {"stylesheet", "icon", "preload", "prefetch", "modulepreload", "manifest", "apple-touch-icon"})
    return False


def main() -> int:
    book = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "book" / "book"
    book = book.resolve()
    html_files = sorted(book.rglob("*.html"))
    if not html_files:
        print(f"check-book: no HTML under {book}; build the book first", file=sys.stderr)
        return 1

    pages: dict[Path, Page] = {}
    for path in html_files:
        page = Page()
        page.feed(path.read_text(encoding="utf-8"))
        pages[path] = page

    errors: list[str] = []
    checked = 0

    def where(path: Path) -> str:
        return str(path.relative_to(book))

    for path, page in pages.items():
        for tag, attr, value, rel in page.refs:
            urls = [u.strip().split()[0] for u in value.split(",") if u.strip()] if attr == "srcset" else [value]
            for url in urls:
                if url.startswith(("mailto:", "javascript:", "data:", "tel:")):
                    continue
                if is_remote(url):
                    if fetches_on_load(tag, attr, rel):
                        errors.append(f"{where(path)}: <{tag} {attr}> loads from the network: {url}")
                    continue
                checked += 1
                parts = urlsplit(url)
                target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_file():
                    errors.append(f"{where(path)}: <{tag} {attr}> points to a missing file: {url}")
                    continue
                if book not in target.parents:
                    errors.append(f"{where(path)}: <{tag} {attr}> points outside the book: {url}")
                    continue
                frag = unquote(parts.fragment)
                if frag and target.suffix == ".html" and frag not in pages[target].ids:
                    errors.append(f"{where(path)}: <{tag} {attr}> names a missing anchor: {url}")
        for css in page.inline_css:
            for url in CSS_URL.findall(css):
                if is_remote(url):
                    errors.append(f"{where(path)}: inline CSS loads from the network: {url}")

    for css_file in sorted(book.rglob("*.css")):
        for url in CSS_URL.findall(css_file.read_text(encoding="utf-8", errors="replace")):
            if url.startswith("data:"):
                continue
            if is_remote(url):
                errors.append(f"{where(css_file)}: CSS loads from the network: {url}")
            elif not (css_file.parent / unquote(urlsplit(url).path)).resolve().is_file():
                errors.append(f"{where(css_file)}: CSS points to a missing file: {url}")

    for e in errors:
        print(f"check-book: {e}", file=sys.stderr)
    print(f"check-book: {len(html_files)} pages, {checked} internal references, {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
