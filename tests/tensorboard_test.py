"""TensorBoard events (`--tensorboard`), read back and compared with the recorded history."""

import argparse
import sys
import tempfile
import types
from pathlib import Path
from unittest import mock

import numpy as np
import tensorflow as tf

from tfcnn import build_shallow, cli, set_seed
from tfcnn.answers.set_d.d3_d5_study import run as scratch_run
from tfcnn.data.splits import Split
from tfcnn.training.callbacks import IterationLogger, tensorboard
from tfcnn.training.fit import compile_classifier, fit, fit_iterations, train_and_record


def read_scalars(folder: Path) -> dict:
    """`{tag: [(step, value), ...]}` of every event file in `folder`, in file order."""
    scalars = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                number = float(tf.make_ndarray(value.tensor))
                scalars.setdefault(value.tag, []).append((event.step, number))
    return scalars


def tiny_split(seed=0) -> Split:
    rng = np.random.default_rng(seed)
    x = rng.random((40, 8, 8, 1), dtype=np.float32)
    y = rng.integers(0, 3, 40)
    return Split(x[:24], y[:24], x[24:32], y[24:32], x[32:], y[32:], (0, 1, 2))


def tiny_model():
    return build_shallow(filters=2, kernel_size=3, num_classes=3, input_shape=(8, 8, 1))


class TensorBoardTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        set_seed(0)
        self.root = Path(tempfile.mkdtemp(dir=self.get_temp_dir()))
        self.addCleanup(tensorboard.set_log_dir, None)

    def assertEventsMatch(self, run_dir: Path, history, sets: dict):
        for set_name, folder in sets.items():
            scalars = read_scalars(run_dir / folder)
            self.assertCountEqual(scalars, ["accuracy", "loss"])
            for metric, points in scalars.items():
                expected = [
                    (row["iteration"], row[f"{set_name}_{metric}"]) for row in history
                ]
                self.assertEqual([step for step, _ in points], [s for s, _ in expected])
                self.assertAllClose([v for _, v in points], [v for _, v in expected])

    def test_logger_writes_its_records(self):
        split = tiny_split()
        model = tiny_model()
        compile_classifier(model, learning_rate=1e-2)
        logger = IterationLogger(
            {
                "train": (split.x_train, split.y_train),
                "test": (split.x_test, split.y_test),
            },
            every=3,
            verbose=0,
            tensorboard=self.root,
        )
        fit_iterations(
            model,
            split.x_train,
            split.y_train,
            iterations=9,
            batch_size=4,
            chunk=3,
            callbacks=[logger],
        )
        self.assertEqual([row["iteration"] for row in logger.history], [3, 6, 9])
        run_dir = self.root / model.name
        self.assertEqual(sorted(p.name for p in run_dir.iterdir()), ["test", "train"])
        self.assertEventsMatch(
            run_dir, logger.history, {"train": "train", "test": "test"}
        )

    def test_the_script_folder_gets_one_run_per_training_run(self):
        tensorboard.set_log_dir(self.root)
        runs = [
            train_and_record(
                tiny_model(),
                tiny_split(seed),
                iterations=4,
                batch_size=4,
                record_every=2,
                verbose=0,
            )
            for seed in (0, 1)
        ]
        self.assertEqual(
            sorted(p.name for p in self.root.iterdir()), ["shallow", "shallow-2"]
        )
        sets = {"train": "train", "val": "validation", "test": "test"}
        for run, name in zip(runs, ["shallow", "shallow-2"]):
            self.assertEventsMatch(self.root / name, run["history"], sets)

    def test_a_fit_without_logger_gets_keras_epoch_logs(self):
        tensorboard.set_log_dir(self.root)
        split = tiny_split()
        model = tiny_model()
        compile_classifier(model, learning_rate=1e-2)
        history = fit(
            model,
            (split.x_train, split.y_train),
            epochs=2,
            batch_size=8,
            validation_data=(split.x_val, split.y_val),
        )
        scalars = read_scalars(self.root / model.name / "validation")
        self.assertEqual([step for step, _ in scalars["epoch_loss"]], [0, 1])
        self.assertAllClose(
            [v for _, v in scalars["epoch_loss"]], history.history["val_loss"]
        )

    def test_scratch_runs_write_their_epochs(self):
        tensorboard.set_log_dir(self.root)
        rng = np.random.default_rng(0)
        x = rng.random((12, 28, 28, 1)).astype(np.float32)
        y = np.arange(12) % 10
        history = scratch_run(
            x, y, {"val": (x[:6], y[:6])}, optimizer="sgd", epochs=2, batch_size=6
        )
        scalars = read_scalars(self.root / "scratch_sgd" / "validation")
        self.assertEqual([step for step, _ in scalars["accuracy"]], [0, 1, 2])
        self.assertAllClose([v for _, v in scalars["loss"]], history["val_loss"])

    def test_option_sets_the_folder_before_main(self):
        parser = cli.new_parser("doc")
        cli.add_tensorboard_argument(parser)
        self.assertIsNone(parser.parse_args([]).tensorboard)
        args = parser.parse_args(["--tensorboard", str(self.root / "runs")])
        seen = []
        module = types.ModuleType("fake_answer")
        module.main = lambda parsed: seen.append(tensorboard.log_dir())
        with mock.patch.dict(sys.modules, {"fake_answer": module}):
            cli.launch("fake_answer", args)
        self.assertEqual(seen, [self.root / "runs"])

    def test_option_refuses_a_file(self):
        parser = argparse.ArgumentParser()
        cli.add_tensorboard_argument(parser)
        (self.root / "file").write_text("")
        with mock.patch("sys.stderr"), self.assertRaises(SystemExit):
            parser.parse_args(["--tensorboard", str(self.root / "file")])


if __name__ == "__main__":
    tf.test.main()
