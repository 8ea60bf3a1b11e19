"""The built site speaks to students, in words, and answers every question first.

Reads the HTML of every page of the built site (`mkdocs build --strict`, or the
one named by `TFCNN_SITE_DIR`) except the API reference (`api/`, where
mkdocstrings renders code signatures), takes the text of the page's article
outside code (`<pre>`, `<code>`, scripts and styles), and fails, naming the
page and the offending snippet, on:

- the words issue(s), session(s), "target met", "our bar" (any case, whole
  words): the site speaks to students, not about how it was made;
- `True` or `False` as words: a Python value printed as it is (the results
  hook shows booleans as yes/no);
- a number with seven or more decimals: a raw float (a placeholder without a
  format spec, or a number pasted by hand).

It also checks that every question id of the exercise index
(`../shared/exercises/README.md`, parsed as in `site_question_ids_test.py`)
opens its section with an admonition titled exactly "Answer"
(`!!! success "Answer"`): the box must stand between the section's heading
(the id's own anchor, or its parent's when several ids share one section, as
CT4.1-4.3 share `#ct4`) and the next heading. Ids that share a section need
one box there.

A violation that a page shows from a committed results file (a table cell, a
label, a value filled in by a placeholder) is named with that file and key
(`docs/results/bench/summary.json: effects_table.rows.2.1`), so that whoever
sees the failure knows where it comes from: a value wants a format spec in the
page's placeholder; a text wants a change in the script that writes the file
(never a hand edit of `docs/results/`).
"""

from __future__ import annotations

import functools
import html.parser
import json
import os
import re
import shutil
import tempfile
import unittest
from pathlib import Path

import tensorflow as tf
from site_browser_test import build_site, site_pages
from site_question_ids_test import EXERCISES, anchor, page_of, question_ids

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"

SKIPPED_TAGS = {"pre", "code", "script", "style", "svg", "template"}
# Hidden copies of code: mkdocs-jupyter keeps each cell's source for its copy button.
SKIPPED_CLASSES = {"clipboard-copy-txt"}
# Tags after which the text of the next element does not run on in the same word.
BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "td", "th", "tr", "table", "thead", "tbody",
    "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "summary", "details",
    "figure", "figcaption", "blockquote", "dt", "dd", "dl", "section", "img",
}  # fmt: skip
VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col"}
HEADINGS = {f"h{n}" for n in range(1, 7)}

# (label, pattern) of what the prose must not contain.
FORBIDDEN = [
    ("issue", re.compile(r"\bissues?\b", re.I)),
    ("session", re.compile(r"\bsessions?\b", re.I)),
    ('"target met"', re.compile(r"\btargets?\s+met\b", re.I)),
    ('"our bar"', re.compile(r"\bour\s+bar\b", re.I)),
    ("a Python boolean", re.compile(r"\b(?:True|False)\b")),
    ("a number with 7+ decimals", re.compile(r"(?<![\w.])\d*\.\d{7,}(?!\d)")),
]

SNIPPET = 40  # characters of context either side of a hit


class ArticleParser(html.parser.HTMLParser):
    """The article of a Material page: its prose, its headings, its Answer boxes.

    `events` lists, in document order, `("heading", level, id)` and
    `("answer",)` (an admonition whose title is exactly "Answer"); `text` is
    the article's text outside code.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []
        self.chunks: list[str] = []
        self.stack: list[tuple[str, set[str], bool]] = []  # open tags, skipped?
        self.in_article = False
        self.skip_depth = 0  # open code-like tags
        self.title: list[str] | None = None  # text of an open admonition title

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        if not self.in_article:
            if tag == "article" and "md-content__inner" in classes:
                self.in_article = True
                self.stack = [(tag, classes, False)]
            return
        if tag in BLOCK_TAGS:
            self.chunks.append("\n")
        if tag in HEADINGS and attrs.get("id"):
            self.events.append(("heading", int(tag[1]), attrs["id"]))
        if (
            tag == "p"
            and "admonition-title" in classes
            and self.stack
            and self.stack[-1][0] == "div"
            and "admonition" in self.stack[-1][1]
        ):
            self.title = []
        if tag in VOID_TAGS:
            return
        skipped = tag in SKIPPED_TAGS or bool(classes & SKIPPED_CLASSES)
        self.stack.append((tag, classes, skipped))
        if skipped:
            self.skip_depth += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if not self.in_article or tag in VOID_TAGS:
            return
        if tag not in (open_tag for open_tag, _, _ in self.stack):
            return  # a stray end tag
        # Close up to the matching open tag (HTML may leave some unclosed).
        while self.stack:
            open_tag, _, skipped = self.stack.pop()
            if skipped:
                self.skip_depth -= 1
            if open_tag == "p" and self.title is not None:
                if "".join(self.title).strip() == "Answer":
                    self.events.append(("answer",))
                self.title = None
            if open_tag == tag:
                break
        if tag in BLOCK_TAGS:
            self.chunks.append("\n")
        if not self.stack:
            self.in_article = False

    def handle_data(self, data):
        if not self.in_article or self.skip_depth:
            return
        self.chunks.append(data)
        if self.title is not None:
            self.title.append(data)

    @property
    def text(self) -> str:
        text = "".join(self.chunks).replace("\u00b6", "")  # headerlink pilcrows
        return re.sub(r"[ \t\r\f\v\u00a0]+", " ", text)


def parse_article(page_html: str) -> ArticleParser:
    parser = ArticleParser()
    parser.feed(page_html)
    parser.close()
    return parser


def result_values(results: Path = RESULTS) -> list[tuple[str, str, str]]:
    """Every text and float of the results files, as (value, file, key).

    The file is named from the repository (`docs/results/c1/summary.json`), the
    key as the placeholders name it (`table.rows.2.1`); a float is given as
    Python prints it, whitespace in a text collapsed.
    """
    return list(_result_values(str(results)))


@functools.lru_cache(maxsize=4)
def _result_values(results: str) -> tuple[tuple[str, str, str], ...]:
    found = []

    def walk(data, key, where):
        if isinstance(data, dict):
            for name, value in data.items():
                walk(value, f"{key}.{name}" if key else str(name), where)
        elif isinstance(data, list):
            for index, value in enumerate(data):
                walk(value, f"{key}.{index}" if key else str(index), where)
        elif isinstance(data, (str, float)):
            found.append((" ".join(str(data).split()), where, key))

    root = Path(results)
    for path in sorted(root.rglob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        walk(data, "", path.relative_to(root.parents[1]).as_posix())
    return tuple(found)


def sources_of(hit: str, line: str, values) -> dict[str, list[str]]:
    """Where in the results files a `hit` on a page's text `line` comes from.

    A results value is a source when it holds `hit` and is the whole line or a
    part of it (a table cell is a line of its own; a placeholder's value is a
    part of its sentence).

    Returns:
        file -> its keys whose value this can be, in file order.
    """
    line = " ".join(line.split())
    found: dict[str, list[str]] = {}
    for value, where, key in values:
        if hit in value and (value in line or line in value):
            found.setdefault(where, []).append(key)
    return found


def describe_sources(hit: str, sources: dict[str, list[str]]) -> str:
    """ " [shown from FILE: KEY, ...: what to change]", or "" without sources."""
    if not sources:
        return ""
    shown = "; ".join(
        f"{where}: {', '.join(keys[:6])}{' ...' if len(keys) > 6 else ''}"
        for where, keys in sources.items()
    )
    if re.fullmatch(r"[\d.]+", hit):
        fix = "give its placeholder a format spec"
    else:
        fix = (
            "the text is the results file's: change the script that writes it "
            "(never edit docs/results/ by hand), or leave the value off the page"
        )
    return f" [shown from {shown}: {fix}]"


def prose_problems(text: str, values=()) -> list[str]:
    """Each forbidden word or value in `text`, in text order, as "what 'hit': «snippet»".

    Args:
        text: a page's prose (`ArticleParser.text`: a line per block or cell).
        values: `result_values()`; a hit that the text shows from one of them
            names its file and key. Defaults to none.
    """
    hits = sorted(
        (match.start(), match.end(), label)
        for label, pattern in FORBIDDEN
        for match in pattern.finditer(text)
    )
    problems = []
    for start, end, label in hits:
        hit = text[start:end]
        snippet = " ".join(text[max(0, start - SNIPPET) : end + SNIPPET].split())
        line_end = text.find("\n", end)
        line = text[
            text.rfind("\n", 0, start) + 1 : line_end if line_end >= 0 else None
        ]
        sources = describe_sources(hit, sources_of(hit, line, values))
        problems.append(f"{label} {hit!r}: «{snippet}»{sources}")
    return problems


def answered_sections(events: list[tuple]) -> set[str]:
    """The heading ids whose own text (up to the next heading) holds an Answer box."""
    answered = set()
    current = None
    for event in events:
        if event[0] == "heading":
            current = event[2]
        elif current is not None:
            answered.add(current)
    return answered


def section_of(question: str, anchors: set[str]) -> str | None:
    """The anchor of `question`'s section: its own, else its parent's, else None."""
    own = anchor(question)
    if own in anchors:
        return own
    if "." in question and (parent := anchor(question.rsplit(".", 1)[0])) in anchors:
        return parent
    return None


def missing_answers(
    questions: list[str], events_by_page: dict[str, list[tuple]]
) -> list[str]:
    """One message per id whose page has no section for it, or no Answer box there."""
    problems = []
    for question in questions:
        page = page_of(question)
        events = events_by_page.get(page, [])
        anchors = {event[2] for event in events if event[0] == "heading"}
        section = section_of(question, anchors)
        if section is None:
            problems.append(f"{question}: {page} has no heading #{anchor(question)}")
        elif section not in answered_sections(events):
            problems.append(
                f"{question}: {page}#{section} does not open with an admonition "
                'titled exactly "Answer" (!!! success "Answer") before its next heading'
            )
    return problems


SAMPLE_PAGE = """
<html><body><nav>an issue in the navigation is not the article's</nav>
<article class="md-content__inner md-typeset">
<h1 id="set-c">Set C<a class="headerlink" href="#set-c">&para;</a></h1>
<h2 id="c1-1">C1.1 Parameters</h2>
<div class="admonition success"><p class="admonition-title">Answer</p>
<p>The network has 3,274,634 parameters; padding=<code>True</code> is code.</p></div>
<pre><code>session = True  # code is not prose
</code></pre>
<h2 id="c1-2">C1.2 Accuracy</h2>
<p>Reached 0.98123456 in this session; the target met, which is our bar.</p>
<div class="admonition note"><p class="admonition-title">Answer</p></div>
<h3 id="ct4">CT4 Counts</h3>
<div class="admonition success"><p class="admonition-title">Answers</p></div>
<p>Open issues: False<br>Reissued 0.1234567 3.14159265.</p>
<h3 id="ct2">CT2 ReLU</h3>
<div class="admonition success"><p class="admonition-title">Answer</p></div>
<p>Fine: 0.123456 and an issuer.</p></p><svg><path d="M0"/></svg><span/>
<p>Still read after stray tags: session.</p>
</article><footer>session</footer></body></html>
"""


class TextCheckTest(tf.test.TestCase):
    """The checks themselves, on a hand-made page."""

    def setUp(self):
        super().setUp()
        self.page = parse_article(SAMPLE_PAGE)

    def test_prose_leaves_out_code_navigation_and_footer(self):
        self.assertIn("3,274,634", self.page.text)
        self.assertNotIn("padding=True", self.page.text.replace(" ", ""))
        self.assertNotIn("navigation", self.page.text)
        self.assertNotIn("# code", self.page.text)
        self.assertNotIn("\u00b6", self.page.text)

    def test_finds_every_forbidden_word_and_value(self):
        found = prose_problems(self.page.text)
        labels = [problem.split(" '")[0] for problem in found]
        self.assertEqual(
            sorted(labels),
            sorted(
                [
                    "issue",
                    "session",
                    "session",
                    '"target met"',
                    '"our bar"',
                    "a Python boolean",
                    "a number with 7+ decimals",
                    "a number with 7+ decimals",
                    "a number with 7+ decimals",
                ]
            ),
            found,
        )
        self.assertTrue(any("«Reached 0.98123456 in this" in p for p in found), found)

    def test_names_the_results_file_behind_a_value(self):
        values = [
            ("XLA (jit_compile=True)", "docs/results/bench/summary.json", "rows.7.1"),
            ("XLA (jit_compile=True)", "docs/results/bench/summary.json", "rows.9.1"),
            ("0.8953333333333333", "docs/results/b2-3/x.json", "mean"),
            ("no source here: True", "docs/results/other.json", "note"),
        ]
        cell, number, free = prose_problems(
            "variant\nXLA (jit_compile=True)\n1.2 s\n"
            "a mean of 0.8953333333333333 over seeds\n"
            "Typed True by hand.",
            values,
        )
        self.assertIn(
            "[shown from docs/results/bench/summary.json: rows.7.1, rows.9.1: "
            "the text is the results file's",
            cell,
        )
        self.assertIn(
            "[shown from docs/results/b2-3/x.json: mean: give its placeholder a format spec]",
            number,
        )
        self.assertNotIn("shown from", free)

    def test_reads_the_results_files(self):
        values = result_values()
        self.assertNotEmpty(values)
        for _, where, key in values[:100]:
            self.assertStartsWith(where, "docs/results/")
            self.assertTrue(where.endswith(".json") and key, (where, key))

    def test_answer_boxes(self):
        self.assertEqual(answered_sections(self.page.events), {"c1-1", "c1-2", "ct2"})
        problems = missing_answers(
            ["C1.1", "C1.2", "C1.3", "CT4.1", "CT4.2", "CT2", "CT3.1"],
            {"set-c.md": self.page.events},
        )
        self.assertEqual(
            [problem.split(":")[0] for problem in problems],
            ["C1.3", "CT4.1", "CT4.2", "CT3.1"],
        )
        self.assertIn("set-c.md has no heading #c1-3", problems[0])
        self.assertIn("set-c.md#ct4 does not open", problems[1])


class SiteTextTest(tf.test.TestCase):
    """The built site."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="tfcnn-site-text-")
        given = os.environ.get("TFCNN_SITE_DIR")
        cls.site = Path(given) if given else build_site(Path(cls.tmp) / "site")
        cls.pages = {}
        for page in site_pages(cls.site):
            if page.startswith("/api/"):
                continue
            path = cls.site / page.strip("/") / "index.html"
            cls.pages[page] = parse_article(path.read_text(errors="replace"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def test_reads_the_pages(self):
        for page in ["/", "/set-a/", "/set-b/", "/set-c/", "/set-d/"]:
            self.assertIn(page, self.pages)
            self.assertGreater(len(self.pages[page].text), 1000, page)

    def test_prose_speaks_to_students_in_words(self):
        values = result_values()
        problems = {
            page: found
            for page, parsed in self.pages.items()
            if (found := prose_problems(parsed.text, values))
        }
        report = [
            f"{page}: {problem}"
            for page, found in problems.items()
            for problem in found
        ]
        if report:
            self.fail(
                f"{len(report)} problems in the pages' text:\n" + "\n".join(report)
            )

    @unittest.skipUnless(EXERCISES.exists(), f"{EXERCISES} not found")
    def test_every_question_opens_with_an_answer(self):
        questions = question_ids(EXERCISES.read_text())
        self.assertGreaterEqual(len(questions), 30)
        events = {
            f"{page.strip('/')}.md": parsed.events
            for page, parsed in self.pages.items()
        }
        problems = missing_answers(questions, events)
        if problems:
            self.fail("questions without an Answer box:\n" + "\n".join(problems))


if __name__ == "__main__":
    tf.test.main()
