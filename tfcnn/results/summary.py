"""Aggregating per-seed result files into the summaries and tables the pages show."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from tfcnn.results import results_dir


def summarise(values) -> dict:
    """Mean, sample standard deviation, range and count of a list of numbers."""
    values = np.asarray(list(values), dtype=float)
    if values.size == 0:
        raise ValueError("nothing to summarise: no runs were found.")
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return {
        "mean": float(values.mean()),
        "std": std,
        "min": float(values.min()),
        "max": float(values.max()),
        "n": int(values.size),
    }


def load_runs(result_id: str, prefix: str, root: Path | None = None) -> dict[int, dict]:
    """Every `<result_id>/<prefix>_seed<S>.json`, keyed by seed.

    Raises:
        FileNotFoundError: no such run exists; names the files looked for.
    """
    folder = Path(root or results_dir()) / result_id
    pattern = re.compile(rf"{re.escape(prefix)}_seed(\d+)\.json")
    runs = {}
    for path in sorted(folder.glob(f"{prefix}_seed*.json")):
        match = pattern.fullmatch(path.name)
        if match:
            runs[int(match.group(1))] = json.loads(path.read_text())
    if not runs:
        raise FileNotFoundError(
            f"no runs {folder}/{prefix}_seed*.json: run their script first."
        )
    return dict(sorted(runs.items()))


def final_summary(
    runs: dict[int, dict], keys=("train_accuracy", "val_accuracy", "test_accuracy")
) -> dict:
    """`summarise` of each key of the runs' final records."""
    return {key: summarise(run["final"][key] for run in runs.values()) for key in keys}


def first_reaching(history: list[dict], key: str, threshold: float) -> dict | None:
    """The first record of `history` whose `key` is >= `threshold`, or None."""
    return next((row for row in history if row[key] >= threshold), None)


def pct(value: float, digits: int = 2) -> str:
    """0.98765 -> '98.77 %'."""
    return f"{100 * value:.{digits}f} %"


def pct_pm(summary: dict, digits: int = 2) -> str:
    """A summary as 'mean ± std %' (std over seeds)."""
    return f"{100 * summary['mean']:.{digits}f} ± {100 * summary['std']:.{digits}f} %"
