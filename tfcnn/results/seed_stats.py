"""Summaries over seeds for result files and page tables: mean ± spread, and epoch times."""

from __future__ import annotations

import numpy as np

from tfcnn.training.epochs import steady_epoch_seconds


def mean_std(values) -> dict:
    """`{"mean", "std", "n"}` of a list of numbers (sample std, 0 for one value)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("mean_std needs at least one value.")
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return {"mean": float(values.mean()), "std": std, "n": int(values.size)}


def format_mean_std(value: dict | None, spec: str) -> str:
    """`mean ± std` of a `mean_std` dict with a format spec, and `(n = N)` when N < 3.

    One value (n = 1) is shown alone, without a spread it does not have.
    """
    if value is None:
        return "not measured"
    if value["n"] == 1:
        return f"{format(value['mean'], spec)} (n = 1)"
    n = f" (n = {value['n']})" if value["n"] < 3 else ""
    return f"{format(value['mean'], spec)} ± {format(value['std'], spec)}{n}"


def epoch_timing(runs: list[dict], n_train: int) -> dict:
    """Steady training time per epoch of `train_epochs` runs, as wall and CPU time.

    Epoch 1 is left out (it also traces the graph). Runs written before CPU
    time was recorded are left out of the CPU figures, which are None if no
    run has them.

    Args:
        runs: `train_epochs` results (one per seed, or any group measuring
            the same thing).
        n_train: training examples per epoch.

    Returns:
        `epoch_seconds` (wall), `epoch_cpu_seconds` and
        `cpu_microseconds_per_example`, each a `mean_std` dict or None.
    """
    wall = [t for t in (steady_epoch_seconds(r, "wall") for r in runs) if t is not None]
    cpu = [t for t in (steady_epoch_seconds(r, "cpu") for r in runs) if t is not None]
    return {
        "epoch_seconds": mean_std(wall) if wall else None,
        "epoch_cpu_seconds": mean_std(cpu) if cpu else None,
        "cpu_microseconds_per_example": (
            mean_std([1e6 * t / n_train for t in cpu]) if cpu else None
        ),
    }


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
