"""Metrics of logit-output models on arrays, computed in float64 on any Keras backend."""

from __future__ import annotations

import keras
import numpy as np

from tfcnn.analysis.theory import log_softmax


def predict_logits(
    model: keras.Model, x, flip_tta: bool = True, batch_size: int = 1000
) -> np.ndarray:
    """The model's outputs on `x` as float64; with `flip_tta`, the mean over each
    image and its mirror image.

    Args:
        model: a logit-output model.
        x: its inputs; uint8 images are fed as float32. With `flip_tta`,
            images of shape (n, h, w, c).
        flip_tta: average the outputs on the images and on their left-right
            mirrors (test-time augmentation). Defaults to True.
        batch_size: examples per prediction batch. Defaults to 1,000.
    """
    if isinstance(x, np.ndarray) and x.dtype == np.uint8:
        x = x.astype(np.float32)
    logits = _predict(model, x, batch_size)
    if flip_tta:
        logits = 0.5 * (logits + _predict(model, x[:, :, ::-1], batch_size))
    return np.asarray(logits, dtype=np.float64)


def _predict(model: keras.Model, x, batch_size: int) -> np.ndarray:
    """`model.predict_on_batch` over `x` in slices of `batch_size`, for arrays.

    One compiled prediction step is reused across slices and calls: no data
    adapter or iterator per call, which `model.predict` builds (on the small
    networks of set C that cost about 40 % of every evaluation). Anything
    else (a `tf.data.Dataset`, a generator) goes to `model.predict`.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
    if not isinstance(x, np.ndarray):
        return model.predict(x, batch_size=batch_size, verbose=0)
    batches = [
        np.asarray(model.predict_on_batch(x[start : start + batch_size]))
        for start in range(0, len(x), batch_size)
    ]
    return np.concatenate(batches)


def classification_metrics(model, x, y, batch_size: int = 1000) -> dict:
    """Accuracy and mean cross-entropy of a logit-output model on `(x, y)`."""
    logits = predict_logits(model, x, False, batch_size)
    y = np.asarray(y).reshape(-1).astype(int)
    log_probs = log_softmax(logits)
    return {
        "loss": float(-log_probs[np.arange(len(y)), y].mean()),
        "accuracy": float((logits.argmax(axis=-1) == y).mean()),
    }


def pair_metrics(model, x, y, batch_size: int = 1000) -> dict:
    """Metrics of a two-digit network on pairs `x`.

    A sum head ((n, 19) logits, `y` the sums) gives `loss` and `sum_accuracy`.
    A digit head ((n, 2, 10) logits, `y` the (n, 2) digits) gives the mean
    `loss` over both digits, `digit_accuracy` (over all 2n digits),
    `sum_accuracy` (the sum of the two predicted digits) and
    `sum_accuracy_marginal` (the most probable sum under the two softmaxes,
    P(s) = sum_a p_left(a) p_right(s - a)).
    """
    logits = predict_logits(model, x, False, batch_size)
    y = np.asarray(y).astype(int)
    log_probs = log_softmax(logits)
    if logits.ndim == 2:
        return {
            "loss": float(-log_probs[np.arange(len(y)), y.reshape(-1)].mean()),
            "sum_accuracy": float((logits.argmax(-1) == y.reshape(-1)).mean()),
        }
    n = len(y)
    picked = log_probs[np.arange(n)[:, None], np.arange(2)[None, :], y]
    predicted = logits.argmax(-1)
    probs = np.exp(log_probs)
    sums = np.stack([np.convolve(left, right) for left, right in probs])
    return {
        "loss": float(-picked.mean()),
        "digit_accuracy": float((predicted == y).mean()),
        "sum_accuracy": float((predicted.sum(1) == y.sum(1)).mean()),
        "sum_accuracy_marginal": float((sums.argmax(-1) == y.sum(1)).mean()),
    }


def best_epoch(histories: list[list[dict]], key: str = "val_accuracy") -> int:
    """The epoch (counted from 1) whose seed-mean `key` is highest.

    Args:
        histories: one `train_epochs` history per seed, of equal length.
        key: the validation metric to maximise. Defaults to "val_accuracy".
    """
    values = np.array(
        [[row[key] for row in history] for history in histories], dtype=float
    )
    return int(np.nanargmax(values.mean(axis=0))) + 1


def predict_probabilities(model: keras.Model, x, batch_size: int = 1000) -> np.ndarray:
    """Softmax probabilities (float64) of a logit-output model, on any backend."""
    logits = predict_logits(model, x, False, batch_size)
    return np.exp(log_softmax(logits))


def accuracy_and_loss(probabilities: np.ndarray, labels) -> dict:
    """Accuracy and mean cross-entropy from predicted probabilities."""
    labels = np.asarray(labels).reshape(-1).astype(int)
    picked = probabilities[np.arange(len(labels)), labels]
    return {
        "accuracy": float((probabilities.argmax(axis=1) == labels).mean()),
        "loss": float(-np.log(np.clip(picked, 1e-300, None)).mean()),
    }
