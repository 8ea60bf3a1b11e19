"""linearise: same shapes, no non-linearity left, and the result is affine."""

import keras
import numpy as np
import tensorflow as tf

from tfcnn import build_deep, set_seed
from tfcnn.analysis import linearise


class LineariseTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        set_seed(0)
        self.model = build_deep(filters=(4, 6), dense_units=12)
        self.linear = linearise(self.model, copy_weights=True)

    def test_same_shapes_and_weights(self):
        self.assertEqual(self.linear.output.shape, self.model.output.shape)
        self.assertEqual(self.linear.count_params(), self.model.count_params())
        for a, b in zip(self.model.get_weights(), self.linear.get_weights()):
            self.assertAllEqual(a, b)

    def test_no_nonlinear_layer_left(self):
        kinds = {type(layer).__name__ for layer in self.linear.layers}
        self.assertNotIn("ReLU", kinds)
        self.assertNotIn("MaxPooling2D", kinds)
        self.assertIn("AveragePooling2D", kinds)
        for layer in self.linear.layers:
            self.assertIn(
                layer.get_config().get("activation", "linear"), ("linear", None)
            )

    def test_is_affine(self):
        # f(a x + b y) - f(0) = a (f(x) - f(0)) + b (f(y) - f(0)): biases make f affine.
        rng = np.random.default_rng(0)
        x, y = rng.random((2, 3, 28, 28, 1), dtype=np.float32)
        zero = np.zeros_like(x)
        f = lambda v: self.linear(v).numpy().astype(np.float64)  # noqa: E731
        a, b = 0.7, -1.3
        self.assertAllClose(
            f(a * x + b * y) - f(zero),
            a * (f(x) - f(zero)) + b * (f(y) - f(zero)),
            atol=1e-4,
        )
        # The original network is not.
        g = lambda v: self.model(v).numpy().astype(np.float64)  # noqa: E731
        self.assertNotAllClose(
            g(a * x + b * y) - g(zero),
            a * (g(x) - g(zero)) + b * (g(y) - g(zero)),
            atol=1e-3,
        )

    def test_average_pool_has_same_window(self):
        pool = self.linear.get_layer("pool1")
        self.assertEqual(pool.pool_size, (2, 2))
        self.assertEqual(pool.strides, (2, 2))

    def test_fresh_weights_by_default(self):
        fresh = linearise(self.model)
        self.assertNotAllClose(fresh.get_weights()[0], self.model.get_weights()[0])

    def test_unknown_layer_is_named(self):
        inputs = keras.Input((4,))
        model = keras.Model(
            inputs, keras.layers.LayerNormalization(name="norm")(inputs)
        )
        with self.assertRaisesRegex(ValueError, "layer 'norm'"):
            linearise(model)

    def test_activation_inside_dense_is_removed(self):
        inputs = keras.Input((3,))
        model = keras.Model(inputs, keras.layers.Dense(2, activation="relu")(inputs))
        self.assertEqual(
            linearise(model).layers[-1].get_config()["activation"], "linear"
        )
