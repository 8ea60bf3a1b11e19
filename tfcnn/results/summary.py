"""Summaries over seeds and their text: mean ± spread, final and per-epoch metrics, percents.

Every "mean ± std" on the pages comes from here: `mean_std` (mean, sample
std, count) and `describe` (also the range) summarise numbers;
`format_mean_std`, `pct` and `pct_pm` write them; `welch_test` compares two.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from tfcnn.results import results_dir
from tfcnn.results.bounded import read_json


def mean_std(values) -> dict:
    """`{"mean", "std", "n"}` of numbers (sample std, 0 for one value).

    Args:
        values: an iterable of numbers, at least one.
    """
    values = np.asarray(list(values), dtype=np.float64)
    if values.size == 0:
        raise ValueError("mean_std needs at least one value: no runs were found.")
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return {"mean": float(values.mean()), "std": std, "n": int(values.size)}


def describe(values) -> dict:
    """`{"mean", "std", "min", "max", "n"}` of numbers (the `mean_std` and the range).

    Args:
        values: an iterable of numbers, at least one.
    """
    values = list(values)
    summary = mean_std(values)
    return {
        "mean": summary["mean"],
        "std": summary["std"],
        "min": float(min(values)),
        "max": float(max(values)),
        "n": summary["n"],
    }


def welch_test(a, b) -> dict:
    """Welch's two-sample t-test (unequal variances) of two sets of numbers.

    Args:
        a: the first sample, at least two numbers.
        b: the second sample, at least two numbers.

    Returns:
        `{"t", "df", "p"}`: the statistic, its Welch-Satterthwaite degrees of
        freedom and the two-sided p-value (`t` and `df` are None when neither
        sample varies).
    """
    from scipy import stats

    a, b = np.asarray(list(a), float), np.asarray(list(b), float)
    if a.size < 2 or b.size < 2:
        raise ValueError(
            f"welch_test needs two values per sample, got {a.size} and {b.size}."
        )
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    if va + vb == 0:  # no spread at all: the means are equal or surely not
        return {"t": None, "df": None, "p": 1.0 if a.mean() == b.mean() else 0.0}
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    result = stats.ttest_ind(a, b, equal_var=False)
    return {"t": float(result.statistic), "df": float(df), "p": float(result.pvalue)}


def format_mean_std(value: dict | None, spec: str) -> str:
    """`mean ± std` of a `mean_std` dict with a format spec, and `(n = N)` when N < 3.

    One value (n = 1) is shown alone, without a spread it does not have.

    Args:
        value: a `mean_std` (or `describe`) dict; None reads "not measured".
        spec: the format spec of both numbers, e.g. ".1f" or ".2%".
    """
    if value is None:
        return "not measured"
    if value["n"] == 1:
        return f"{format(value['mean'], spec)} (n = 1)"
    n = f" (n = {value['n']})" if value["n"] < 3 else ""
    return f"{format(value['mean'], spec)} ± {format(value['std'], spec)}{n}"


def pct(value: float, digits: int = 2) -> str:
    """0.98765 -> '98.77 %'."""
    return f"{100 * value:.{digits}f} %"


def pct_pm(summary: dict, digits: int = 2) -> str:
    """A summary as 'mean ± std %' (std over seeds)."""
    return f"{100 * summary['mean']:.{digits}f} ± {100 * summary['std']:.{digits}f} %"


def final_metrics(histories: list[list[dict]], keys) -> dict:
    """`mean_std` over seeds of each key of the last record of each history.

    A key whose value is None in every run (a diverged run) maps to None.
    """
    result = {}
    for key in keys:
        values = [h[-1][key] for h in histories if h[-1][key] is not None]
        result[key] = mean_std(values) if values else None
    return result


def by_epoch(histories: list[list[dict]], key: str) -> list[dict]:
    """`mean_std` over seeds of `key` at each epoch the histories share."""
    epochs = min(len(h) for h in histories)
    return [mean_std([h[e][key] for h in histories]) for e in range(epochs)]


def first_reaching(history: list[dict], key: str, threshold: float) -> dict | None:
    """The first record of `history` whose `key` is >= `threshold`, or None."""
    return next((row for row in history if row[key] >= threshold), None)


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
            runs[int(match.group(1))] = read_json(path)
    if not runs:
        raise FileNotFoundError(
            f"no runs {folder}/{prefix}_seed*.json: run their script first."
        )
    return dict(sorted(runs.items()))


def final_summary(
    runs: dict[int, dict], keys=("train_accuracy", "val_accuracy", "test_accuracy")
) -> dict:
    """`describe` of each key of the runs' final records."""
    return {key: describe(run["final"][key] for run in runs.values()) for key in keys}
