"""IterationLogger: records at the right iterations, resets between fits, keeps its state."""

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from tfcnn import build_shallow, set_seed
from tfcnn.training.callbacks import IterationLogger
from tfcnn.training.fit import compile_classifier, fit_iterations
from tfcnn.training.metrics import classification_metrics, predict_logits


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 8, 8, 1), dtype=np.float32), rng.integers(0, 3, n)


class IterationLoggerTest(tf.test.TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        set_seed(0)
        self.x, self.y = _data()
        self.model = build_shallow(
            filters=2, kernel_size=3, num_classes=3, input_shape=(8, 8, 1)
        )

    def fit(self, logger, iterations, chunk=5):
        fit_iterations(
            self.model,
            self.x,
            self.y,
            iterations=iterations,
            batch_size=4,
            chunk=chunk,
            callbacks=[logger],
        )

    @parameterized.parameters(1, 5)
    def test_records_every_n_iterations(self, steps_per_execution):
        compile_classifier(
            self.model, learning_rate=1e-2, steps_per_execution=steps_per_execution
        )
        logger = IterationLogger({"test": (self.x, self.y)}, every=5, verbose=0)
        self.fit(logger, iterations=15)
        self.assertEqual([r["iteration"] for r in logger.history], [5, 10, 15])
        self.assertEqual([r["epoch"] for r in logger.history], [0, 1, 2])
        for key in ["test_accuracy", "test_loss", "wall_seconds", "train_seconds"]:
            self.assertIn(key, logger.history[0])
        times = [r["wall_seconds"] for r in logger.history]
        self.assertEqual(times, sorted(times))
        self.assertLessEqual(
            logger.history[-1]["train_seconds"], logger.history[-1]["wall_seconds"]
        )

    def test_record_every_500_over_1500_iterations_within_epochs(self):
        # 1,500 iterations run as 3 Keras epochs of 500 steps give 3 records.
        compile_classifier(self.model, learning_rate=1e-3, steps_per_execution=50)
        logger = IterationLogger(
            {"test": (self.x[:10], self.y[:10])}, every=500, verbose=0
        )
        self.fit(logger, iterations=1500, chunk=500)
        self.assertEqual([r["iteration"] for r in logger.history], [500, 1000, 1500])

    def test_resets_between_fits(self):
        compile_classifier(self.model, learning_rate=1e-2)
        logger = IterationLogger({"test": (self.x, self.y)}, every=5, verbose=0)
        for _ in range(2):
            self.fit(logger, iterations=10)
            self.assertEqual([r["iteration"] for r in logger.history], [5, 10])

    def test_state_round_trip_continues_records_and_timing(self):
        compile_classifier(self.model, learning_rate=1e-2)
        logger = IterationLogger({"test": (self.x, self.y)}, every=5, verbose=0)
        self.fit(logger, iterations=10)
        state = logger.get_state()
        self.assertEqual(state["iteration"], 10)
        self.assertEqual([r["iteration"] for r in state["history"]], [5, 10])
        again = IterationLogger({"test": (self.x, self.y)}, every=5, verbose=0)
        again.on_train_begin()
        again.set_state({**state, "wall_seconds": 100.0})
        self.assertEqual(again.history, logger.history)
        self.assertEqual(again.iteration, 10)
        self.assertBetween(again.get_state()["wall_seconds"], 100.0, 110.0)
        self.assertEqual(again.get_state()["eval_seconds"], state["eval_seconds"])

    def test_metrics_match_keras_evaluate(self):
        compile_classifier(self.model, learning_rate=1e-2)
        ours = classification_metrics(self.model, self.x, self.y)
        loss, accuracy = self.model.evaluate(self.x, self.y, verbose=0)
        self.assertAllClose(
            [ours["loss"], ours["accuracy"]], [loss, accuracy], rtol=1e-5
        )

    def test_flip_averaged_logits_match_direct_calls(self):
        x = self.x.astype(np.float32)
        direct = self.model(x, training=False).numpy()
        mirrored = self.model(x[:, :, ::-1].copy(), training=False).numpy()
        self.assertNotAllClose(direct, mirrored)
        self.assertAllClose(
            predict_logits(self.model, x, flip_tta=False, batch_size=7),
            direct,
            atol=1e-5,
        )
        self.assertAllClose(
            predict_logits(self.model, x, batch_size=7),
            0.5 * (direct + mirrored),
            atol=1e-5,
        )
        with self.assertRaisesRegex(ValueError, "batch_size must be a positive"):
            predict_logits(self.model, x, batch_size=0)

    def test_first_reaching(self):
        logger = IterationLogger({"t": (self.x, self.y)}, verbose=0)
        logger.history = [
            {"iteration": 5, "t_accuracy": 0.4},
            {"iteration": 10, "t_accuracy": 0.9},
        ]
        self.assertEqual(logger.first_reaching("t_accuracy", 0.8)["iteration"], 10)
        self.assertIsNone(logger.first_reaching("t_accuracy", 0.95))

    def test_arguments_checked(self):
        with self.assertRaisesRegex(ValueError, "every must be"):
            IterationLogger({"t": (self.x, self.y)}, every=0)
        with self.assertRaisesRegex(ValueError, "eval_data is empty"):
            IterationLogger({})


class TrainingTest(tf.test.TestCase):
    def test_unknown_optimizer(self):
        with self.assertRaisesRegex(
            ValueError, "Unknown optimizer 'adamw'; choose one of"
        ):
            compile_classifier(build_shallow(), optimizer="adamw")

    def test_iterations_must_fill_chunks(self):
        model = compile_classifier(build_shallow(filters=1))
        x, y = np.zeros((10, 28, 28, 1), np.float32), np.zeros(10, int)
        with self.assertRaisesRegex(ValueError, "multiple of chunk"):
            fit_iterations(model, x, y, iterations=7, chunk=5)
        with self.assertRaisesRegex(ValueError, "batch_size 50 is larger than the 10"):
            fit_iterations(model, x, y, iterations=5, chunk=5, batch_size=50)

    def test_tiny_fit_learns_a_separable_problem(self):
        set_seed(1)
        rng = np.random.default_rng(1)
        y = rng.integers(0, 2, 200)
        x = rng.normal(0, 0.1, (200, 8, 8, 1)).astype(np.float32)
        x[y == 1, :4] += 1.0  # class 1: bright top half
        model = build_shallow(
            filters=2, kernel_size=3, num_classes=2, input_shape=(8, 8, 1)
        )
        compile_classifier(model, learning_rate=1e-2)
        logger = IterationLogger({"train": (x, y)}, every=50, verbose=0)
        fit_iterations(
            model, x, y, iterations=100, batch_size=20, chunk=50, callbacks=[logger]
        )
        self.assertGreater(logger.history[-1]["train_accuracy"], 0.95)
