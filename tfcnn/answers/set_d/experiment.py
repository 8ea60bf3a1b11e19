"""The set D experiment: its data, one seeded training run, and learning-rate tuning.

Data (question D3/D5): 1,000 MNIST training images (100 per class) and 100
test images (10 per class), drawn stratified with one seed; the same 100 test
images are used for every run and every figure. Learning rates are tuned on a
stratified validation split of the 1,000 training images; the test images
never choose anything.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from tfcnn.data import load_mnist, stratified_indices, train_val_split
from tfcnn.data.pipeline import to_float
from tfcnn.scratch.network import build_network
from tfcnn.scratch.optimizers import SHEET_SETTINGS, make_optimizer
from tfcnn.scratch.train import train


@dataclasses.dataclass(frozen=True)
class SetDData:
    """Float32 NHWC images in [0, 1], integer labels, and where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_indices: np.ndarray  # into the 60,000 MNIST training images
    test_indices: np.ndarray  # into the 10,000 MNIST test images


def load_data(
    train_per_class: int = 100, test_per_class: int = 10, seed: int = 0, data_dir=None
) -> SetDData:
    """The stratified MNIST subsets of set D.

    Args:
        train_per_class: training images per digit. Defaults to 100.
        test_per_class: test images per digit. Defaults to 10.
        seed: the draw of both subsets. Defaults to 0.
        data_dir: where MNIST is (see `tfcnn.data`). Defaults to the usual search.
    """
    mnist = load_mnist(data_dir=data_dir)
    train_idx = stratified_indices(mnist.y_train, train_per_class, seed)
    test_idx = stratified_indices(mnist.y_test, test_per_class, seed)
    return SetDData(
        to_float(mnist.x_train[train_idx]),
        mnist.y_train[train_idx].astype(np.int64),
        to_float(mnist.x_test[test_idx]),
        mnist.y_test[test_idx].astype(np.int64),
        train_idx,
        test_idx,
    )


def validation_split(data: SetDData, val_fraction: float = 0.2, seed: int = 0):
    """`(x_fit, y_fit), (x_val, y_val)`: a stratified split of the training images."""
    return train_val_split(data.x_train, data.y_train, val_fraction, seed)


def run(
    x_train,
    y_train,
    eval_sets: dict,
    *,
    optimizer: str,
    learning_rate: float | None = None,
    batch_size: int = 32,
    epochs: int = 15,
    seed: int = 0,
    order: str = "reshuffle",
    on_epoch_end=None,
    progress: bool | str = False,
) -> dict:
    """Builds the D1 network from `seed`, trains it, and returns its history.

    Args:
        x_train: training images.
        y_train: their labels.
        eval_sets: name -> (images, labels), evaluated every epoch.
        optimizer: "sgd", "momentum" or "rmsprop".
        learning_rate: η; None for the sheet's (0.001). Defaults to None.
        batch_size: defaults to 32.
        epochs: defaults to 15.
        seed: the initial weights and the shuffling. Defaults to 0.
        order: "reshuffle", "fixed" or "class-sorted". Defaults to "reshuffle".
        on_epoch_end: see `tfcnn.scratch.train`. Defaults to None.
        progress: a tqdm label, or False. Defaults to False.

    Returns:
        The history of `train` plus "final" (the last value of every recorded
        series), "network" (its build config) and "wall_seconds".
    """
    hyper = {} if learning_rate is None else {"learning_rate": learning_rate}
    network = build_network(seed=seed)
    start = time.perf_counter()
    history = train(
        network,
        make_optimizer(optimizer, **hyper),
        x_train,
        y_train,
        eval_sets,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        order=order,
        on_epoch_end=on_epoch_end,
        progress=progress,
    )
    history["wall_seconds"] = time.perf_counter() - start
    history["network"] = network.config
    history["final"] = {
        key: values[-1]
        for key, values in history.items()
        if key.endswith(("_loss", "_accuracy"))
    }
    return history


def mean_std(values) -> dict:
    """`{"mean", "std", "n"}` of some numbers (sample std; 0 for one value)."""
    values = np.asarray(list(values), dtype=float)
    if values.size == 0:
        raise ValueError("mean_std needs at least one value.")
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return {"mean": float(values.mean()), "std": std, "n": int(values.size)}


def tuning_score(histories: list[dict]) -> tuple[float, float]:
    """(mean final validation accuracy, -mean final validation loss) over seeds.

    Larger is better, so `max` picks the best rate; a diverged run scores
    (0, -inf).
    """
    accuracies, losses = [], []
    for history in histories:
        if history.get("diverged"):
            accuracies.append(0.0)
            losses.append(math.inf)
        else:
            accuracies.append(history["final"]["val_accuracy"])
            losses.append(history["final"]["val_loss"])
    return float(np.mean(accuracies)), -float(np.mean(losses))


def choose_learning_rate(runs_by_rate: dict[float, list[dict]]) -> float:
    """The rate with the best `tuning_score` (validation accuracy, then loss)."""
    if not runs_by_rate:
        raise ValueError("runs_by_rate is empty: tune over at least one learning rate.")
    return max(runs_by_rate, key=lambda rate: tuning_score(runs_by_rate[rate]))


def sheet_learning_rate(optimizer: str) -> float:
    """The learning rate the sheet prescribes for `optimizer`."""
    return SHEET_SETTINGS[optimizer]["learning_rate"]
