"""Every question id of the exercise index is two clicks from the home page.

The ids come from the exercise index (`../shared/exercises/README.md`, beside
the repository). For each id the home page must link to its section: the id's
own anchor on its set's page (`C2.1` -> `set-c.md#c2-1`) or, when several ids
share one section, the anchor of their parent (`CT4.2` -> `set-c.md#ct4`); and
that anchor must be a heading's id on the page.
"""

from __future__ import annotations

import re
import unittest
from pathlib import Path

import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXERCISES = ROOT.parent / "shared" / "exercises" / "README.md"

ID = re.compile(r"\b((?:CT|[ABCD])\d+(?:\.\d+)?)(?:-(\d+)\.(\d+))?\b")
PAGES = {"A": "set-a.md", "B": "set-b.md", "C": "set-c.md", "D": "set-d.md"}


def question_ids(readme: str) -> list[str]:
    """The ids named in the "## Set ..." sections, ranges like C2.1-2.3 expanded."""
    ids: list[str] = []
    in_set = False
    for line in readme.splitlines():
        if line.startswith("## "):
            in_set = line.startswith("## Set ")
            continue
        if not in_set:
            continue
        for match in ID.finditer(line):
            first, last_major, last_minor = match.groups()
            found = [first]
            if last_minor is not None:
                stem, minor = first.rsplit(".", 1)
                found = [f"{stem}.{n}" for n in range(int(minor), int(last_minor) + 1)]
            ids += [i for i in found if i not in ids]
    return ids


def anchor(question: str) -> str:
    return question.lower().replace(".", "-")


def page_of(question: str) -> str:
    return PAGES[question[0]]


def heading_anchors(page: str) -> set[str]:
    text = (DOCS / page).read_text()
    return set(re.findall(r"^#{1,6} .*\{#([\w-]+)[^}]*\}\s*$", text, re.M))


def home_links() -> dict[str, str]:
    """Link text -> target of every `[text](target)` on the home page."""
    text = (DOCS / "index.md").read_text()
    return dict(re.findall(r"\[([^\]]+)\]\(([^)\s]+)\)", text))


class QuestionIdParsingTest(tf.test.TestCase):
    def test_ranges_and_repeats(self):
        readme = (
            "# x\n## Set C: y\n- C1.1 a; C1.2 b (A3 is elsewhere)\n"
            "- C2.1-2.3 c\n- CT4.1-4.3 d; CT2 e; C1.1 again\n"
            "## What is wrong\n- D9 not an id section\n"
        )
        self.assertEqual(
            question_ids(readme),
            [
                "C1.1",
                "C1.2",
                "A3",
                "C2.1",
                "C2.2",
                "C2.3",
                "CT4.1",
                "CT4.2",
                "CT4.3",
                "CT2",
            ],
        )

    def test_anchor_and_page(self):
        self.assertEqual(anchor("CT3.1"), "ct3-1")
        self.assertEqual(page_of("CT3.1"), "set-c.md")
        self.assertEqual(page_of("B2.4"), "set-b.md")


@unittest.skipUnless(EXERCISES.exists(), f"{EXERCISES} not found")
class QuestionIdsOnTheSiteTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.ids = question_ids(EXERCISES.read_text())

    def test_the_index_names_every_set(self):
        self.assertGreaterEqual(len(self.ids), 30)  # 38 when written
        self.assertEqual({i[0] for i in self.ids}, set(PAGES))

    def test_every_id_has_a_section_and_a_link_from_home(self):
        links = home_links()
        anchors = {page: heading_anchors(page) for page in PAGES.values()}
        problems = []
        for question in self.ids:
            page = page_of(question)
            allowed = {anchor(question)}
            if "." in question:
                allowed.add(anchor(question.rsplit(".", 1)[0]))
            target = links.get(question)
            if target is None:
                problems.append(f"{question}: no link with that text on index.md")
                continue
            linked_page, _, linked_anchor = target.partition("#")
            if linked_page != page or linked_anchor not in allowed:
                problems.append(
                    f"{question}: index.md links {target}, "
                    f"expected {page}#{' or #'.join(sorted(allowed))}"
                )
            elif linked_anchor not in anchors[page]:
                problems.append(
                    f"{question}: {page} has no heading {{#{linked_anchor}}}"
                )
        self.assertEqual(problems, [])
