"""TensorBoard events of the recorded metrics, under the folder of `--tensorboard`.

A script's `--tensorboard DIR` calls `set_log_dir(DIR)`. From then on every
training run of the process writes its records to a run folder of its own,
`DIR/<model name>` (numbered `-2`, `-3`, ... when taken), with one sub-folder
per evaluated set, named as by `keras.callbacks.TensorBoard` (train,
validation, test), and one scalar per metric (accuracy, loss) at the
iteration of the record. TensorBoard then draws a metric's train, validation
and test curves in one chart: `tensorboard --logdir DIR`.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

# The evaluated sets' names in the records -> their TensorBoard sub-folders.
SET_FOLDERS = {"train": "train", "val": "validation", "test": "test"}
_log_dir: Path | None = None


def set_log_dir(log_dir) -> None:
    """Makes later training runs write TensorBoard events under `log_dir` (None: none)."""
    global _log_dir
    _log_dir = None if log_dir is None else Path(log_dir)


def log_dir() -> Path | None:
    """The folder given to `set_log_dir` (by `--tensorboard`), or None."""
    return _log_dir


def new_run_dir(root, name: str) -> Path:
    """`root/name`, or `root/name-2`, `root/name-3`, ...: the first folder not taken."""
    root, number = Path(root), 1
    path = root / name
    while path.exists():
        number += 1
        path = root / f"{name}-{number}"
    path.mkdir(parents=True)
    return path


class ScalarEvents:
    """Writes one run's records as TensorBoard scalars, one sub-folder per evaluated set.

    Args:
        run_dir: the run's folder.
    """

    def __init__(self, run_dir):
        self.run_dir = Path(run_dir)
        self._writers: dict[str, tf.summary.SummaryWriter] = {}

    @classmethod
    def for_run(cls, name: str, root=None) -> ScalarEvents | None:
        """The events of a new run `name` under `root`, or None without a folder.

        Args:
            name: the run's name, e.g. the model's.
            root: the folder of the runs. Defaults to None: `log_dir()`.
        """
        root = root if root is not None else log_dir()
        return None if root is None else cls(new_run_dir(root, name))

    def write(self, step: int, set_name: str, metrics: dict) -> None:
        """Writes `metrics` (e.g. `{"accuracy": 0.9, "loss": 0.3}`) of one set at `step`.

        Args:
            step: the iteration (or epoch) of the record.
            set_name: "train", "val", "test" or another set's name.
            metrics: metric name -> value; None values are left out.
        """
        folder = SET_FOLDERS.get(set_name, set_name)
        if folder not in self._writers:
            self._writers[folder] = tf.summary.create_file_writer(
                str(self.run_dir / folder)
            )
        with self._writers[folder].as_default():
            for metric, value in metrics.items():
                if value is not None:
                    tf.summary.scalar(metric, value, step=step)
        self._writers[folder].flush()

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
