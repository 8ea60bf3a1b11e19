"""Checkpoints that let a killed training run continue exactly where it stopped.

`TrainingBackup` is a Keras callback in the spirit of
`keras.callbacks.BackupAndRestore`, with three differences that a bit-identical
resume needs:

- it saves every variable that training changes: the model's (including the
  dropout seed generators) and the optimiser's (step count, moments);
- it saves the state of the other callbacks, e.g. the records of an
  `IterationLogger`, so that a resumed run reports its whole history;
- it tells the trainer how many epochs are done, so that the input stream can
  be advanced to the batch the killed run would have drawn next
  (`tfcnn.training.fit.fit` does this for a `tf.data` stream).

A checkpoint is one `.npz` file written atomically (a killed save leaves the
previous one intact) after every epoch, only when every variable is finite:
the file on disk is always the last good state. It is deleted when training
finishes. `NonFiniteLossGuard` stops training at the first NaN or infinite
loss (or weight) and says so.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import keras
import numpy as np

from tfcnn.results import atomic_savez
from tfcnn.results.bounded import MAX_DATA_BYTES, NPZ_ERRORS, check_npz

CHECKPOINT_FILE = "checkpoint.npz"
# What the state stored with the arrays holds.
_STATE_KEYS = frozenset({"epochs", "run", "shapes", "callbacks", "epoch_logs"})


class CheckpointError(ValueError):
    """A checkpoint exists but cannot be used for this run."""


class TrainingDivergedError(FloatingPointError):
    """The loss or the weights became NaN or infinite during training."""


def keeps_state(callback) -> bool:
    """Whether a checkpoint saves `callback`'s state.

    A callback takes part by defining `get_state() -> dict` (JSON-serialisable)
    and `set_state(state)`, as `IterationLogger` and `EpochProgress` do.
    """
    return hasattr(callback, "get_state") and hasattr(callback, "set_state")


def _training_variables(model: keras.Model) -> list:
    """The model's variables, then the optimiser's (built if it is not yet)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise CheckpointError(
            f"model '{model.name}' is not compiled; compile it before training "
            "with a TrainingBackup."
        )
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return [*model.variables, *optimizer.variables]


def _normalised(value):
    """`value` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value, default=str))


def check_finite(variables, arrays, iteration: int, kept: str) -> None:
    """TrainingDivergedError if any float array (of `variables`) holds NaN or inf."""
    bad = [
        v.path
        for v, a in zip(variables, arrays)
        if a.dtype.kind == "f" and not np.isfinite(a).all()
    ]
    if bad:
        raise TrainingDivergedError(
            f"after iteration {iteration} the weights hold NaN or infinite values "
            f"({', '.join(bad[:3])}); training stopped. {kept} Fix: lower the "
            "learning rate or look for NaN/inf values in the inputs."
        )


class TrainingBackup(keras.callbacks.Callback):
    """Saves the training state after every epoch and restores it on the next run.

    Use it with `tfcnn.training.fit.fit` (or its callers `fit_iterations`,
    `train_epochs`, `train_and_record`: pass it among the callbacks), or with
    `model.fit` directly:

        backup = TrainingBackup("checkpoints/c1/deep_seed0", resume=True)
        done = backup.restore(model, run=config_dict, callbacks=[logger])
        model.fit(..., initial_epoch=done, callbacks=[logger, backup])

    With `model.fit`, the input stream restarts from its beginning; only
    `tfcnn.training.fit.fit` advances a `tf.data` stream to where the killed
    run stopped.

    Args:
        directory: the folder of this run's checkpoint (one run per folder).
        resume: continue from a checkpoint found in `directory`. With False,
            finding one is an error (so that a forgotten `--resume` never
            throws away a long run). Defaults to False.
        max_bytes: the largest checkpoint read (the sizes its archive
            declares, checked before anything is decompressed). Defaults to
            `MAX_DATA_BYTES`.
    """

    def __init__(self, directory, resume: bool = False, max_bytes=MAX_DATA_BYTES):
        super().__init__()
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.path = self.directory / CHECKPOINT_FILE
        if self.path.exists() and not resume:
            raise CheckpointError(
                f"{self.path} holds the checkpoint of an interrupted run. "
                "Fix: pass --resume (resume=True) to continue it, or delete "
                f"{self.directory} to start over."
            )
        self.run: dict = {}
        self.completed_epochs = 0
        self.last_good_iteration: int | None = None
        self.epoch_logs: list[dict] = []
        self._tracked: list = []
        self._pending_states: list | None = None

    def restore(
        self,
        model: keras.Model,
        run: dict,
        callbacks=(),
        iterations_per_epoch: int | None = None,
    ) -> int:
        """Loads the checkpoint, if any, into `model`; returns the epochs it completed.

        Call it before `model.fit` and pass the result as `initial_epoch`. The
        states of `callbacks` are restored when training begins (after their
        own `on_train_begin`, so list this backup after them).

        Args:
            model: the compiled model, built as in the interrupted run.
            run: what defines the run (iterations, batch size, seed, optimiser
                ...); a checkpoint written with different values is refused.
            callbacks: the other callbacks of the run; those that keep state
                (see `keeps_state`) are saved with the checkpoint.
            iterations_per_epoch: for a run counted in iterations, the
                iterations of a Keras epoch: the message then names the
                iteration it resumes after. Defaults to None (epochs).

        Raises:
            CheckpointError: the checkpoint belongs to a different run or
                model, is larger than `max_bytes`, or is damaged.
        """
        self.run = _normalised(run)
        self._tracked = [cb for cb in callbacks if keeps_state(cb)]
        if not self.path.exists():
            return 0
        state, arrays = self._load()
        self._check_same_run(state["run"])
        variables = _training_variables(model)
        # Shapes, not names: Keras numbers layers and optimisers per process.
        if [list(v.shape) for v in variables] != state["shapes"]:
            raise CheckpointError(
                f"{self.path} was written by a different model (the shapes of its "
                f"variables differ from those of model '{model.name}'). Fix: delete "
                f"{self.directory}, or resume with the same model."
            )
        for variable, array in zip(variables, arrays):
            variable.assign(array)
        if len(state["callbacks"]) != len(self._tracked):
            raise CheckpointError(
                f"{self.path} holds the state of {len(state['callbacks'])} callbacks "
                f"but this run has {len(self._tracked)}. Fix: resume with the same "
                f"callbacks, or delete {self.directory}."
            )
        self._pending_states = state["callbacks"]
        self.completed_epochs = state["epochs"]
        self.last_good_iteration = state.get("iteration")
        self.epoch_logs = state["epoch_logs"]
        done = (
            f"iteration {self.completed_epochs * iterations_per_epoch}"
            if iterations_per_epoch
            else f"epoch {self.completed_epochs}"
        )
        print(f"resuming from {self.path} after {done}")
        return self.completed_epochs

    def _load(self) -> tuple[dict, list[np.ndarray]]:
        """The state and the arrays of the checkpoint file, its size checked first."""
        fix = f"delete {self.directory} to start the run over"
        try:
            check_npz(self.path, self.max_bytes, fix=fix)
        except ValueError as error:
            raise CheckpointError(str(error)) from error
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                state = json.loads(str(stored["state"]))
                if not isinstance(state, dict) or not _STATE_KEYS <= state.keys():
                    raise ValueError(f"its state lacks one of {sorted(_STATE_KEYS)}")
                arrays = [stored[f"v{i}"] for i in range(len(state["shapes"]))]
        except (*NPZ_ERRORS, KeyError, TypeError) as error:
            raise CheckpointError(
                f"{self.path} is damaged ({type(error).__name__}: {error}). Fix: {fix}."
            ) from error
        return state, arrays

    def _check_same_run(self, stored_run: dict) -> None:
        if stored_run == self.run:
            return
        keys = sorted(set(stored_run) | set(self.run))
        changed = [
            f"{key}: {stored_run.get(key)!r} -> {self.run.get(key)!r}"
            for key in keys
            if stored_run.get(key) != self.run.get(key)
        ]
        raise CheckpointError(
            f"{self.path} was written by a run with other settings ("
            + "; ".join(changed)
            + f"). Fix: resume with the same settings, or delete {self.directory} "
            "to start over."
        )

    def on_train_begin(self, logs=None):
        if self._pending_states is not None:
            for callback, state in zip(self._tracked, self._pending_states):
                callback.set_state(state)
            self._pending_states = None

    def on_epoch_end(self, epoch, logs=None):
        variables = _training_variables(self.model)
        arrays = [np.asarray(v.numpy()) for v in variables]
        iteration = (epoch + 1) * self.params.get("steps", 0)
        check_finite(variables, arrays, iteration, self.kept_message())
        self.epoch_logs.append({k: float(v) for k, v in (logs or {}).items()})
        state = {
            "epochs": epoch + 1,
            "iteration": iteration,
            "run": self.run,
            "shapes": [list(v.shape) for v in variables],
            "callbacks": [cb.get_state() for cb in self._tracked],
            "epoch_logs": self.epoch_logs,
        }
        payload = {f"v{i}": a for i, a in enumerate(arrays)}
        payload["state"] = np.array(json.dumps(state))
        atomic_savez(self.path, payload)
        self.completed_epochs = epoch + 1
        self.last_good_iteration = iteration

    def kept_message(self) -> str:
        """Where the last good state is, for error messages."""
        if self.last_good_iteration is None:
            return "No checkpoint had been written yet."
        return (
            f"The last good checkpoint (iteration {self.last_good_iteration}) is "
            f"kept in {self.directory}."
        )

    def on_train_end(self, logs=None):
        # Reached only when fit returns normally: the run is complete.
        self.delete()

    def delete(self) -> None:
        """Removes the checkpoint folder."""
        shutil.rmtree(self.directory, ignore_errors=True)


class NonFiniteLossGuard(keras.callbacks.Callback):
    """Stops training with `TrainingDivergedError` at the first NaN or infinite loss,
    or at the end of an epoch whose weights hold NaN or inf (a ReLU can hide NaN
    weights from the loss: it maps NaN to 0).

    Args:
        backup: the run's `TrainingBackup`, named in the message. Defaults to None.
    """

    def __init__(self, backup: TrainingBackup | None = None):
        super().__init__()
        self.backup = backup
        self._first_step = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._first_step = epoch * self.params.get("steps", 0)

    def _kept(self) -> str:
        return self.backup.kept_message() if self.backup else "Nothing was saved."

    def on_epoch_end(self, epoch, logs=None):
        variables = self.model.variables
        arrays = [np.asarray(v.numpy()) for v in variables]
        check_finite(
            variables, arrays, self._first_step + self.params["steps"], self._kept()
        )

    def on_train_batch_end(self, batch, logs=None):
        loss = float(np.asarray((logs or {}).get("loss", 0.0)))
        if np.isfinite(loss):
            return
        iteration = self._first_step + batch + 1
        rate = float(np.asarray(self.model.optimizer.learning_rate))
        raise TrainingDivergedError(
            f"training loss became {loss} by iteration {iteration}; training stopped. "
            f"{self._kept()} Fix: lower the learning rate (it is {rate:g}) or look "
            "for NaN/inf values in the inputs."
        )
