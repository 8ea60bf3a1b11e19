"""Measuring training-step time of a model on random data, apart from any experiment."""

from __future__ import annotations

import time

import numpy as np

from tfcnn.training.fit import compile_classifier


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
