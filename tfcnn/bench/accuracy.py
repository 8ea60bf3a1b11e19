"""Does a faster setting keep the accuracy? A training run, repeated under it.

A float32 setting (steps per execution, threads, oneDNN, input pipeline)
computes the same sums in another order, so a run's accuracy cannot change
beyond the seed-to-seed spread. Mixed bfloat16 rounds activations and
gradients to 8 bits of mantissa, so it needs the check: a deep-network MNIST
run trained under the variant's dtype policy, compared with float32 runs of
the same settings and seeds.
"""

from __future__ import annotations

import keras

from tfcnn.bench.variants import Variant
from tfcnn.data.splits import load_split
from tfcnn.models import build_deep
from tfcnn.results import set_seed
from tfcnn.results.summary import mean_std
from tfcnn.training.fit import train_and_record


def precision_run(
    variant: Variant, seed: int, *, val_fraction: float, padding: str, **settings
) -> dict:
    """One MNIST run of `build_deep(padding)` under `variant`'s dtype policy.

    Only the precision is changed: the other settings of a variant do not
    change what is computed. The global dtype policy is restored afterwards.

    Args:
        variant: a Keras variant.
        seed: the seed of weights, split and order.
        val_fraction: the validation share of the training images.
        padding: the convolutions' padding ("valid" or "same").
        **settings: the rest of `train_and_record`'s settings (iterations,
            batch_size, optimizer, learning_rate, record_every, ...).

    Returns:
        `train_and_record`'s dict, plus `variant` and `precision`.
    """
    if variant.framework != "keras":
        raise ValueError(f"{variant.name} is not a Keras variant.")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(variant.precision)
    try:
        set_seed(seed)
        split = load_split("mnist", val_fraction, seed)
        run = train_and_record(
            build_deep(padding=padding), split, seed=seed, **settings
        )
    finally:
        keras.mixed_precision.set_global_policy(previous)
    return {**run, "variant": variant.name, "precision": variant.precision}


def compare(
    runs: list[dict], reference: list[dict], seeds, reference_label: str = "float32"
) -> dict:
    """Final test and validation accuracy of the variant's runs and the float32 ones.

    Args:
        runs: `precision_run` results, one per seed.
        reference: the float32 runs, same seeds.
        seeds: the seeds of both.
        reference_label: the float32 row's name in the table. Defaults to "float32".

    Returns:
        Means, spreads and the difference of the means, and a table.
    """

    out = {}
    for key in ("test_accuracy", "val_accuracy"):
        mine = mean_std([r["final"][key] for r in runs])
        theirs = mean_std([r["final"][key] for r in reference])
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
                (reference_label, "float32"),
                (runs[0]["precision"], "variant"),
            )
        ],
    }
    out["seeds"] = list(seeds)
    return out
