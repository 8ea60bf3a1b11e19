"""Mini-batch training of the NumPy network, with a record of every epoch.

Each epoch visits every training image once, in mini-batches (the last one
may be smaller), in an order set by `order`:

- "reshuffle": a new random permutation every epoch;
- "fixed": one random permutation, drawn once and reused every epoch;
- "class-sorted": all images of class 0, then class 1, ... (no shuffling at all).

After every epoch (and once before training, as epoch 0) the mean
cross-entropy and the accuracy on each evaluation set are recorded; the
training time of each epoch (wall clock, and CPU time of the process, which a
busy machine does not inflate) excludes that evaluation.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from tqdm.auto import tqdm

from tfcnn.scratch.network import Network
from tfcnn.scratch.optimizers import Optimizer

ORDERS = ("reshuffle", "fixed", "class-sorted")


def one_hot(labels: np.ndarray, num_classes: int = 10, dtype=np.float32) -> np.ndarray:
    """Integer labels (n,) -> one-hot rows (n, num_classes)."""
    labels = np.asarray(labels).reshape(-1)
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"labels must be in [0, {num_classes}), got {labels.min()}..{labels.max()}."
        )
    return np.eye(num_classes, dtype=dtype)[labels]


def evaluate(
    network: Network, x: np.ndarray, y: np.ndarray, batch_size: int = 250
) -> dict:
    """Mean cross-entropy ("loss") and accuracy of `network` on images `x`, labels `y`.

    Probabilities are computed `batch_size` images at a time (default 250).
    """
    probs = network.predict_proba(x, batch_size)
    true_class = probs[np.arange(len(y)), y]
    loss = float(-np.log(np.maximum(true_class, np.finfo(probs.dtype).tiny)).mean())
    return {"loss": loss, "accuracy": float((probs.argmax(axis=1) == y).mean())}


def epoch_orders(labels: np.ndarray, epochs: int, order: str, seed: int):
    """The visiting order of each epoch (a generator of index arrays)."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}.")
    rng = np.random.default_rng(seed)
    fixed = rng.permutation(len(labels)) if order == "fixed" else None
    for _ in range(epochs):
        if order == "reshuffle":
            yield rng.permutation(len(labels))
        elif order == "fixed":
            yield fixed
        else:
            yield np.argsort(labels, kind="stable")


def train(
    network: Network,
    optimizer: Optimizer,
    x_train: np.ndarray,
    y_train: np.ndarray,
    eval_sets: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    epochs: int = 15,
    batch_size: int = 32,
    seed: int = 0,
    order: str = "reshuffle",
    on_epoch_end: Callable[[int, Network], None] | None = None,
    progress: bool | str = True,
) -> dict:
    """Trains `network` in place and returns its history.

    Args:
        network: the network (its parameters are updated in place).
        optimizer: an `Optimizer` (holds its own state).
        x_train: images (n, H, W, C) in the network's dtype.
        y_train: their labels (n,).
        eval_sets: name -> (images, labels) evaluated after every epoch, e.g.
            {"train": (x_train, y_train), "test": (x_test, y_test)}.
        epochs: passes over the training set. Defaults to 15.
        batch_size: images per gradient step, 1 to n. Defaults to 32.
        seed: the shuffling. Defaults to 0.
        order: "reshuffle", "fixed" or "class-sorted" (module docstring).
            Defaults to "reshuffle".
        on_epoch_end: called as `on_epoch_end(epoch, network)` after the
            evaluation of every epoch, epoch 0 (before training) included.
            Defaults to None.
        progress: show a tqdm bar (a string is used as its label). Defaults to True.

    Returns:
        {"epoch": [0, 1, ..., epochs], "<set>_loss": [...], "<set>_accuracy": [...]
        for every evaluation set, "epoch_seconds" and "epoch_cpu_seconds": [...]
        (wall and process CPU time of the training part of epochs 1..epochs),
        "steps_per_epoch": int, "optimizer": {...}, "diverged": bool}. A run
        whose mini-batch loss becomes infinite or NaN stops there, with
        "diverged" True and only the epochs completed before recorded.
    """
    if not 1 <= batch_size <= len(x_train):
        raise ValueError(
            f"batch_size must be in [1, {len(x_train)}], got {batch_size}."
        )
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}.")
    targets = one_hot(y_train, network.config.get("num_classes", 10), x_train.dtype)
    steps = -(-len(x_train) // batch_size)
    history: dict = {
        "epoch": [],
        "epoch_seconds": [],
        "epoch_cpu_seconds": [],
        "steps_per_epoch": steps,
        "optimizer": optimizer.describe(),
        "diverged": False,
    }

    def record(epoch: int) -> bool:
        """Evaluates after `epoch`; False (nothing recorded) on NaN or inf."""
        values = {
            f"{name}_{key}": value
            for name, (x, y) in eval_sets.items()
            for key, value in evaluate(network, x, y).items()
        }
        if not all(np.isfinite(list(values.values()))):
            return False
        history["epoch"].append(epoch)
        for key, value in values.items():
            history.setdefault(key, []).append(value)
        if on_epoch_end is not None:
            on_epoch_end(epoch, network)
        return True

    record(0)
    label = progress if isinstance(progress, str) else "train"
    bar = tqdm(
        total=epochs * steps,
        desc=label,
        disable=not progress,
        leave=False,
        mininterval=1.0,
    )
    params = network.parameters()
    for epoch, indices in enumerate(
        epoch_orders(y_train, epochs, order, seed), start=1
    ):
        start, cpu_start = time.perf_counter(), time.process_time()
        for first in range(0, len(indices), batch_size):
            batch = indices[first : first + batch_size]
            loss = network.loss_and_gradients(x_train[batch], targets[batch])
            if not np.isfinite(loss):
                history["diverged"] = True
                break
            optimizer.step(params, network.gradients())
            bar.update()
        if history["diverged"]:
            break
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        if not record(epoch):
            history["diverged"] = True
            break
        history["epoch_seconds"].append(seconds)
        history["epoch_cpu_seconds"].append(cpu_seconds)
        bar.set_postfix(
            {
                key: f"{history[key][-1]:.3f}"
                for key in history
                if key.endswith("_accuracy")
            }
        )
    bar.close()
    return history


def history_records(history: dict) -> list[dict]:
    """The per-epoch series of a history as a list of records (one dict per epoch),
    the form `tfcnn.plots.plot_curves` takes."""
    series = [
        key
        for key, values in history.items()
        if isinstance(values, list) and len(values) == len(history["epoch"])
    ]
    return [
        {key: history[key][i] for key in series} for i in range(len(history["epoch"]))
    ]
