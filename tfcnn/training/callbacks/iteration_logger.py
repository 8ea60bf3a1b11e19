"""A callback that evaluates a model every N training iterations."""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras

from tfcnn.results.summary import first_reaching
from tfcnn.training.callbacks.tensorboard import ScalarEvents
from tfcnn.training.metrics import classification_metrics


class IterationLogger(keras.callbacks.Callback):
    """Records metrics on fixed data sets every `every` training iterations.

    Each record holds the iteration, the epoch, the wall time since training
    began, the training time alone (evaluation excluded) in wall and in CPU
    seconds of this process, and for every named
    data set the metrics of `evaluate_fn`, keyed `<name>_<metric>`, e.g.
    `test_accuracy`. Records are kept in `history` and can be written as JSON;
    `get_state` and `set_state` let a checkpoint carry them over a resume.
    With a TensorBoard folder, each record's metrics are also written there
    as scalars at its iteration (`tfcnn.training.callbacks.tensorboard`).

    Args:
        eval_data: mapping from a name to `(x, y)`, e.g.
            `{"train": (x_sub, y_sub), "test": (x_test, y_test)}`.
        every: training iterations (batches) between records. Defaults to 500.
        evaluate_fn: `fn(model, x, y) -> dict` of metrics. Defaults to
            `classification_metrics` (accuracy and cross-entropy from logits).
        record_at_start: also record before the first iteration. Defaults to
            False.
        verbose: print one line per record. Defaults to 1.
        tensorboard: the folder of TensorBoard runs; this run's events go to
            `<tensorboard>/<model name>`. Defaults to None: the folder of the
            script's `--tensorboard`, if given, else no events.
    """

    def __init__(
        self,
        eval_data,
        every=500,
        evaluate_fn=None,
        record_at_start=False,
        verbose=1,
        tensorboard=None,
    ):
        super().__init__()
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a whole number >= 1, got {every!r}.")
        if not eval_data:
            raise ValueError(
                "eval_data is empty; pass e.g. {'test': (x_test, y_test)}."
            )
        self.eval_data = dict(eval_data)
        self.every = every
        self.evaluate_fn = evaluate_fn or classification_metrics
        self.record_at_start = record_at_start
        self.verbose = verbose
        self.tensorboard = tensorboard
        self.history: list[dict] = []
        self._events = None

    def on_train_begin(self, logs=None):
        name = getattr(self.model, "name", "model")  # a logger driven without a model
        self._events = ScalarEvents.for_run(name, self.tensorboard)
        self.history = []
        self.iteration = 0
        self._epoch = 0
        self._epoch_base = 0
        self._start = time.perf_counter()
        self._start_cpu = time.process_time()
        self._eval_seconds = self._eval_cpu_seconds = 0.0
        if self.record_at_start:
            self._record()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_base = self.iteration

    def on_train_batch_end(self, batch, logs=None):
        # Keras passes the index of the last batch run, also when it runs
        # several per call (steps_per_execution > 1).
        before = self.iteration
        self.iteration = self._epoch_base + batch + 1
        if self.iteration // self.every > before // self.every:
            self._record()

    def _record(self):
        started, started_cpu = time.perf_counter(), time.process_time()
        row = {"iteration": self.iteration, "epoch": self._epoch}
        for name, (x, y) in self.eval_data.items():
            metrics = self.evaluate_fn(self.model, x, y)
            row.update({f"{name}_{key}": value for key, value in metrics.items()})
            if self._events is not None:
                self._events.write(self.iteration, name, metrics)
        self._eval_seconds += time.perf_counter() - started
        self._eval_cpu_seconds += time.process_time() - started_cpu
        wall = time.perf_counter() - self._start
        cpu = time.process_time() - self._start_cpu
        row["wall_seconds"] = round(wall, 3)
        row["train_seconds"] = round(wall - self._eval_seconds, 3)
        row["train_cpu_seconds"] = round(cpu - self._eval_cpu_seconds, 3)
        self.history.append(row)
        if self.verbose:
            shown = ", ".join(
                f"{k} {v:.4f}"
                for k, v in row.items()
                if k.endswith(("accuracy", "loss"))
            )
            print(f"[{row['iteration']:>6} it, {wall:7.1f} s] {shown}", flush=True)

    def on_train_end(self, logs=None):
        if self._events is not None:
            self._events.close()

    def get_state(self) -> dict:
        """What a resumed run needs: the records, the iteration and the timing."""
        return {
            "history": self.history,
            "iteration": self.iteration,
            "eval_seconds": self._eval_seconds,
            "eval_cpu_seconds": self._eval_cpu_seconds,
            "wall_seconds": time.perf_counter() - self._start,
            "cpu_seconds": time.process_time() - self._start_cpu,
        }

    def set_state(self, state: dict) -> None:
        """Continues from a `get_state` dict; the time the run was down is not counted."""
        self.history = state["history"]
        self.iteration = state["iteration"]
        self._eval_seconds = state["eval_seconds"]
        self._eval_cpu_seconds = state.get("eval_cpu_seconds", 0.0)
        self._start = time.perf_counter() - state["wall_seconds"]
        self._start_cpu = time.process_time() - state.get("cpu_seconds", 0.0)

    def first_reaching(self, key: str, threshold: float) -> dict | None:
        """The first record whose `key` is >= `threshold`, or None."""
        return first_reaching(self.history, key, threshold)

    def write_json(self, path) -> None:
        Path(path).write_text(json.dumps(self.history, indent=1))
