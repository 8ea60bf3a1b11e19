"""Every image on the site's Markdown pages has alternative text.

Covers Markdown images (`![alt](src)`, `![alt][ref]`) and HTML `<img>` tags in
`docs/**/*.md`; an image without alt text is invisible to a screen reader and
to anyone whose browser did not load it.
"""

from __future__ import annotations

import re
from pathlib import Path

import tensorflow as tf

DOCS = Path(__file__).resolve().parents[1] / "docs"

MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\](?:\(([^)]*)\)|\[([^\]]*)\])")
HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.I)
HTML_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
FENCE = re.compile(r"^(\s*)(```|~~~).*?^\1\2", re.M | re.S)


def images_without_alt(markdown: str) -> list[str]:
    """The images in `markdown` (outside code fences) whose alt text is empty."""
    text = FENCE.sub("", markdown)
    missing = [
        match.group(0)
        for match in MARKDOWN_IMAGE.finditer(text)
        if not match.group(1).strip()
    ]
    for tag in HTML_IMAGE.findall(text):
        alt = HTML_ALT.search(tag)
        if alt is None or not "".join(g or "" for g in alt.groups()).strip():
            missing.append(tag)
    return missing


class AltTextCheckTest(tf.test.TestCase):
    def test_finds_missing_alt_text(self):
        page = (
            "![a plot](x.png) ![](y.png) ![ ][ref]\n"
            '<img src="z.png"> <img alt="" src="w.png"> <img alt="ok" src="v.png">\n'
            "```\n![](in-code.png)\n```\n"
        )
        self.assertEqual(
            images_without_alt(page),
            [
                "![](y.png)",
                "![ ][ref]",
                '<img src="z.png">',
                '<img alt="" src="w.png">',
            ],
        )


class SiteAltTextTest(tf.test.TestCase):
    def test_every_image_has_alt_text(self):
        pages = sorted(DOCS.rglob("*.md"))
        self.assertNotEmpty(pages)
        problems = {
            str(page.relative_to(DOCS)): missing
            for page in pages
            if (missing := images_without_alt(page.read_text()))
        }
        self.assertEqual(problems, {}, "images without alt text")
