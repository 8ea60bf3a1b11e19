"""Does a faster setting keep the accuracy? The set C deep run, repeated under it.

A float32 setting (steps per execution, threads, oneDNN, input pipeline)
computes the same sums in another order, so a run's accuracy cannot change
beyond the seed-to-seed spread. Mixed bfloat16 rounds activations and
gradients to 8 bits of mantissa, so it needs the check: the C1 run (deep
network, 'valid', Adam 1e-4, batch 50, 20,000 steps, same seeds and split)
trained under the variant's dtype policy, compared with C1's float32 runs.
"""

from __future__ import annotations

import keras
import numpy as np

from tfcnn.bench.variants import Variant
from tfcnn.data.splits import load_split
from tfcnn.models import build_deep
from tfcnn.results import set_seed
from tfcnn.training.fit import train_and_record

C1_SETTINGS = {
    "iterations": 20_000,
    "batch_size": 50,
    "optimizer": "adam",
    "learning_rate": 1e-4,
    "record_every": 500,
    "train_eval_size": 2000,
    "val_fraction": 0.1,
}


def deep_run(variant: Variant, seed: int, iterations: int | None = None) -> dict:
    """The C1 training run of `seed` under `variant`'s dtype policy.

    Only the precision is changed: the other settings of a variant do not
    change what is computed. The global dtype policy is restored afterwards.

    Args:
        variant: a Keras variant.
        seed: the seed of weights, split and order (as in C1).
        iterations: training steps; None for C1's 20,000. Defaults to None.

    Returns:
        `train_and_record`'s dict, plus `variant` and `precision`.
    """
    if variant.framework != "keras":
        raise ValueError(f"{variant.name} is not a Keras variant.")
    settings = dict(C1_SETTINGS, iterations=iterations or C1_SETTINGS["iterations"])
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(variant.precision)
    try:
        set_seed(seed)
        split = load_split("mnist", settings.pop("val_fraction"), seed)
        run = train_and_record(
            build_deep(padding="valid"), split, seed=seed, **settings
        )
    finally:
        keras.mixed_precision.set_global_policy(previous)
    return {**run, "variant": variant.name, "precision": variant.precision}


def compare(runs: list[dict], reference: list[dict], seeds) -> dict:
    """Final test and validation accuracy of the variant's runs and the float32 ones.

    Args:
        runs: `deep_run` results, one per seed.
        reference: the float32 runs (C1's per-seed results), same seeds.
        seeds: the seeds of both.

    Returns:
        Means, spreads and the difference of the means, and a table.
    """

    def stats(values) -> dict:
        values = np.asarray(values, dtype=np.float64)
        std = float(values.std(ddof=1)) if values.size > 1 else 0.0
        return {"mean": float(values.mean()), "std": std, "n": int(values.size)}

    out = {}
    for key in ("test_accuracy", "val_accuracy"):
        mine = stats([r["final"][key] for r in runs])
        theirs = stats([r["final"][key] for r in reference])
        out[key] = {
            "variant": mine,
            "float32": theirs,
            "difference": mine["mean"] - theirs["mean"],
        }
    out["table"] = {
        "columns": ["precision", "runs", "val. accuracy", "test accuracy"],
        "rows": [
            [
                name,
                out["test_accuracy"][which]["n"],
                f"{100 * out['val_accuracy'][which]['mean']:.2f} ± "
                f"{100 * out['val_accuracy'][which]['std']:.2f} %",
                f"{100 * out['test_accuracy'][which]['mean']:.2f} ± "
                f"{100 * out['test_accuracy'][which]['std']:.2f} %",
            ]
            for name, which in (
                ("float32 (C1)", "float32"),
                (runs[0]["precision"], "variant"),
            )
        ],
    }
    out["seeds"] = list(seeds)
    return out
