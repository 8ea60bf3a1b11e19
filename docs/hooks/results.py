"""MkDocs hook: fills `{{ result ... }}` and `{{ table ... }}` from docs/results."""

from tfcnn.site import on_page_markdown  # noqa: F401
