"""Compiling and training classifiers for a fixed number of iterations."""

from __future__ import annotations

import keras

from tfcnn.data.pipeline import make_dataset

OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "sgd": keras.optimizers.SGD,
    "rmsprop": keras.optimizers.RMSprop,
}


def make_optimizer(
    name: str, learning_rate: float, decay_steps: int | None = None, **kwargs
) -> keras.optimizers.Optimizer:
    """An optimiser by name ("adam", "sgd", "rmsprop") and learning rate.

    Args:
        name: the optimiser.
        learning_rate: the (initial) learning rate, > 0.
        decay_steps: if given, the rate follows a cosine decay to 0 over this
            many steps. Defaults to None (constant).
        **kwargs: passed to the Keras optimiser (e.g. `momentum`, `rho`).
    """
    if name not in OPTIMIZERS:
        raise ValueError(
            f"Unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}."
        )
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}.")
    if decay_steps:
        learning_rate = keras.optimizers.schedules.CosineDecay(
            learning_rate, decay_steps
        )
    return OPTIMIZERS[name](learning_rate=learning_rate, **kwargs)


def compile_classifier(
    model: keras.Model,
    optimizer: str = "adam",
    learning_rate: float = 1e-4,
    steps_per_execution: int = 1,
    decay_steps: int | None = None,
) -> keras.Model:
    """Compiles a logit-output model with sparse cross-entropy and accuracy.

    Args:
        model: the model (outputs logits).
        optimizer: "adam", "sgd" or "rmsprop". Defaults to "adam".
        learning_rate: defaults to 1e-4 (the classic tutorial's Adam rate).
        steps_per_execution: batches per compiled call (fewer Python round
            trips; results are the same). Defaults to 1.
        decay_steps: cosine-decay the rate to 0 over this many steps; None
            keeps it constant. Defaults to None.
    """
    model.compile(
        optimizer=make_optimizer(optimizer, learning_rate, decay_steps),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    return model


def fit_iterations(
    model: keras.Model,
    x,
    y,
    *,
    iterations: int,
    batch_size: int = 50,
    seed: int = 0,
    chunk: int = 500,
    callbacks=(),
) -> keras.callbacks.History:
    """Trains for exactly `iterations` batches drawn from a reshuffled stream.

    Args:
        model: a compiled model.
        x, y: training images and labels.
        iterations: training steps (batches), a multiple of `chunk`.
        batch_size: examples per step. Defaults to 50.
        seed: the shuffle seed. Defaults to 0.
        chunk: steps per Keras "epoch" (the unit of checkpoints and epoch
            callbacks). Defaults to 500.
        callbacks: Keras callbacks, e.g. an `IterationLogger`.
    """
    if iterations < 1 or iterations % chunk:
        raise ValueError(
            f"iterations ({iterations}) must be a positive multiple of chunk ({chunk})."
        )
    if batch_size > len(x):
        raise ValueError(
            f"batch_size {batch_size} is larger than the {len(x)} training examples; "
            "use a batch_size of at most the data set size."
        )
    stream = make_dataset(
        x, y, batch_size=batch_size, shuffle=True, seed=seed, repeat=True
    )
    spe = model.steps_per_execution if hasattr(model, "steps_per_execution") else 1
    if chunk % max(1, int(spe)):
        raise ValueError(
            f"chunk ({chunk}) must be a multiple of steps_per_execution ({spe})."
        )
    return model.fit(
        stream,
        epochs=iterations // chunk,
        steps_per_epoch=chunk,
        callbacks=list(callbacks),
        verbose=0,
        shuffle=False,
    )


def set_threads(threads: int) -> None:
    """Limits TensorFlow to `threads` threads per op and between ops; 0 keeps the default."""
    if threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
