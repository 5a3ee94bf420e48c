#!/usr/bin/env python3
"""Unit tests of the course engine (scripts/course.py), standard library only.

    python3 scripts/test_course.py        (make test runs it; prints "course-unit: N passed, N failed")

A hand-made executed notebook (markdown with math and a notebook link, the
`:dep` cell, stdout in two chunks, an HTML table, a PNG, a GIF, a volatile
cell, removed cells, an mdBook-hidden `# ` line) is rendered and compared
against what a chapter must contain; the staleness check is exercised on
text, volatile output, pixel tolerance, figure size, orphan and missing files;
the lint and the SUMMARY check on good and broken chapters.
"""

from __future__ import annotations

import base64
import json
import struct
import sys
import tempfile
import unittest
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course  # noqa: E402


def png(width: int, height: int, pixel) -> bytes:
    """An 8-bit RGB PNG whose rows use the five filter types in turn."""
    rows = [bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height)]
    raw, prev, bpp = bytearray(), bytes(3 * width), 3
    for y, row in enumerate(rows):
        ftype = y % 5
        out = bytearray()
        for i, v in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) >> 1
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out.append((v - pred) & 0xFF)
        raw += bytes([ftype]) + out
        prev = row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")


def gif(width: int, height: int, frames: int) -> bytes:
    """A GIF with a global 2-colour palette, a loop extension and `frames` 1-colour frames."""
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff")
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for _ in range(frames):
        out += b"\x21\xf9\x04\x00\x05\x00\x00\x00"  # graphic control: delay 5
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
        out += b"\x02\x02\x44\x01\x00"  # LZW min code size 2, one tiny data block
    out += b"\x3b"
    return bytes(out)


def gradient(x: int, y: int) -> tuple[int, int, int]:
    return (x * 7 % 256, y * 5 % 256, (x + y) % 256)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def code(source, outputs=(), tags=(), **meta):
    metadata = dict(meta)
    if tags:
        metadata["tags"] = list(tags)
    return {"cell_type": "code", "source": source, "metadata": metadata, "outputs": list(outputs), "execution_count": 1}


def md(source, tags=()):
    return {"cell_type": "markdown", "source": source, "metadata": {"tags": list(tags)} if tags else {}}


def stdout(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def result(data):
    return {"output_type": "execute_result", "data": data, "metadata": {}, "execution_count": 1}


def display(data):
    return {"output_type": "display_data", "data": data, "metadata": {}}


LESSON = """# 2. Gradient descent and the learning rate

**Goal.** See why the step size is bounded by $2/\\lambda_{\\max}$.

Some prose, and [the tour](00-tour.ipynb).

## Summary

- The step must stay below $2/\\lambda_{\\max}$.

## Exercises

1. Sweep the step with `GradientDescent::new`.

   <details><summary>Hint</summary>

   Try steps just below the stability limit $2/\\lambda_{\\max}$.

   </details>

   <details><summary>Answer</summary>

   The sweep's best step is $1.9/\\lambda_{\\max}$.

   </details>

2. Print `Quadratic::condition_number`.

   <details><summary>Hint</summary>

   It is $\\kappa = \\lambda_{\\max}/\\lambda_{\\min}$.

   </details>

   <details><summary>Answer</summary>

   $\\kappa = 100$.

   </details>
"""


def fixture(volatile_text="wall time 12.3 ms\n", picture=None, frames=3,
            tolerant_text="BFGS 7 steps, loss 0.6899\n") -> dict:
    picture = picture or png(40, 30, gradient)
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "rust", "display_name": "Rust", "language": "rust"}},
        "cells": [
            md(LESSON.split("## Summary")[0]),
            code(":dep quad-vs-grad = { path = \"..\" }"),
            code(["let x = 1;\n", "println!(\"x = {x}\");\n", "println!(\"done\");"],
                 [stdout("x = 1\n"), stdout("\x1b[1mdone\x1b[0m\n")]),
            code("Summary::new(&traces)",
                 [result({"text/html": "<table>\n\n<tr><td>GD</td></tr>\n\n</table>", "text/plain": "Summary"})]),
            code("paths_figure(&grid)", [display({"image/png": b64(picture), "text/plain": "Figure"})],
                 figure="paths", caption="Optimizer [paths]"),
            code("journey", [result({"image/gif": b64(gif(20, 10, frames))})]),
            code("timing()", [stdout(volatile_text)], tags=["volatile"]),
            code("bfgs()", [stdout(tolerant_text)], tags=["tolerant"]),
            code("# hidden in mdBook\nlet y = 2;"),
            code("setup()", [stdout("not shown\n")], tags=["remove-cell"]),
            code("hidden_input()", [stdout("only the output\n")], tags=["remove-input"]),
            md("Notebook-only note.", tags=["remove-cell"]),
            md("## Summary" + LESSON.split("## Summary")[1]),
        ],
    }


class Render(unittest.TestCase):
    def setUp(self):
        self.out = course.render(fixture(), "02-gd")
        self.text = self.out.text

    def test_header_names_the_notebook(self):
        self.assertTrue(self.text.startswith("<!-- Generated by scripts/course.py from notebooks/02-gd.ipynb"))
        self.assertIn("make course", self.text.split("\n")[1])

    def test_markdown_as_written_and_notebook_links_become_chapter_links(self):
        self.assertIn("**Goal.** See why the step size is bounded by $2/\\lambda_{\\max}$.", self.text)
        self.assertIn("[the tour](00-tour.md)", self.text)
        self.assertNotIn(".ipynb)", self.text)

    def test_code_cells_are_rust_blocks_and_dep_is_shown(self):
        self.assertIn('```rust\n:dep quad-vs-grad = { path = ".." }\n```', self.text)
        self.assertIn('```rust\nlet x = 1;\nprintln!("x = {x}");\nprintln!("done");\n```', self.text)

    def test_stream_chunks_merge_into_one_text_block_without_ansi(self):
        self.assertIn("```text\nx = 1\ndone\n```", self.text)

    def test_html_kept_without_blank_lines(self):
        self.assertIn('<div class="cell-output">\n<table>\n<tr><td>GD</td></tr>\n</table>\n</div>', self.text)

    def test_png_and_gif_become_linked_figure_files(self):
        names = [f.name for f in self.out.figures]
        self.assertEqual(names, ["paths.png", "figure-2.gif"])
        self.assertEqual(self.out.figures[0].data, png(40, 30, gradient))
        self.assertIn("![Optimizer (paths)](figures/02-gd/paths.png)", self.text)
        self.assertIn("![Figure 2: output of the code above](figures/02-gd/figure-2.gif)", self.text)

    def test_volatile_output_is_marked(self):
        self.assertIn(f"{course.VOLATILE_BEGIN}\n\n```text\nwall time 12.3 ms\n```\n\n{course.VOLATILE_END}", self.text)

    def test_removed_cells_and_inputs(self):
        self.assertNotIn("setup()", self.text)
        self.assertNotIn("not shown", self.text)
        self.assertNotIn("Notebook-only", self.text)
        self.assertNotIn("hidden_input()", self.text)
        self.assertIn("only the output", self.text)

    def test_hash_space_lines_are_escaped_for_mdbook(self):
        self.assertIn("```rust\n## hidden in mdBook\nlet y = 2;\n```", self.text)

    def test_error_output_refuses(self):
        nb = fixture()
        nb["cells"][2]["outputs"].append({"output_type": "error", "ename": "E", "evalue": "x", "traceback": []})
        with self.assertRaises(course.CourseError):
            course.render(nb, "02-gd")

    def test_rendered_lesson_passes_the_lint(self):
        self.assertEqual(course.lint(self.text, "02-gd.md"), [])


class Images(unittest.TestCase):
    def test_png_decoder_reads_every_filter_type(self):
        w, h, channels, rows = course.png_pixels(png(13, 11, gradient))
        self.assertEqual((w, h, channels), (13, 11, 3))
        for y in range(h):
            self.assertEqual(rows[y], bytes(c for x in range(w) for c in gradient(x, y)))

    def test_gif_shape_counts_frames(self):
        self.assertEqual(course.gif_shape(gif(20, 10, 4)), (20, 10, 4))

    def test_pixel_tolerance(self):
        base = png(100, 100, gradient)  # 10 000 pixels; the tolerance is 0.1% = 10 pixels
        nudge = lambda n, by: png(100, 100, lambda x, y: (255 - gradient(x, y)[0], 0, 0)
                                  if y == 0 and x < n else tuple(min(255, c + by) for c in gradient(x, y)))
        self.assertIsNone(course.image_difference(base, base, "a.png"))
        self.assertIsNone(course.image_difference(base, png(100, 100, lambda x, y: tuple(max(0, c - 10) for c in gradient(x, y))), "a.png"),
                          "a shift of 10/255 everywhere is within the channel tolerance")
        self.assertIsNone(course.image_difference(base, nudge(5, 0), "a.png"))
        self.assertIn("differ", course.image_difference(base, nudge(60, 0), "a.png"))
        self.assertIn("size", course.image_difference(base, png(100, 99, gradient), "a.png"))

    def test_gif_compared_by_size_and_frames(self):
        self.assertIsNone(course.image_difference(gif(20, 10, 3), gif(20, 10, 3) + b"", "j.gif"))
        self.assertIn("frames", course.image_difference(gif(20, 10, 3), gif(20, 10, 4), "j.gif"))


class Stale(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.book = Path(self.tmp.name)
        self.written = course.write_chapter(course.render(fixture(), "02-gd"), self.book)

    def tearDown(self):
        self.tmp.cleanup()

    def reasons(self, nb):
        return course.stale_reasons(course.render(nb, "02-gd"), self.book)

    def test_written_chapter_is_current(self):
        self.assertIn("02-gd.md", " ".join(self.written))
        self.assertTrue((self.book / "figures" / "02-gd" / "paths.png").exists())
        self.assertEqual(self.reasons(fixture()), [])

    def test_volatile_output_does_not_count(self):
        self.assertEqual(self.reasons(fixture(volatile_text="wall time 99.9 ms\nand more\n")), [])

    def test_tolerant_numbers_within_one_percent_do_not_count(self):
        self.assertEqual(self.reasons(fixture(tolerant_text="BFGS 7 steps, loss 0.6901\n")), [])

    def test_tolerant_numbers_beyond_one_percent_or_changed_words_count(self):
        reasons = self.reasons(fixture(tolerant_text="BFGS 8 steps, loss 0.6899\n"))
        self.assertEqual(len(reasons), 1)
        self.assertIn("7 -> 8", reasons[0])
        self.assertEqual(len(self.reasons(fixture(tolerant_text="L-BFGS 7 steps, loss 0.6899\n"))), 1)
        self.assertEqual(len(self.reasons(fixture(tolerant_text="BFGS 7 steps, loss 0.6899, 3\n"))), 1)

    def test_changed_output_counts_and_names_the_line(self):
        nb = fixture()
        nb["cells"][2]["outputs"] = [stdout("x = 2\n")]
        reasons = self.reasons(nb)
        self.assertEqual(len(reasons), 1)
        self.assertIn("02-gd.md differs", reasons[0])
        self.assertIn("+x = 2", reasons[0])

    def test_changed_prose_counts(self):
        nb = fixture()
        nb["cells"][0]["source"] += "\nOne more sentence."
        self.assertEqual(len(self.reasons(nb)), 1)

    def test_figure_noise_within_tolerance_is_current_and_keeps_committed_bytes(self):
        noisy = png(40, 30, lambda x, y: (0, 0, 0) if (x, y) == (3, 3) else gradient(x, y))  # 1 of 1200 pixels
        self.assertEqual(self.reasons(fixture(picture=noisy)), [])
        course.write_chapter(course.render(fixture(picture=noisy), "02-gd"), self.book)
        self.assertEqual((self.book / "figures/02-gd/paths.png").read_bytes(), png(40, 30, gradient))

    def test_changed_figure_counts(self):
        other = png(40, 30, lambda x, y: (255 - gradient(x, y)[0], 0, 0))
        reasons = self.reasons(fixture(picture=other))
        self.assertEqual(len(reasons), 1)
        self.assertIn("paths.png", reasons[0])
        self.assertIn("frames", self.reasons(fixture(frames=5))[0])

    def test_orphan_and_missing_files_count(self):
        (self.book / "figures/02-gd/old.png").write_bytes(b"x")
        self.assertIn("no longer made", " ".join(self.reasons(fixture())))
        (self.book / "figures/02-gd/old.png").unlink()
        (self.book / "figures/02-gd/paths.png").unlink()
        self.assertIn("paths.png does not exist", " ".join(self.reasons(fixture())))
        (self.book / "02-gd.md").unlink()
        self.assertIn("02-gd.md does not exist", " ".join(self.reasons(fixture())))

    def test_write_removes_orphans(self):
        (self.book / "figures/02-gd/old.png").write_bytes(b"x")
        course.write_chapter(course.render(fixture(), "02-gd"), self.book)
        self.assertFalse((self.book / "figures/02-gd/old.png").exists())


def text_of_cell(cell: dict) -> str:
    return course.text_of(cell.get("source"))


class ExecutedCopy(unittest.TestCase):
    def test_only_clean_runs_of_the_current_cells(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            clean = fixture()
            for c in clean["cells"]:
                if c["cell_type"] == "code":
                    c["outputs"], c["execution_count"] = [], None
            (tmp / "nb").mkdir()
            (tmp / "nb/02-gd.ipynb").write_text(json.dumps(clean))
            (tmp / "run").mkdir()
            with self.assertRaisesRegex(course.CourseError, "has not been executed"):
                course.executed_copy(tmp / "nb/02-gd.ipynb", tmp / "run")
            (tmp / "run/02-gd.ipynb").write_text(json.dumps(fixture()))
            (tmp / "run/status.json").write_text(json.dumps({"02-gd": {"ok": False}}))
            with self.assertRaisesRegex(course.CourseError, "failed"):
                course.executed_copy(tmp / "nb/02-gd.ipynb", tmp / "run")
            (tmp / "run/status.json").write_text(json.dumps({"02-gd": {"ok": True}}))
            self.assertEqual(course.executed_copy(tmp / "nb/02-gd.ipynb", tmp / "run")["cells"][2]["outputs"][0]["text"], "x = 1\n")
            clean["cells"][6]["metadata"]["tags"] = []  # metadata comes from the notebook, no new run needed
            (tmp / "nb/02-gd.ipynb").write_text(json.dumps(clean))
            self.assertEqual(course.executed_copy(tmp / "nb/02-gd.ipynb", tmp / "run")["cells"][6]["metadata"]["tags"], [])
            markdown = next(i for i, c in enumerate(clean["cells"]) if c["cell_type"] == "markdown")
            clean["cells"][markdown]["source"] += " edited"  # prose does not run: no new run needed
            clean["cells"].insert(markdown + 1, {"cell_type": "markdown", "metadata": {}, "source": "new prose"})
            (tmp / "nb/02-gd.ipynb").write_text(json.dumps(clean))
            copy = course.executed_copy(tmp / "nb/02-gd.ipynb", tmp / "run")
            self.assertTrue(text_of_cell(copy["cells"][markdown]).endswith(" edited"))
            self.assertEqual(text_of_cell(copy["cells"][markdown + 1]), "new prose")
            self.assertEqual(copy["cells"][3]["outputs"][0]["text"], "x = 1\n")
            code = next(i for i, c in enumerate(clean["cells"]) if c["cell_type"] == "code")
            clean["cells"][code]["source"] += " // edited"
            (tmp / "nb/02-gd.ipynb").write_text(json.dumps(clean))
            with self.assertRaisesRegex(course.CourseError, "older version"):
                course.executed_copy(tmp / "nb/02-gd.ipynb", tmp / "run")


class Lint(unittest.TestCase):
    def test_good_lesson(self):
        self.assertEqual(course.lint(LESSON, "x.md"), [])

    def test_missing_goal(self):
        text = LESSON.replace("**Goal.** ", "")
        self.assertIn("Goal", course.lint(text, "x.md")[0])

    def test_missing_summary(self):
        text = LESSON.replace("## Summary", "## Recap")
        self.assertTrue(any("Summary" in p for p in course.lint(text, "x.md")))

    def test_one_exercise_is_not_enough(self):
        text = LESSON.split("2. Print")[0]
        self.assertTrue(any("at least 2" in p for p in course.lint(text, "x.md")))

    def test_exercise_without_hint_or_crate_call(self):
        text = LESSON.replace("<details><summary>Hint</summary>\n\n   It is", "It is").replace("Print `Quadratic::condition_number`", "Print the condition number")
        problems = course.lint(text, "x.md")
        self.assertTrue(any("exercise 2 has no hint" in p for p in problems), problems)
        self.assertTrue(any("exercise 2 names no crate call" in p for p in problems), problems)

    def test_exercise_without_answer(self):
        text = LESSON.replace("<details><summary>Answer</summary>\n\n   $\\kappa = 100$.\n\n   </details>\n", "")
        self.assertNotEqual(text, LESSON)
        problems = course.lint(text, "x.md")
        self.assertEqual(problems, [
            "x.md: exercise 2 has no answer `<details><summary>Answer</summary>` … `</details>` after its hint; "
            "keep the numbers out of the hint and put them there"])

    def test_answer_must_follow_the_hint_and_be_closed(self):
        first, second = LESSON.split("2. Print")
        hint = "   <details><summary>Hint</summary>\n\n   Try"
        answer = "   <details><summary>Answer</summary>\n\n   The sweep's best step is $1.9/\\lambda_{\\max}$.\n\n   </details>\n"
        self.assertIn(hint, first)
        self.assertIn(answer, first)
        swapped = first.replace(answer, "").replace(hint, answer + "\n" + hint) + "2. Print" + second
        self.assertEqual([p[:30] for p in course.lint(swapped, "x.md")], ["x.md: exercise 1 has no answer"])
        unclosed = LESSON.rstrip().removesuffix("</details>") + "\n"
        self.assertTrue(any("exercise 2 has no answer" in p for p in course.lint(unclosed, "x.md")))

    def test_headings_inside_code_blocks_do_not_count(self):
        text = LESSON.replace("## Summary", "```rust\n## Summary\n```\n\n## Recap")
        self.assertTrue(any("Summary" in p for p in course.lint(text, "x.md")))

    def test_goal_sentence_for_the_chapter_lists(self):
        self.assertEqual(course.goal_of(LESSON), "See why the step size is bounded by $2/\\lambda_{\\max}$.")
        self.assertEqual(course.goal_of("<!-- x -->\n# Tour\n\nThis runs it. Then more."), "This runs it.")


class Summary(unittest.TestCase):
    def test_notebooks_and_entries_must_match(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            (tmp / "nb").mkdir()
            (tmp / "src").mkdir()
            (tmp / "nb/00-tour.ipynb").write_text("{}")
            (tmp / "nb/01-xor.ipynb").write_text("{}")
            (tmp / "src/SUMMARY.md").write_text(
                "# Summary\n\n- [Intro](introduction.md)\n- [A tour](00-tour.md)\n- [Momentum](03-momentum.md)\n- [Later]()\n")
            problems = course.summary_problems(tmp / "src/SUMMARY.md", tmp / "nb", tmp / "src")
            self.assertEqual(len(problems), 2, problems)
            self.assertIn("01-xor.ipynb has no entry", problems[0])
            self.assertIn("03-momentum.md, but notebooks/03-momentum.ipynb does not exist", problems[1])


class Lessons(unittest.TestCase):
    @staticmethod
    def notebook(*lines):
        return json.dumps({"cells": [{"cell_type": "code", "source": [l + "\n" for l in lines]}]})

    def test_a_lesson_needs_its_pins_and_imports_only_its_own_module(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            for d in ("nb", "pins", "lessons/momentum"):
                (tmp / d).mkdir(parents=True)
            (tmp / "nb/03-momentum.ipynb").write_text(self.notebook(
                "use quad_vs_grad::prelude::*;", "use quad_vs_grad::lessons::momentum::*;"))
            (tmp / "nb/04-adam.ipynb").write_text(self.notebook(
                "use quad_vs_grad::prelude::*;", "use quad_vs_grad::plot::series_figure;",
                "use quad_vs_grad::lessons::adam::*;"))
            (tmp / "lessons/momentum/mod.rs").write_text("")
            (tmp / "lessons/mod.rs").write_text("")
            (tmp / "lessons/checks.rs").write_text("")
            (tmp / "lessons/orphan.rs").write_text("")
            (tmp / "pins/main.rs").write_text("mod ch03;\n")
            (tmp / "pins/ch03.rs").write_text("")
            problems = course.lesson_problems(tmp / "nb", tmp / "pins", tmp / "lessons")
            self.assertEqual(len(problems), 4, problems)
            self.assertIn("04-adam.ipynb has no pins", problems[0])
            self.assertIn("imports `quad_vs_grad::plot::series_figure`", problems[1])
            self.assertIn("imports lessons::adam, but src/lessons/adam.rs", problems[2])
            self.assertIn("src/lessons/orphan.rs belongs to no notebook", problems[3])
            (tmp / "pins/ch04.rs").write_text("")
            problems = course.lesson_problems(tmp / "nb", tmp / "pins", tmp / "lessons")
            self.assertIn("ch04.rs is not declared", problems[0])

    def test_lesson_names_follow_the_notebook(self):
        self.assertEqual(course.lesson_name("10-cost-of-curvature"), "cost_of_curvature")
        self.assertEqual(course.lesson_name("00-tour"), "tour")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    failed = len(result.failures) + len(result.errors)
    print(f"course-unit: {result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
