"""Callbacks that time every epoch, print progress and stop a run over its time budget."""

from __future__ import annotations

import time

import keras


class EpochClock(keras.callbacks.Callback):
    """Wall and CPU seconds of each epoch, and the wall seconds since training began.

    CPU time (of this process, all threads) measures the work done whatever
    else the machine runs; wall time also counts waiting for a busy CPU.

    Args:
        updates_per_epoch: with a number, an epoch's time ends with its last
            batch, so that evaluation at the end of the epoch is not counted
            (put the clock before the callbacks that evaluate). With None, it
            ends when the epoch does, validation included. Defaults to None.
    """

    def __init__(self, updates_per_epoch: int | None = None):
        super().__init__()
        self.updates_per_epoch = updates_per_epoch
        self.wall_seconds: list[float] = []
        self.cpu_seconds: list[float] = []
        self.started = time.perf_counter()

    def on_train_begin(self, logs=None):
        self.wall_seconds, self.cpu_seconds = [], []
        self.started = time.perf_counter()

    def elapsed_seconds(self) -> float:
        """Wall seconds since training began (continued across a resume)."""
        return time.perf_counter() - self.started

    def on_epoch_begin(self, epoch, logs=None):
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def _stop(self) -> None:
        self.wall_seconds.append(time.perf_counter() - self._wall)
        self.cpu_seconds.append(time.process_time() - self._cpu)

    def on_train_batch_end(self, batch, logs=None):
        if batch + 1 == self.updates_per_epoch:
            self._stop()

    def on_epoch_end(self, epoch, logs=None):
        if self.updates_per_epoch is None:
            self._stop()


class EpochProgress(EpochClock):
    """Prints one line per epoch, records wall and CPU time, and enforces a time budget.

    Each epoch adds a row to `history`: the epoch (from 1), training and
    validation loss and accuracy, the epoch's wall and CPU seconds (validation
    included), and the wall seconds since training began. The state
    (`get_state`, `set_state`) is saved with each checkpoint of
    `tfcnn.training.checkpoints.TrainingBackup`.

    Args:
        epochs: planned epochs (for the ETA).
        budget_seconds: training stops after this much wall time (checked
            after every batch) and `cut_short` becomes True.
        verbose: print one line per epoch. Defaults to True.
    """

    def __init__(self, epochs: int, budget_seconds: float, verbose: bool = True):
        super().__init__()
        self.epochs, self.budget_seconds, self.verbose = epochs, budget_seconds, verbose
        self.history: list[dict] = []
        self.cut_short = False

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.history, self.cut_short = [], False

    def get_state(self) -> dict:
        """What a resumed run needs (saved with each checkpoint)."""
        return {
            "history": self.history,
            "cut_short": self.cut_short,
            "elapsed_seconds": self.elapsed_seconds(),
        }

    def set_state(self, state: dict) -> None:
        """Continues from a `get_state` dict: its rows, and its elapsed time."""
        self.history, self.cut_short = state["history"], state["cut_short"]
        self.started = time.perf_counter() - state["elapsed_seconds"]

    def on_train_batch_end(self, batch, logs=None):
        if self.elapsed_seconds() > self.budget_seconds:
            self.cut_short = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        logs = logs or {}
        row = {
            "epoch": epoch + 1,
            "train_loss": float(logs["loss"]),
            "train_accuracy": float(logs["accuracy"]),
            "val_loss": float(logs["val_loss"]),
            "val_accuracy": float(logs["val_accuracy"]),
            "epoch_seconds": self.wall_seconds[-1],
            "epoch_cpu_seconds": self.cpu_seconds[-1],
            "elapsed_seconds": self.elapsed_seconds(),
        }
        self.history.append(row)
        if self.verbose:
            eta = row["elapsed_seconds"] / (epoch + 1) * (self.epochs - epoch - 1)
            print(
                f"epoch {epoch + 1:>3}/{self.epochs}  train loss {row['train_loss']:.3f} "
                f"acc {row['train_accuracy']:.3f}  val acc {row['val_accuracy']:.4f}  "
                f"{row['epoch_seconds']:.0f} s (cpu {row['epoch_cpu_seconds']:.0f} s)  "
                f"elapsed {row['elapsed_seconds'] / 60:.1f} min  eta {eta / 60:.1f} min",
                flush=True,
            )
