"""Training time: steady and cumulative seconds per epoch of recorded runs, and step time on random data."""

from __future__ import annotations

import time

import numpy as np

from tfcnn.results.summary import mean_std
from tfcnn.training.fit import compile_classifier


def _epoch_seconds(run: dict, clock: str) -> list | None:
    """The per-epoch training seconds of a run on `clock` ("cpu" or "wall")."""
    if clock not in ("cpu", "wall"):
        raise ValueError(f"clock must be 'cpu' or 'wall', got {clock!r}.")
    return run.get("epoch_cpu_seconds" if clock == "cpu" else "epoch_seconds")


def steady_epoch_seconds(run: dict, clock: str = "cpu") -> float | None:
    """Mean training seconds of epochs 2..E of a `train_epochs` run (epoch 1 also traces).

    Args:
        run: the dict returned by `tfcnn.training.fit.train_epochs` (or read
            back from JSON).
        clock: "cpu" (`epoch_cpu_seconds`; None if the run has none) or
            "wall" (`epoch_seconds`). Defaults to "cpu".
    """
    seconds = _epoch_seconds(run, clock)
    if not seconds:
        return None
    return float(np.mean(seconds[1:] if len(seconds) > 1 else seconds))


def cumulative_epoch_seconds(run: dict, clock: str = "cpu") -> list[float] | None:
    """Training seconds of a `train_epochs` run up to the end of each epoch, epoch 1 included.

    Args:
        run: the dict returned by `tfcnn.training.fit.train_epochs` (or read
            back from JSON).
        clock: "cpu" (`epoch_cpu_seconds`; None if the run has none) or
            "wall" (`epoch_seconds`). Defaults to "cpu".
    """
    seconds = _epoch_seconds(run, clock)
    if not seconds:
        return None
    return [float(t) for t in np.cumsum(seconds)]


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


def step_time(
    model,
    batch_size: int = 50,
    steps: int = 200,
    repeats: int = 3,
    steps_per_execution: int = 10,
) -> dict:
    """Milliseconds per training step (Adam, sparse cross-entropy) on random inputs.

    One warm-up pass compiles the step; then `repeats` timed passes of `steps`
    steps each.

    Args:
        model: an uncompiled model with logit outputs.
        batch_size: examples per step. Defaults to 50.
        steps: steps per timed pass (a multiple of `steps_per_execution`).
            Defaults to 200.
        repeats: timed passes. Defaults to 3.
        steps_per_execution: as in training. Defaults to 10.

    Returns:
        `{"median_ms", "min_ms", "max_ms", "repeats", "batch_size"}`.
    """
    rng = np.random.default_rng(0)
    shape = (batch_size * steps, *model.input_shape[1:])
    x = rng.random(shape, dtype=np.float32)
    y = rng.integers(0, model.output_shape[-1], batch_size * steps)
    compile_classifier(
        model, learning_rate=1e-4, steps_per_execution=steps_per_execution
    )
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
        times.append(1000 * (time.perf_counter() - started) / steps)
    return {
        "median_ms": float(np.median(times)),
        "min_ms": float(min(times)),
        "max_ms": float(max(times)),
        "repeats": repeats,
        "batch_size": batch_size,
    }
