"""Set A: convolution by hand, strides, losses and optimisers on Fashion-MNIST (A1-A6).

One module per question or tight group: `a1_a2_convolution`, `a3_a4_strides`,
`a5_losses`, `a6_optimizers`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tfcnn.data import balanced_subset
from tfcnn.data.splits import Split, load_split
from tfcnn.results import write_result


def load_fashion_split(
    val_fraction: float, seed: int, train_size: int | None = None
) -> Split:
    """Fashion-MNIST's training/validation/test split of set A's trained answers.

    Args:
        val_fraction: share of the training images held out for validation.
        seed: seed of the validation draw and of the training sample.
        train_size: if given, train on a class-balanced sample of this many
            training images (a smoke run). Defaults to None (all of them).
    """
    split = load_split("fashion_mnist", val_fraction, seed)
    if train_size is None:
        return split
    x, y = balanced_subset(split.x_train, split.y_train, train_size, seed)
    return dataclasses.replace(split, x_train=x, y_train=y)


def write_run(result_id: str, name: str, run: dict, config, seed: int, root: Path):
    """Writes a `train_epochs` run as `<root>/<result_id>/<name>.json`, with its seed.

    Args:
        result_id: "a3" or "a6".
        name: the run's file name without `.json`.
        run: the run, as `train_epochs` returns it (with `wall_seconds`).
        config: the answer's `Config`, recorded with the run.
        seed: the run's seed.
        root: the results folder.
    """
    write_result(
        result_id,
        name,
        run,
        config=config,
        seed=seed,
        wall_seconds=run["wall_seconds"],
        root=root,
    )
