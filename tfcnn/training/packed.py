"""Training many small networks at once, as one packed model (`tfcnn.models.packed`).

A packed model outputs the stacked logits of its networks, shape
(n, networks, classes). Its loss is the sum of the networks' mean
cross-entropies, so with Adam every network follows exactly the updates it
would follow alone on the same batches; the records split back into one run
per network, as `train_and_record` would have written it.
"""

from __future__ import annotations

import re

import keras
import numpy as np

from tfcnn.analysis.theory import log_softmax
from tfcnn.models.packed import pack_models
from tfcnn.training.fit import train_and_record
from tfcnn.training.metrics import predict_logits

_PER_NETWORK = re.compile(r"^(.*)_net(\d+)$")


def packed_cross_entropy(labels, logits):
    """Sum over networks of the sparse cross-entropy; `logits` (n, networks, classes)."""
    labels = keras.ops.cast(keras.ops.reshape(labels, (-1, 1)), "int32")
    labels = keras.ops.broadcast_to(labels, keras.ops.shape(logits)[:2])
    per_network = keras.losses.sparse_categorical_crossentropy(
        labels, logits, from_logits=True
    )
    return keras.ops.sum(per_network, axis=-1)


def packed_metrics(model, x, y, batch_size: int = 1000) -> dict:
    """Accuracy and cross-entropy of each packed network, keyed `accuracy_net<i>`."""
    logits = predict_logits(model, x, False, batch_size)
    y = np.asarray(y).reshape(-1).astype(int)
    log_probs = log_softmax(logits)
    rows = np.arange(len(y))
    out = {}
    for i in range(logits.shape[1]):
        out[f"loss_net{i}"] = float(-log_probs[rows, i, y].mean())
        out[f"accuracy_net{i}"] = float((logits[:, i].argmax(-1) == y).mean())
    return out


def unpack_history(history: list[dict], network: int) -> list[dict]:
    """One network's records from a packed run's: `val_accuracy_net3` -> `val_accuracy`."""
    out = []
    for row in history:
        mine = {}
        for key, value in row.items():
            match = _PER_NETWORK.match(key)
            if match is None:
                mine[key] = value
            elif int(match.group(2)) == network:
                mine[match.group(1)] = value
        out.append(mine)
    return out


def train_packed(models, split, **kwargs) -> list[dict]:
    """Trains `models` together on the same batches; one run per model.

    Args:
        models: built logit-output models (see `pack_models`).
        split: the `tfcnn.data.splits.Split` to train on and evaluate.
        **kwargs: `train_and_record`'s schedule arguments (`iterations`,
            `batch_size`, `optimizer`, `learning_rate`, ...).

    Returns:
        One dict per model, like `train_and_record`'s: `history`, `final`,
        `params` (the model's own), and the packed run's `train_seconds` and
        `wall_seconds` (shared by all).
    """
    packed = train_and_record(
        pack_models(models),
        split,
        loss=packed_cross_entropy,
        evaluate_fn=packed_metrics,
        **kwargs,
    )
    runs = []
    for i, model in enumerate(models):
        history = unpack_history(packed["history"], i)
        runs.append(
            {
                **packed,
                "params": int(model.count_params()),
                "history": history,
                "final": history[-1],
            }
        )
    return runs
