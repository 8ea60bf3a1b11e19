"""A tiny training script for tests/reliability_kill_test.py, which kills it.

    python tests/killable_run.py FOLDER

Trains a 3x3 convolution with dropout on 60 random 8x8 images (30
iterations in chunks of 10, a checkpoint after every chunk under
FOLDER/checkpoints/run), as the real scripts do: a run whose result exists
is skipped (`stored_or_trained`), a checkpoint left by a killed run is
resumed. The result, FOLDER/results/kill/run.json, holds the recorded
metrics without their times and the SHA-256 of the final weights, so that
everything outside its `meta` block is deterministic.

It prints "ready" on standard error once TensorFlow is loaded.
"""

import hashlib
import sys
from pathlib import Path

import keras
import numpy as np

from tfcnn.results import set_seed, stored_or_trained
from tfcnn.training.callbacks import IterationLogger
from tfcnn.training.checkpoints import TrainingBackup
from tfcnn.training.fit import compile_classifier, fit_iterations


def train(folder: Path, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    x, y = rng.random((60, 8, 8, 1), dtype=np.float32), rng.integers(0, 3, 60)
    set_seed(seed)
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Dropout(0.3)(
        keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    )
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(hidden)))
    compile_classifier(model, learning_rate=1e-2, steps_per_execution=5)
    logger = IterationLogger({"train": (x, y)}, every=10, verbose=0)
    backup = TrainingBackup(folder / "checkpoints" / "run", resume=True)
    fit_iterations(
        model,
        x,
        y,
        iterations=30,
        batch_size=10,
        seed=seed,
        chunk=10,
        callbacks=[logger, backup],
    )
    weights = b"".join(np.asarray(w).tobytes() for w in model.get_weights())
    return {
        "history": [
            {k: v for k, v in row.items() if "seconds" not in k}
            for row in logger.history
        ],
        "weights_sha256": hashlib.sha256(weights).hexdigest(),
    }


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    print("ready", file=sys.stderr, flush=True)
    stored_or_trained(
        "kill",
        "run",
        lambda: train(folder),
        lambda result: "trained",
        seed=0,
        root=folder / "results",
    )
