"""Compiling models, and the one fit path that every Keras training run takes.

`compile_classifier` (Adam, SGD or RMSprop on sparse labels) and
`compile_cifar` (the fast CIFAR-10 recipe: Nesterov SGD on a
`TriangularSchedule`, label smoothing) compile a logit-output model.

`fit` wraps `model.fit` with what every run needs: a stop at the first NaN
loss, a resumable checkpoint (`tfcnn.training.checkpoints.TrainingBackup`
among the callbacks) and the whole history after a resume. Its callers pick
the unit and the input:

- `fit_iterations`: a fixed number of iterations (batches) drawn from a
  reshuffled `tf.data` stream, in chunks of Keras "epochs";
- `train_and_record`: compiles, then `fit_iterations` with train/val/test
  records every N iterations (an `IterationLogger`);
- `train_epochs`: passes over NumPy arrays (or augmented batches of them),
  recorded after every epoch; it runs on any Keras backend.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfcnn.data import stratified_indices
from tfcnn.data.augment import AugmentedBatches
from tfcnn.data.datasets import check_images_and_labels
from tfcnn.data.pipeline import make_dataset
from tfcnn.data.splits import Split
from tfcnn.training.callbacks import EpochClock, IterationLogger
from tfcnn.training.callbacks.tensorboard import log_dir, new_run_dir
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
    weight_decay: float = 0.0,
    loss=None,
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
        weight_decay: decoupled weight decay (each step multiplies the
            weights by 1 - learning_rate * weight_decay). Defaults to 0.
        loss: another loss `fn(labels, outputs)`, e.g. that of packed
            networks; Keras then tracks no accuracy. Defaults to None (sparse
            cross-entropy from logits, and accuracy).
    """
    extra = {"weight_decay": weight_decay} if weight_decay else {}
    return _compile(
        model,
        make_optimizer(optimizer, learning_rate, decay_steps, **extra),
        loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        None if loss else "accuracy",
        steps_per_execution,
    )


def _compile(model, optimizer, loss, accuracy, steps_per_execution: int = 1):
    """`model.compile` with one accuracy metric (or none), under the strategy in effect."""
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=[accuracy] if accuracy else [],
        steps_per_execution=steps_per_execution_for(steps_per_execution),
    )
    return model


@keras.saving.register_keras_serializable(package="tfcnn")
class TriangularSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from `start * peak` to `peak`, then linear decay to `end * peak`.

    Args:
        peak: the highest learning rate.
        total_steps: steps of the whole run.
        warmup_fraction: share of the steps spent warming up. Defaults to 0.23.
        start: first rate as a fraction of `peak`. Defaults to 0.2.
        end: last rate as a fraction of `peak`. Defaults to 0.07.
    """

    def __init__(
        self,
        peak: float,
        total_steps: int,
        warmup_fraction: float = 0.23,
        start: float = 0.2,
        end: float = 0.07,
    ):
        if total_steps < 2 or not 0.0 < warmup_fraction < 1.0:
            raise ValueError(
                f"need total_steps >= 2 and 0 < warmup_fraction < 1, got {total_steps}, {warmup_fraction}."
            )
        self.peak, self.total_steps = float(peak), int(total_steps)
        self.warmup_fraction, self.start, self.end = (
            float(warmup_fraction),
            float(start),
            float(end),
        )

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        warmup = max(1.0, round(self.warmup_fraction * self.total_steps))
        up = self.start + (1.0 - self.start) * step / warmup
        down_fraction = keras.ops.clip(
            (step - warmup) / (self.total_steps - warmup), 0.0, 1.0
        )
        down = 1.0 + (self.end - 1.0) * down_fraction
        return self.peak * keras.ops.where(step < warmup, up, down)

    def get_config(self):
        return {
            "peak": self.peak,
            "total_steps": self.total_steps,
            "warmup_fraction": self.warmup_fraction,
            "start": self.start,
            "end": self.end,
        }


def compile_cifar(
    model: keras.Model,
    total_steps: int,
    batch_size: int = 512,
    learning_rate_per_1024: float = 1.5,
    momentum: float = 0.85,
    weight_decay: float = 0.009,
    label_smoothing: float = 0.2,
) -> keras.Model:
    """Compiles with Nesterov SGD, the triangular schedule and label-smoothed cross-entropy.

    The defaults translate airbench94's hyperparameters to Keras' conventions
    (mean loss over the batch; weight decay applied as `w -= lr * wd * w`).

    Args:
        model: a logit-output model.
        total_steps: training steps of the whole run (for the schedule).
        batch_size: images per step; the peak learning rate is
            `learning_rate_per_1024 * batch_size / 1024`. Defaults to 512.
        learning_rate_per_1024: peak learning rate at batch 1024. Defaults to 1.5.
        momentum: Nesterov momentum. Defaults to 0.85.
        weight_decay: decoupled weight decay. Defaults to 0.009.
        label_smoothing: share of the target mass spread over all classes.
            Defaults to 0.2.
    """
    schedule = TriangularSchedule(
        learning_rate_per_1024 * batch_size / 1024, total_steps
    )
    return _compile(
        model,
        keras.optimizers.SGD(
            schedule, momentum=momentum, nesterov=True, weight_decay=weight_decay
        ),
        keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=label_smoothing
        ),
        keras.metrics.CategoricalAccuracy(name="accuracy"),
    )


def fit(
    model: keras.Model,
    data,
    *,
    epochs: int,
    steps_per_epoch: int | None = None,
    batch_size: int | None = None,
    shuffle: bool = False,
    validation_data=None,
    callbacks=(),
    run: dict | None = None,
    unit: str = "epoch",
    stop_on_nan: bool = True,
) -> keras.callbacks.History:
    """Trains a compiled model for `epochs` Keras epochs: the one fit path.

    With a `--tensorboard` folder (`tfcnn.training.callbacks.tensorboard`), a
    run without an `IterationLogger` (whose records go there) gets a
    `keras.callbacks.TensorBoard` writing Keras' epoch logs to
    `<folder>/<model name>`.

    A `tfcnn.training.checkpoints.TrainingBackup` among the callbacks makes
    the run resumable: the state is saved after every epoch, and a run started
    with a checkpoint continues from it. A `tf.data` stream is then advanced
    to the batch the interrupted run would have drawn next, so that (under
    `set_seed`'s op determinism) the result is bit-identical to a run that was
    never interrupted; arrays and `PyDataset`s restart from their beginning.

    Args:
        model: a compiled model.
        data: a `tf.data.Dataset` (an endless stream needs `steps_per_epoch`),
            a `keras.utils.PyDataset`, or a tuple `(x, y)` of arrays.
        epochs: the Keras epochs of the whole run (also after a resume).
        steps_per_epoch: batches per epoch. Defaults to None (one pass).
        batch_size: examples per batch of `(x, y)` arrays. Defaults to None.
        shuffle: reshuffle `(x, y)` arrays every epoch. Defaults to False.
        validation_data: evaluated by Keras after every epoch. Defaults to None.
        callbacks: Keras callbacks, e.g. an `IterationLogger` and a
            `TrainingBackup`. Defaults to none.
        run: what defines the run (settings that a resumed run must share);
            needed with a `TrainingBackup`, which adds the optimiser's
            settings. Defaults to None.
        unit: "epoch" or "iteration": what the run counts, for messages.
            Defaults to "epoch".
        stop_on_nan: stop with `TrainingDivergedError` at the first NaN or
            infinite loss or weight; with False a diverged run goes on to the
            end. Defaults to True.

    Returns:
        The Keras history of the epoch-level logs (of the whole run, also
        after a resume).
    """
    if unit not in ("epoch", "iteration"):
        raise ValueError(f"unit must be 'epoch' or 'iteration', got {unit!r}.")
    backups = [cb for cb in callbacks if isinstance(cb, TrainingBackup)]
    others = [cb for cb in callbacks if not isinstance(cb, TrainingBackup)]
    if len(backups) > 1:
        raise ValueError("pass at most one TrainingBackup among the callbacks.")
    backup = backups[0] if backups else None
    if log_dir() is not None and not any(
        isinstance(cb, IterationLogger) for cb in others
    ):
        run_dir = new_run_dir(log_dir(), model.name)
        others.append(keras.callbacks.TensorBoard(str(run_dir), write_graph=False))
    x, y = data if isinstance(data, tuple) else (data, None)
    done = 0
    if backup is not None:
        if run is None:
            raise ValueError("a TrainingBackup needs `run`, the settings of the run.")
        # Without the name, which Keras numbers per process (adam_1, ...).
        optimizer = {
            k: v for k, v in model.optimizer.get_config().items() if k != "name"
        }
        done = backup.restore(
            model,
            {**run, "optimizer": optimizer},
            others,
            iterations_per_epoch=steps_per_epoch if unit == "iteration" else None,
        )
    if done and isinstance(x, tf.data.Dataset):
        # The batches the interrupted run trained on; the stream is seeded, so
        # skipping them continues the same sequence.
        x = x.skip(done * steps_per_epoch)
    guard = [NonFiniteLossGuard(backup)] if stop_on_nan else []
    history = model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=epochs,
        initial_epoch=done,
        steps_per_epoch=steps_per_epoch,
        validation_data=validation_data,
        # The guard first: it stops the step before others record a NaN; the
        # backup last: it restores the others' state after they reset it.
        callbacks=[*guard, *others, *backups],
        verbose=0,
        shuffle=shuffle,
    )
    if backup is not None and backup.epoch_logs:
        history.epoch = list(range(len(backup.epoch_logs)))
        history.history = {
            key: [logs[key] for logs in backup.epoch_logs]
            for key in backup.epoch_logs[0]
        }
    return history


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

    `fit` by iterations: stops at the first NaN or infinite loss, and resumes
    bit-identically with a `TrainingBackup` among the callbacks.

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
    stream = make_dataset(
        x, y, batch_size=batch_size, shuffle=True, seed=seed, repeat=True
    )
    run = {
        "iterations": iterations,
        "batch_size": batch_size,
        "seed": seed,
        "chunk": chunk,
        "examples": len(x),
    }
    return fit(
        model,
        stream,
        epochs=iterations // chunk,
        steps_per_epoch=chunk,
        callbacks=callbacks,
        run=run,
        unit="iteration",
    )


def train_and_record(
    model,
    split: Split,
    *,
    iterations: int,
    batch_size: int = 50,
    optimizer: str = "adam",
    learning_rate: float = 1e-4,
    cosine_decay: bool = False,
    record_every: int = 500,
    seed: int = 0,
    train_eval_size: int = 2000,
    evaluate_fn=None,
    loss=None,
    callbacks=(),
    verbose: int = 1,
) -> dict:
    """Compiles and trains `model`, evaluating train/val/test every `record_every` steps.

    "train" metrics are measured on a fixed sample of `train_eval_size`
    training images (stratified where it can be; the same at every record;
    all of them when there are fewer); "val" is skipped when the split has
    none.

    Args:
        model: a logit-output model (uncompiled).
        split: the `tfcnn.data.splits.Split` to train on and evaluate.
        iterations: training steps, a multiple of `record_every`.
        batch_size: examples per step. Defaults to 50.
        optimizer: "adam", "sgd" or "rmsprop". Defaults to "adam".
        learning_rate: defaults to 1e-4.
        cosine_decay: decay the learning rate to 0 over the run. Defaults to
            False.
        record_every: steps between records (and checkpoints). Defaults to 500.
        seed: the shuffle seed and the seed of the train sample. Defaults to 0.
        train_eval_size: training images in the "train" sample. Defaults to 2,000.
        evaluate_fn: the logger's metrics. Defaults to None (accuracy and
            cross-entropy).
        loss: the training loss, as in `compile_classifier`. Defaults to None
            (sparse cross-entropy).
        callbacks: more callbacks, e.g. a `TrainingBackup`. Defaults to none.
        verbose: one line per record. Defaults to 1.

    Returns:
        A dict with `history` (one row per record), `final` (the last row),
        `params`, `train_seconds` and `wall_seconds`.
    """
    sample = _train_sample(split, train_eval_size, seed)
    eval_data = {
        "train": (split.x_train[sample], split.y_train[sample]),
        "val": (split.x_val, split.y_val),
        "test": (split.x_test, split.y_test),
    }
    if not len(split.y_val):
        del eval_data["val"]
    logger = IterationLogger(
        eval_data, every=record_every, evaluate_fn=evaluate_fn, verbose=verbose
    )
    compile_classifier(
        model,
        optimizer,
        learning_rate,
        steps_per_execution=10 if record_every % 10 == 0 else 1,
        decay_steps=iterations if cosine_decay else None,
        loss=loss,
    )
    started = time.perf_counter()
    fit_iterations(
        model,
        split.x_train,
        split.y_train,
        iterations=iterations,
        batch_size=batch_size,
        seed=seed,
        chunk=record_every,
        callbacks=[logger, *callbacks],
    )
    return {
        "params": int(model.count_params()),
        "history": logger.history,
        "final": logger.history[-1],
        "train_seconds": logger.history[-1]["train_seconds"],
        "wall_seconds": time.perf_counter() - started,
    }


def _train_sample(split: Split, size: int, seed: int) -> np.ndarray:
    """A fixed stratified sample of `size` training examples, or a random one
    when the labels are not single classes or a class is too rare; all of
    them when there are no more than `size`."""
    n = len(split.y_train)
    if size >= n:
        return np.arange(n)
    per_class = max(1, size // len(split.class_names))
    if split.y_train.ndim == 1 and np.bincount(split.y_train).min() >= per_class:
        return stratified_indices(split.y_train, per_class, seed)
    return np.sort(np.random.default_rng(seed).permutation(n)[:size])


def train_epochs(
    model: keras.Model,
    split,
    *,
    epochs: int,
    batch_size: int,
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    train_eval_size: int = 10_000,
    seed: int = 0,
    checkpoint_dir: Path | None = None,
    max_shift: int = 0,
    flip: bool = False,
    weight_decay: float = 0.0,
    cosine_decay: bool = False,
    augment_seed: int = 0,
    callbacks=(),
    verbose: int = 1,
) -> dict:
    """Compiles `model` and trains it for `epochs` passes over `split.x_train` (`fit` by epochs).

    NumPy arrays go straight to `model.fit` (or, with augmentation, as
    `tfcnn.data.augment.AugmentedBatches`), so this runs on any Keras backend
    (`KERAS_BACKEND=tensorflow` or `torch`). A diverged run goes on to the end,
    its NaN metrics recorded as None.

    After every epoch, accuracy and mean cross-entropy are measured on a fixed
    stratified sample of the training set ("train", the same images every
    epoch) and on the validation set ("val"). The test set is not touched.

    Args:
        model: a logit-output model (uncompiled).
        split: a `tfcnn.data.splits.Split`.
        epochs: passes over the training set.
        batch_size: examples per update; the last batch of an epoch is smaller
            when it does not divide the training set.
        optimizer: "adam", "sgd" or "rmsprop". Defaults to "adam".
        learning_rate: defaults to 1e-3.
        train_eval_size: training images in the "train" sample. Defaults to 10,000.
        seed: seed of the sample. The weights and the shuffling follow the
            global seed (call `tfcnn.set_seed` first). Defaults to 0.
        checkpoint_dir: if given, the weights after epoch e are saved as
            `<checkpoint_dir>/epoch<e>.weights.h5`. Defaults to None.
        max_shift: shift each training image by up to this many pixels along
            each axis, anew every epoch (`tfcnn.data.augment.shift_and_flip`).
            Defaults to 0 (no shift).
        flip: mirror a random half of the training images every epoch.
            Defaults to False.
        weight_decay: decoupled weight decay of the optimiser (each step
            multiplies the weights by 1 - learning_rate * weight_decay).
            Defaults to 0.
        cosine_decay: decay the learning rate to 0 over the run along a
            cosine. Defaults to False (constant).
        augment_seed: seed of the shuffling and the augmentation when
            `max_shift` or `flip` is set (otherwise Keras shuffles, following
            the global seed). Defaults to 0.
        callbacks: more Keras callbacks, after the clock and the logger, e.g.
            a `TrainingBackup` (its resumed run restarts the input from the
            beginning of an epoch). Defaults to none.
        verbose: one line per epoch. Defaults to 1.

    Returns:
        `history` (one record per epoch: `epoch` counted from 1, `iteration`,
        `train_*` and `val_*` metrics, cumulative `train_seconds`),
        `epoch_seconds` and `epoch_cpu_seconds` (wall and CPU time of each
        epoch's training, evaluation excluded), `updates_per_epoch`,
        `params` and `wall_seconds`.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}.")
    n_train = len(split.x_train)
    if not 1 <= batch_size <= n_train:
        raise ValueError(
            f"batch_size must be in [1, {n_train}] (the training set), got {batch_size}."
        )
    _check_inputs(model, split.x_train, split.y_train)
    per_class = max(1, min(train_eval_size, n_train) // len(split.class_names))
    sample = stratified_indices(split.y_train, per_class, seed)
    updates = math.ceil(n_train / batch_size)
    logger = IterationLogger(
        {
            "train": (split.x_train[sample], split.y_train[sample]),
            "val": (split.x_val, split.y_val),
        },
        every=updates,
        verbose=verbose,
    )
    clock = EpochClock(updates)
    recorders = [clock, logger]
    if checkpoint_dir is not None:
        Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
        recorders.append(
            keras.callbacks.ModelCheckpoint(
                str(Path(checkpoint_dir) / "epoch{epoch}.weights.h5"),
                save_weights_only=True,
            )
        )
    compile_classifier(
        model,
        optimizer,
        learning_rate,
        decay_steps=epochs * updates if cosine_decay else None,
        weight_decay=weight_decay,
    )
    if max_shift or flip:
        data = AugmentedBatches(
            split.x_train, split.y_train, batch_size, max_shift, flip, augment_seed
        )
    else:
        data = (split.x_train, split.y_train)
    run = {
        "epochs": epochs,
        "batch_size": batch_size,
        "examples": n_train,
        "seed": seed,
        "max_shift": max_shift,
        "flip": flip,
        "augment_seed": augment_seed,
    }
    started = time.perf_counter()
    fit(
        model,
        data,
        epochs=epochs,
        batch_size=None if max_shift or flip else batch_size,
        shuffle=True,
        callbacks=[*recorders, *callbacks],
        run=run,
        stop_on_nan=False,
    )
    # A diverged run has NaN losses; JSON has no NaN, so they become None.
    history = [
        {**{k: _finite_or_none(v) for k, v in row.items()}, "epoch": row["epoch"] + 1}
        for row in logger.history
    ]
    return {
        "history": history,
        "epoch_seconds": clock.wall_seconds,
        "epoch_cpu_seconds": clock.cpu_seconds,
        "updates_per_epoch": updates,
        "params": int(model.count_params()),
        "wall_seconds": time.perf_counter() - started,
    }


def _finite_or_none(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _classes_of(model: keras.Model, y) -> int | None:
    """The classes of a single-output model whose integer labels have the
    shape of `y` (one per example, or one per head); None otherwise."""
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):  # a Sequential model without an Input
        return None
    if not isinstance(y, np.ndarray) or not outputs or len(outputs) != 1:
        return None
    shape = tuple(outputs[0].shape[1:])
    if not shape or shape[-1] < 2 or y.shape[1:] != shape[:-1]:
        return None  # one sigmoid output, or labels of another shape
    return shape[-1]


def _check_inputs(model: keras.Model, x, y) -> None:
    """ValueError when the images do not fit the model, the labels the images,
    an image holds NaN or inf, or a label is not one of the model's classes."""
    if isinstance(y, np.ndarray) and len(y) != len(x):
        raise ValueError(
            f"x holds {len(x)} images but y holds {len(y)} labels; pass one label "
            "per image."
        )
    check_images_and_labels(x, y, _classes_of(model, y), "the training data")
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
