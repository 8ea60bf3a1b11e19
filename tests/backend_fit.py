"""A short fit of the set A network, for tests/backends_test.py, on the backend of
`KERAS_BACKEND`.

    KERAS_BACKEND=jax python tests/backend_fit.py

Builds the set A network (one conv 5x5x32 at stride 1, ReLU, a dense layer to
10 logits) and fits it with Adam for 5 epochs of 4 batches on 128 images whose
class is the brightest of 10 horizontal bands, so that there is something to
learn; prints its backend, layers, parameter count and losses as one JSON line.
It imports Keras and the model builder only, not TensorFlow, so that the
other backends start quickly.
"""

import json
import random

import keras
import numpy as np

from tfcnn.models import build_shallow


def fit_set_a_network() -> dict:
    # Keras draws its initialisers' seeds from Python's generator; its own
    # `set_random_seed` would also import TensorFlow, to seed it.
    random.seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 128)
    x = rng.random((128, 28, 28, 1), dtype=np.float32) * 0.5
    for image, label in zip(x, y):
        image[2 * label + 4 : 2 * label + 6] += 0.5
    model = build_shallow()
    model.compile(  # what compile_classifier does, without importing TensorFlow
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = model.fit(x, y, batch_size=32, epochs=5, shuffle=False, verbose=0)
    return {
        "backend": keras.backend.backend(),
        "layers": [
            [type(layer).__name__, list(layer.output.shape[1:])]
            for layer in model.layers
        ],
        "params": model.count_params(),
        "losses": [float(loss) for loss in history.history["loss"]],
    }


if __name__ == "__main__":
    print(json.dumps(fit_set_a_network()))
