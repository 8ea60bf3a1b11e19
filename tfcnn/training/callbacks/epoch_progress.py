"""A callback that prints and times every epoch and stops a run over its time budget."""

from __future__ import annotations

import time

import keras


class EpochProgress(keras.callbacks.Callback):
    """Prints one line per epoch, records wall and CPU time, and enforces a time budget.

    Each epoch adds a row to `history`: the epoch (from 1), training and
    validation loss and accuracy, the epoch's wall and CPU seconds, and the
    wall seconds since training began. The state (`get_state`, `set_state`)
    is saved with each checkpoint of `tfcnn.training.checkpoints.TrainingBackup`.

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
        self.history, self.cut_short = [], False
        self.started = time.perf_counter()

    def get_state(self) -> dict:
        """What a resumed run needs (saved with each checkpoint)."""
        return {
            "history": self.history,
            "cut_short": self.cut_short,
            "elapsed_seconds": time.perf_counter() - self.started,
        }

    def set_state(self, state: dict) -> None:
        """Continues from a `get_state` dict: its rows, and its elapsed time."""
        self.history, self.cut_short = state["history"], state["cut_short"]
        self.started = time.perf_counter() - state["elapsed_seconds"]

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_wall, self.epoch_cpu = time.perf_counter(), time.process_time()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self.started > self.budget_seconds:
            self.cut_short = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        row = {
            "epoch": epoch + 1,
            "train_loss": float(logs["loss"]),
            "train_accuracy": float(logs["accuracy"]),
            "val_loss": float(logs["val_loss"]),
            "val_accuracy": float(logs["val_accuracy"]),
            "epoch_seconds": time.perf_counter() - self.epoch_wall,
            "epoch_cpu_seconds": time.process_time() - self.epoch_cpu,
            "elapsed_seconds": time.perf_counter() - self.started,
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
