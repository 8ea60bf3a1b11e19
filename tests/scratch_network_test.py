"""The set D network in NumPy: whole-network gradients, its Keras twin, and training."""

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from tfcnn.scratch import build_network, make_optimizer, one_hot, train
from tfcnn.scratch.gradcheck import check_network, relative_error
from tfcnn.scratch.keras_twin import keras_floatx, keras_twin, tape_network_gradients
from tfcnn.scratch.train import epoch_orders, history_records

TOLERANCE = 1e-6


def _batch(n=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28, 1)).astype(dtype)
    return x, one_hot(rng.integers(0, 10, n), dtype=dtype)


class NetworkGradientTest(tf.test.TestCase):
    def test_parameter_count_matches_keras(self):
        network = build_network(dtype=np.float64)
        counts = network.count_parameters()
        self.assertEqual(counts["conv1"], 5 * 5 * 1 * 4 + 4)
        self.assertEqual(counts["conv2"], 5 * 5 * 4 * 4 + 4)
        self.assertEqual(counts["dense1"], 7 * 7 * 4 * 49 + 49)
        self.assertEqual(counts["logits"], 49 * 10 + 10)
        self.assertEqual(sum(counts.values()), keras_twin(network).count_params())

    def test_gradients_match_finite_differences(self):
        network = build_network(seed=1, dtype=np.float64)
        errors = check_network(network, *_batch(), entries_per_array=40)
        self.assertLen(errors, 8)
        for name, error in errors.items():
            self.assertLess(error, TOLERANCE, msg=name)

    def test_loss_and_gradients_match_gradient_tape(self):
        network = build_network(seed=2, dtype=np.float64)
        x, y = _batch(4, seed=1)
        loss = network.loss_and_gradients(x, y)
        tape_loss, tape_grads = tape_network_gradients(keras_twin(network), x, y)
        self.assertAllClose(loss, tape_loss, rtol=1e-12)
        for name, mine, theirs in zip(
            network.parameter_names(), network.gradients(), tape_grads, strict=True
        ):
            self.assertLess(relative_error(mine, theirs), TOLERANCE, msg=name)


class KerasTwinTest(tf.test.TestCase, parameterized.TestCase):
    def test_same_forward_output(self):
        network = build_network(seed=3, dtype=np.float64)
        x, _ = _batch(5, seed=2)
        self.assertAllClose(
            network.forward(x), keras_twin(network)(x).numpy(), rtol=1e-12, atol=1e-12
        )

    @parameterized.named_parameters(
        ("sgd", "sgd", lambda: keras.optimizers.SGD(0.001)),
        ("momentum", "momentum", lambda: keras.optimizers.SGD(0.001, momentum=0.9)),
        ("rmsprop", "rmsprop", lambda: keras.optimizers.RMSprop(0.001, rho=0.9)),
    )
    def test_same_first_steps(self, name, make_keras):
        network = build_network(seed=4, dtype=np.float64)
        model = keras_twin(network)
        with keras_floatx("float64"):
            model.compile(
                optimizer=make_keras(),
                loss=keras.losses.CategoricalCrossentropy(from_logits=True),
            )
        optimizer = make_optimizer(name, 0.001)
        start = network.get_weights()
        for step in range(2):
            x, y = _batch(4, seed=10 + step)
            keras_loss = model.train_on_batch(x, y)
            loss = network.loss_and_gradients(x, y)
            optimizer.step(network.parameters(), network.gradients())
            self.assertAllClose(loss, keras_loss, rtol=1e-10)
        # The updates agree to about float32's precision: Keras stores η in float32.
        for label, mine, theirs, before in zip(
            network.parameter_names(),
            network.parameters(),
            model.get_weights(),
            start,
            strict=True,
        ):
            self.assertGreater(np.abs(mine - before).max(), 0.0, msg=label)
            self.assertLess(
                relative_error(mine - before, theirs - before), TOLERANCE, msg=label
            )


class TrainingTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.y = np.repeat(np.arange(4), 5)
        # Four easy classes: a bright square in one quadrant, plus noise.
        self.x = (rng.random((20, 8, 8, 1)) * 0.2).astype(np.float32)
        for i, label in enumerate(self.y):
            r, c = divmod(int(label), 2)
            self.x[i, 4 * r : 4 * r + 4, 4 * c : 4 * c + 4] += 1.0

    def _train(self, optimizer, epochs: int, batch_size: int) -> dict:
        """Trains a small network on the four-class problem, evaluating on it."""
        network = build_network(
            seed=0, input_shape=(8, 8, 1), dense_units=8, num_classes=4
        )
        return train(
            network,
            optimizer,
            self.x,
            self.y,
            {"train": (self.x, self.y)},
            epochs=epochs,
            batch_size=batch_size,
            progress=False,
        )

    def test_training_fits_a_small_problem_and_records_every_epoch(self):
        history = self._train(make_optimizer("rmsprop", learning_rate=0.01), 6, 7)
        self.assertEqual(history["epoch"], list(range(7)))
        self.assertLen(history["epoch_seconds"], 6)
        self.assertLen(history["epoch_cpu_seconds"], 6)
        self.assertEqual(history["steps_per_epoch"], 3)  # 7 + 7 + 6
        self.assertLess(history["train_loss"][-1], 0.5 * history["train_loss"][0])
        self.assertEqual(history["train_accuracy"][-1], 1.0)
        self.assertFalse(history["diverged"])
        self.assertLen(history_records(history), 7)

    def test_divergence_stops_the_run(self):
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is the point
            history = self._train(make_optimizer("sgd", learning_rate=1e8), 5, 5)
        self.assertTrue(history["diverged"])
        self.assertLess(len(history["epoch"]), 6)
        self.assertTrue(np.all(np.isfinite(history["train_loss"])))

    def test_epoch_orders(self):
        labels = np.array([2, 0, 1, 0, 2, 1, 1, 0])
        reshuffled = list(epoch_orders(labels, 3, "reshuffle", seed=0))
        fixed = list(epoch_orders(labels, 3, "fixed", seed=0))
        for order in reshuffled + fixed:
            self.assertAllEqual(np.sort(order), np.arange(8))
        self.assertNotAllEqual(reshuffled[0], reshuffled[1])
        self.assertAllEqual(fixed[0], fixed[2])
        sorted_order = next(epoch_orders(labels, 1, "class-sorted", seed=0))
        self.assertAllEqual(labels[sorted_order], np.sort(labels))
        with self.assertRaisesRegex(ValueError, "order"):
            next(epoch_orders(labels, 1, "random", seed=0))
