"""Fills site pages from results files, so that no number on the site is typed.

Pages use two placeholders (resolved at build time by the MkDocs hook
`docs/hooks/results.py`):

- `{{ result c1/summary deep.test_accuracy .2% }}`: one value from
  `docs/results/c1/summary.json`, formatted with a Python format spec. A
  `{"mean", "std", "n"}` value is shown as "mean ± std (n = N)".
- `{{ table c1/params_valid }}`: the `table` entry of a result (`columns` and
  `rows`), or another entry named as a third word, as a Markdown table.

A placeholder that names a missing file or key stops the build with a message
that says which page, which placeholder, and which script writes the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from tfcnn.results import results_dir
from tfcnn.results.bounded import read_json

PLACEHOLDER = re.compile(r"\{\{\s*(result|table)\s+([^{}]*?)\s*\}\}")
PLACEHOLDER_START = re.compile(r"\{\{\s*(?:result|table)\b")


class MissingResultError(KeyError):
    """A page names a result file or key that does not exist."""

    def __str__(self):
        return str(self.args[0])


def lookup(data, dotted: str):
    """`data["a"]["b"][2]` for `dotted="a.b.2"`."""
    for part in dotted.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def format_value(value, spec: str = "") -> str:
    """Formats a value for a page, with a Python format `spec` or a page spec.

    A `{"mean", "std", "n"}` summary is shown as "mean ± std (n = N)"; a boolean
    as "yes" or "no"; a whole number of 1,000 or more with thousands
    separators; a float without a spec to 4 significant digits. The spec
    `.1pp` (any precision, then `pp`) shows a difference of two fractions in
    percentage points: 0.0123 -> "1.2 points".

    Args:
        value: the number, summary, boolean or text.
        spec: a format spec such as `.2%`, `,`, `.3g` or `.1pp`. Defaults to "".
    """
    unit = " points" if spec.endswith("pp") else ""
    if isinstance(value, dict) and {"mean", "std"} <= value.keys():
        mean, std = (
            _format_number(value["mean"], spec),
            _format_number(value["std"], spec),
        )
        n = f" (n = {value['n']})" if "n" in value else ""
        return f"{mean} ± {std}{unit}{n}"
    return _format_number(value, spec) + unit


def _format_number(value, spec: str) -> str:
    """One value, without the unit of a `pp` spec."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if spec.endswith("pp"):
        return format(100 * value, spec[:-2] + "f")
    if spec:
        return format(value, spec)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int) and abs(value) >= 1000:
        return f"{value:,}"
    return str(value)


def _escape_pipes(text) -> str:
    """`text` with `|` escaped so it cannot split a Markdown table cell."""
    return str(text).replace("|", "\\|")


# A keyword argument written in a result's text, such as `jit_compile=True`.
KEYWORD_ARGUMENT = re.compile(r"(?<![`\w])([A-Za-z_]\w*=[\w.]+)(?![`\w])")


def as_cell(value) -> str:
    """One table cell: the value formatted, keyword arguments shown as code."""
    text = format_value(value)
    if isinstance(value, str):
        text = KEYWORD_ARGUMENT.sub(r"`\1`", text)
    return _escape_pipes(text)


def markdown_table(table: dict) -> str:
    """`{"columns": [...], "rows": [[...], ...]}` as a Markdown table."""
    columns = table["columns"]
    header = " | ".join(_escape_pipes(column) for column in columns)
    lines = ["| " + header + " |", "|" + "---|" * len(columns)]
    for row in table["rows"]:
        cells = " | ".join(as_cell(cell) for cell in row)
        lines.append("| " + cells + " |")
    return "\n".join(lines)


def _load(ref: str, root: Path, cache: dict) -> dict:
    if ref not in cache:
        path = root / f"{ref}.json"
        if not path.exists():
            raise MissingResultError(
                f"{path} does not exist: run the script that writes it "
                "(docs/reproduce.md lists them)."
            )
        cache[ref] = read_json(path)
    return cache[ref]


def render(markdown: str, root: Path | None = None, page: str = "page") -> str:
    """Replaces every placeholder in `markdown` with values from `root`."""
    root = Path(root or results_dir())
    cache: dict = {}
    for start in PLACEHOLDER_START.finditer(markdown):
        if not PLACEHOLDER.match(markdown, start.start()):
            line = markdown[start.start() :].split("\n", 1)[0]
            raise MissingResultError(
                f"{page}: {line[:80]}: a placeholder that does not parse; write "
                "{{ result <file> <key> [format] }} or {{ table <file> [key] }}"
            )

    def replace(match: re.Match) -> str:
        kind, words = match.group(1), match.group(2).split()
        try:
            data = _load(words[0], root, cache)
            if kind == "table":
                table = markdown_table(
                    lookup(data, words[1] if len(words) > 1 else "table")
                )
                # Keep a table that stands indented (in a tab or admonition) indented.
                line_start = markdown.rfind("\n", 0, match.start()) + 1
                indent = markdown[line_start : match.start()]
                return (
                    table.replace("\n", "\n" + indent) if not indent.strip() else table
                )
            return format_value(
                lookup(data, words[1]), words[2] if len(words) > 2 else ""
            )
        except (KeyError, IndexError, ValueError, TypeError) as error:
            raise MissingResultError(f"{page}: {match.group(0)}: {error}") from error

    return PLACEHOLDER.sub(replace, markdown)


def on_page_markdown(markdown, page, config, files):
    """The MkDocs event: fills the page's placeholders."""
    return render(markdown, Path(config["docs_dir"]) / "results", page.file.src_path)
