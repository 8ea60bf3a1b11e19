"""Compiling and training classifiers for a fixed number of iterations."""

from __future__ import annotations

import keras
import numpy as np

from tfcnn.data.pipeline import make_dataset
from tfcnn.training.checkpoints import NonFiniteLossGuard, TrainingBackup
from tfcnn.training.devices import steps_per_execution_for

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
        steps_per_execution=steps_per_execution_for(steps_per_execution),
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

    Training stops with `TrainingDivergedError` at the first NaN or infinite
    loss. A `tfcnn.training.checkpoints.TrainingBackup` among the callbacks makes the
    run resumable: the state is saved after every chunk, and a run started
    with a checkpoint continues from it, with the input stream advanced to the
    batch the interrupted run would have drawn next, so that (under
    `set_seed`'s op determinism) the result is bit-identical to a run that was
    never interrupted.

    Args:
        model: a compiled model.
        x: training images.
        y: their labels.
        iterations: training steps (batches), a multiple of `chunk`.
        batch_size: examples per step. Defaults to 50.
        seed: the shuffle seed. Defaults to 0.
        chunk: steps per Keras "epoch" (the unit of checkpoints and epoch
            callbacks). Defaults to 500.
        callbacks: Keras callbacks, e.g. an `IterationLogger` and a
            `TrainingBackup`. Defaults to none.

    Returns:
        The Keras history of the chunk-level logs (of the whole run, also
        after a resume).
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
    _check_inputs(model, x, y)
    spe = model.steps_per_execution if hasattr(model, "steps_per_execution") else 1
    if chunk % max(1, int(spe)):
        raise ValueError(
            f"chunk ({chunk}) must be a multiple of steps_per_execution ({spe})."
        )
    backups = [cb for cb in callbacks if isinstance(cb, TrainingBackup)]
    others = [cb for cb in callbacks if not isinstance(cb, TrainingBackup)]
    if len(backups) > 1:
        raise ValueError("pass at most one TrainingBackup among the callbacks.")
    backup = backups[0] if backups else None
    done = 0
    if backup is not None:
        run = {
            "iterations": iterations,
            "batch_size": batch_size,
            "seed": seed,
            "chunk": chunk,
            "examples": len(x),
            # Without the name, which Keras numbers per process (adam_1, ...).
            "optimizer": {
                k: v for k, v in model.optimizer.get_config().items() if k != "name"
            },
        }
        done = backup.restore(model, run, others)
    stream = make_dataset(
        x, y, batch_size=batch_size, shuffle=True, seed=seed, repeat=True
    )
    if done:
        # The batches the interrupted run trained on; the shuffle is seeded, so
        # skipping them continues the same sequence.
        stream = stream.skip(done * chunk)
    history = model.fit(
        stream,
        epochs=iterations // chunk,
        initial_epoch=done,
        steps_per_epoch=chunk,
        # The guard first: it stops the step before others record a NaN; the
        # backup last: it restores the others' state after they reset it.
        callbacks=[NonFiniteLossGuard(backup), *others, *backups],
        verbose=0,
        shuffle=False,
    )
    if backup is not None and backup.epoch_logs:
        history.epoch = list(range(iterations // chunk))
        history.history = {
            key: [logs[key] for logs in backup.epoch_logs]
            for key in backup.epoch_logs[0]
        }
    return history


def _check_inputs(model: keras.Model, x, y) -> None:
    """ValueError when the images do not fit the model or the labels the images."""
    if isinstance(y, np.ndarray) and len(y) != len(x):
        raise ValueError(
            f"x holds {len(x)} images but y holds {len(y)} labels; pass one label "
            "per image."
        )
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):  # a Sequential model without an Input
        return
    if not isinstance(x, np.ndarray) or not inputs or len(inputs) != 1:
        return
    image_shape = tuple(x.shape[1:]) + ((1,) if x.ndim == 3 else ())
    expected = tuple(inputs[0].shape[1:])
    if len(image_shape) != len(expected) or any(
        want is not None and want != got for want, got in zip(expected, image_shape)
    ):
        raise ValueError(
            f"x holds images of shape {image_shape} but model '{model.name}' "
            f"expects {expected}. Fix: build the model with "
            f"input_shape={image_shape}, or pass images of shape {expected}."
        )
