"""Reproducible and resumable training: same seed, same bits; a killed run that
resumes ends bit-identical to one that never stopped; NaN stops training.

The model is tiny (a 3x3 conv with dropout on 8x8 inputs) so that a run takes
a second or two; dropout makes the resume test cover the random-number state.
"""

import contextlib
import io
import json
import shutil
from pathlib import Path
from unittest import mock

import keras
import numpy as np
import tensorflow as tf

from tfcnn import set_seed
from tfcnn.data.pipeline import make_dataset
from tfcnn.training.callbacks import EpochProgress, IterationLogger
from tfcnn.training.checkpoints import (
    CHECKPOINT_FILE,
    CheckpointError,
    TrainingBackup,
    TrainingDivergedError,
)
from tfcnn.training.fit import compile_classifier, fit, fit_iterations

CHUNK, ITERATIONS, BATCH = 10, 40, 10


def tiny_data(n=60):
    rng = np.random.default_rng(0)
    return rng.random((n, 8, 8, 1), dtype=np.float32), rng.integers(0, 3, n)


def tiny_model(learning_rate=1e-2, steps_per_execution=5):
    set_seed(0)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.Dropout(0.3)(x)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, keras.layers.Dense(3)(x))
    return compile_classifier(
        model, learning_rate=learning_rate, steps_per_execution=steps_per_execution
    )


class Interrupt(keras.callbacks.Callback):
    """Raises KeyboardInterrupt once `after` iterations are done (a killed run)."""

    def __init__(self, after):
        super().__init__()
        self.after, self.done = after, 0

    def on_train_batch_end(self, batch, logs=None):
        self.done += self.model.steps_per_execution
        if self.done >= self.after:
            raise KeyboardInterrupt("killed")


class PoisonWeights(keras.callbacks.Callback):
    """Sets the logits' kernel to NaN at the start of chunk `epoch`."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            kernel = self.model.layers[-1].kernel
            kernel.assign(np.full(kernel.shape, np.nan, np.float32))


def without_timing(history):
    return [{k: v for k, v in row.items() if "seconds" not in k} for row in history]


def train(callbacks=(), **kwargs):
    """One run: (model, logger, Keras history)."""
    x, y = tiny_data()
    model = tiny_model(**kwargs)
    logger = IterationLogger({"train": (x, y)}, every=CHUNK, verbose=0)
    history = fit_iterations(
        model,
        x,
        y,
        iterations=ITERATIONS,
        batch_size=BATCH,
        chunk=CHUNK,
        callbacks=[logger, *callbacks],
    )
    return model, logger, history


class ResumeTest(tf.test.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reference = train()

    def setUp(self):
        super().setUp()
        self.folder = Path(self.get_temp_dir()) / self.id().split(".")[-1]
        shutil.rmtree(self.folder, ignore_errors=True)

    def assertSameRun(self, run, reference):
        (model, logger, history), (model0, logger0, history0) = run, reference
        for weights, weights0 in zip(model.get_weights(), model0.get_weights()):
            self.assertAllEqual(weights, weights0)  # bit for bit
        self.assertEqual(
            without_timing(logger.history), without_timing(logger0.history)
        )
        self.assertEqual(history.history, history0.history)
        self.assertEqual(history.epoch, history0.epoch)

    def test_same_seed_gives_identical_runs(self):
        self.assertSameRun(train(), self.reference)
        self.assertLen(self.reference[1].history, ITERATIONS // CHUNK)

    def test_killed_run_resumes_to_the_same_bits(self):
        with self.assertRaises(KeyboardInterrupt):
            train([TrainingBackup(self.folder), Interrupt(after=25)])
        # Killed in chunk 3: the checkpoint holds the state after chunk 2.
        with np.load(self.folder / CHECKPOINT_FILE) as stored:
            state = json.loads(str(stored["state"]))
        self.assertEqual((state["epochs"], state["iteration"]), (2, 2 * CHUNK))
        self.assertEqual(len(state["callbacks"][0]["history"]), 2)
        with self.assertRaisesRegex(CheckpointError, "pass --resume"):
            TrainingBackup(self.folder)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            resumed = train([TrainingBackup(self.folder, resume=True)])
        self.assertIn("after iteration 20", printed.getvalue())  # the run's unit
        self.assertSameRun(resumed, self.reference)
        self.assertFalse(self.folder.exists())  # deleted once the run finished

    def test_resume_with_other_settings_is_refused(self):
        with self.assertRaises(KeyboardInterrupt):
            train([TrainingBackup(self.folder), Interrupt(after=15)])
        saved = (self.folder / CHECKPOINT_FILE).read_bytes()
        with self.assertRaisesRegex(CheckpointError, "learning_rate"):
            train([TrainingBackup(self.folder, resume=True)], learning_rate=1e-3)
        self.assertEqual((self.folder / CHECKPOINT_FILE).read_bytes(), saved)


def train_by_epochs(callbacks=()):
    """A run by epochs over a seeded stream, validated after every epoch, as the
    CIFAR runs are: (model, progress rows without timing, Keras history)."""
    x, y = tiny_data()
    model = tiny_model()
    progress = EpochProgress(epochs=4, budget_seconds=600, verbose=False)
    stream = make_dataset(x, y, batch_size=BATCH, seed=1, repeat=True)
    history = fit(
        model,
        stream,
        epochs=ITERATIONS // CHUNK,
        steps_per_epoch=CHUNK,
        validation_data=(x[:20], y[:20]),
        callbacks=[progress, *callbacks],
        run={"data": "tiny"},
    )
    return model, without_timing(progress.history), history


class ResumeByEpochsTest(tf.test.TestCase):
    def test_killed_run_resumes_to_the_same_bits(self):
        folder = Path(self.get_temp_dir()) / "by_epochs"
        shutil.rmtree(folder, ignore_errors=True)
        model0, rows0, history0 = train_by_epochs()
        with self.assertRaises(KeyboardInterrupt):
            train_by_epochs([TrainingBackup(folder), Interrupt(after=35)])
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            model, rows, history = train_by_epochs(
                [TrainingBackup(folder, resume=True)]
            )
        self.assertIn("after epoch 3", printed.getvalue())
        for weights, weights0 in zip(model.get_weights(), model0.get_weights()):
            self.assertAllEqual(weights, weights0)
        self.assertEqual(rows, rows0)
        self.assertEqual([row["epoch"] for row in rows], [1, 2, 3, 4])
        self.assertEqual(history.history, history0.history)

    def test_a_backup_needs_the_run_settings(self):
        x, y = tiny_data()
        folder = Path(self.get_temp_dir()) / "no_run"
        with self.assertRaisesRegex(ValueError, "needs `run`"):
            fit(
                tiny_model(),
                (x, y),
                epochs=1,
                batch_size=BATCH,
                callbacks=[TrainingBackup(folder)],
            )


class CheckpointFileTest(tf.test.TestCase):
    """The checkpoint file itself, written by hand-driven callback calls (no fit)."""

    def setUp(self):
        super().setUp()
        self.folder = Path(self.get_temp_dir()) / self.id().split(".")[-1]
        shutil.rmtree(self.folder, ignore_errors=True)
        self.model = tiny_model()

    def resumed_backup(self):
        backup = TrainingBackup(self.folder, resume=True)
        backup.set_model(self.model)
        backup.set_params({"steps": CHUNK})
        backup.restore(self.model, {"batch_size": BATCH})
        return backup

    def save(self, epoch):
        self.resumed_backup().on_epoch_end(epoch, {"loss": 1.0})

    def test_restores_weights_and_optimizer_state(self):
        self.save(0)
        saved = [v.numpy() for v in self.model.variables]
        saved_optimizer = [v.numpy() for v in self.model.optimizer.variables]
        other = tiny_model()
        for v in other.variables:
            v.assign(tf.zeros_like(v))
        done = TrainingBackup(self.folder, resume=True).restore(
            other, {"batch_size": BATCH}
        )
        self.assertEqual(done, 1)
        for v, value in zip(other.variables, saved):
            self.assertAllEqual(v.numpy(), value)
        for v, value in zip(other.optimizer.variables, saved_optimizer):
            self.assertAllEqual(v.numpy(), value)

    def test_other_model_is_refused(self):
        self.save(0)
        set_seed(0)
        wider = keras.Sequential(
            [keras.Input((8, 8, 1)), keras.layers.Conv2D(5, 3), keras.layers.Flatten()]
        )
        compile_classifier(wider)
        with self.assertRaisesRegex(CheckpointError, "different model"):
            TrainingBackup(self.folder, resume=True).restore(
                wider, {"batch_size": BATCH}
            )

    def test_killed_save_keeps_the_previous_checkpoint(self):
        self.save(0)
        saved = (self.folder / CHECKPOINT_FILE).read_bytes()

        def half_then_killed(handle, **arrays):
            handle.write(b"PK half a file")
            raise KeyboardInterrupt("killed while saving")

        with mock.patch.object(np, "savez", half_then_killed):
            with self.assertRaises(KeyboardInterrupt):
                self.save(1)
        self.assertEqual([p.name for p in self.folder.iterdir()], [CHECKPOINT_FILE])
        self.assertEqual((self.folder / CHECKPOINT_FILE).read_bytes(), saved)

    def test_nan_weights_are_never_saved(self):
        self.save(0)
        saved = (self.folder / CHECKPOINT_FILE).read_bytes()
        backup = self.resumed_backup()
        kernel = self.model.layers[1].kernel
        kernel.assign(np.full(kernel.shape, np.inf, np.float32))
        with self.assertRaisesRegex(TrainingDivergedError, "iteration 20 the weights"):
            backup.on_epoch_end(1, {"loss": 1.0})
        self.assertEqual((self.folder / CHECKPOINT_FILE).read_bytes(), saved)


class NonFiniteLossTest(tf.test.TestCase):
    def test_nan_input_is_refused_before_training(self):
        x, y = tiny_data()
        x[7, 2, 3] = np.inf
        x[9] = np.nan
        model = tiny_model()
        before = [w.copy() for w in model.get_weights()]
        with self.assertRaisesRegex(
            ValueError, r"^the training data: 2 of 60 images hold NaN .*image 7\)"
        ):
            fit_iterations(model, x, y, iterations=CHUNK, batch_size=BATCH, chunk=CHUNK)
        for weights, weights0 in zip(model.get_weights(), before):
            self.assertAllEqual(weights, weights0)  # no step was taken

    def test_labels_out_of_range_are_refused_before_training(self):
        x, y = tiny_data()
        for label in (3, -1):
            y[5] = label
            with self.assertRaisesRegex(
                ValueError, rf"label {label} \(of example 5\) is not a class 0..2"
            ):
                fit_iterations(
                    tiny_model(), x, y, iterations=CHUNK, batch_size=BATCH, chunk=CHUNK
                )

    def test_nan_weights_are_caught_although_the_loss_stays_finite(self):
        x, y = tiny_data()
        x[:] = np.nan  # e.g. images divided by a zero standard deviation
        # A layer maps the NaN activations to 0, so the loss stays finite while
        # the conv kernel's gradient (input x upstream gradient = NaN x 0), and
        # then the kernel, are NaN. (Whether a ReLU does this depends on the
        # CPU's max instruction, so the test does not rely on one.) The arrays
        # would be refused, so the NaN comes in through a stream.
        set_seed(0)
        inputs = keras.Input((8, 8, 1))
        conv = keras.layers.Conv2D(4, 3)(inputs)
        finite = keras.layers.Lambda(
            lambda t: keras.ops.where(keras.ops.isnan(t), 0.0, t)
        )(conv)
        outputs = keras.layers.Dense(3)(keras.layers.Flatten()(finite))
        model = compile_classifier(keras.Model(inputs, outputs), learning_rate=1e-2)
        stream = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH).repeat()
        with self.assertRaisesRegex(
            TrainingDivergedError,
            r"after iteration 10 the weights hold NaN .*kernel.*Nothing was saved",
        ):
            fit(model, stream, epochs=1, steps_per_epoch=CHUNK)

    def test_nan_stops_training_and_keeps_the_last_good_checkpoint(self):
        folder = Path(self.get_temp_dir()) / "diverged"
        with self.assertRaisesRegex(
            TrainingDivergedError,
            r"by iteration 15;.*checkpoint \(iteration 10\) is kept in .*diverged",
        ):
            train([TrainingBackup(folder), PoisonWeights(epoch=1)])
        with np.load(folder / CHECKPOINT_FILE) as stored:
            state = json.loads(str(stored["state"]))
            arrays = [stored[f"v{i}"] for i in range(len(state["shapes"]))]
        self.assertEqual(state["iteration"], CHUNK)
        self.assertTrue(
            all(np.isfinite(a).all() for a in arrays if a.dtype.kind == "f")
        )
