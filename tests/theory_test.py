"""Set C theory (CT1-CT3) checked numerically: equivariance, lengths, dead ReLU, Jacobian."""

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from tfcnn.analysis.conv import correlate1d, correlate2d, filter_jacobian_1d


def tf_correlate1d(signal, f):
    """TensorFlow's conv1d ('valid', stride 1) on a 1-D signal: a correlation."""
    return tf.nn.conv1d(
        tf.reshape(signal, (1, -1, 1)), tf.reshape(f, (-1, 1, 1)), 1, "VALID"
    )[0, :, 0]


class ConvolutionTheoryTest(tf.test.TestCase, parameterized.TestCase):
    def test_full_convolution_commutes_with_shifts(self):
        # (f[k - t] * g)[n] = (f * g)[n - t]: delaying either factor delays the output.
        rng = np.random.default_rng(0)
        f, g, t = rng.normal(size=7), rng.normal(size=4), 3
        shifted_f = np.concatenate([np.zeros(t), f])
        shifted_g = np.concatenate([np.zeros(t), g])
        expected = np.concatenate([np.zeros(t), np.convolve(f, g)])
        self.assertAllClose(np.convolve(shifted_f, g), expected)
        self.assertAllClose(np.convolve(f, shifted_g), expected)

    def test_2d_correlation_is_translation_equivariant(self):
        rng = np.random.default_rng(1)
        image = np.zeros((12, 12))
        image[2:7, 3:8] = rng.normal(size=(5, 5))
        k = rng.normal(size=(3, 3))
        moved = np.roll(
            image, (3, 2), axis=(0, 1)
        )  # the content stays inside the zero border
        self.assertAllClose(
            correlate2d(moved, k, "same"),
            np.roll(correlate2d(image, k, "same"), (3, 2), axis=(0, 1)),
        )

    def test_each_output_is_a_dot_product_with_a_shifted_window(self):
        rng = np.random.default_rng(2)
        signal, f = rng.normal(size=10), rng.normal(size=4)
        dots = [f @ signal[n : n + 4] for n in range(7)]
        self.assertAllClose(correlate1d(signal, f), dots)
        self.assertAllClose(correlate1d(signal, f), tf_correlate1d(signal, f))

    @parameterized.parameters((10, 3), (10, 10), (7, 1), (28, 5))
    def test_valid_length_is_n_minus_k_plus_one(self, n, k):
        self.assertLen(correlate1d(np.ones(n), np.ones(k)), n - k + 1)
        layer_out = keras.layers.Conv1D(1, k)(np.ones((1, n, 1), np.float32))
        self.assertEqual(layer_out.shape[1], n - k + 1)


class DeadReluTest(tf.test.TestCase):
    def test_gradients_vanish_when_every_response_is_negative(self):
        rng = np.random.default_rng(3)
        image = tf.constant(rng.random(20))
        f = tf.Variable(rng.normal(size=5))
        head = tf.constant(rng.normal(size=16))  # the rest of the network, F
        for bias, dead in ((-100.0, True), (0.0, False)):
            b = tf.Variable(bias, dtype=tf.float64)
            with tf.GradientTape() as tape:
                response = tf_correlate1d(image, f) + b
                loss = tf.reduce_sum(head * tf.nn.relu(response)) ** 2
            grad_f, grad_b = tape.gradient(loss, [f, b])
            if dead:
                self.assertTrue(bool(tf.reduce_all(response < 0)))
                self.assertAllEqual(grad_f, np.zeros(5))
                self.assertEqual(float(grad_b), 0.0)
            else:
                self.assertGreater(float(tf.norm(grad_f)), 0.0)


class JacobianTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.parameters((6, 3), (9, 4), (5, 5))
    def test_filter_jacobian_matches_gradient_tape(self, n, k):
        rng = np.random.default_rng(n * k)
        signal = tf.constant(rng.normal(size=n))
        f = tf.Variable(rng.normal(size=k))
        with tf.GradientTape() as tape:
            out = tf_correlate1d(signal, f)
        self.assertAllClose(
            tape.jacobian(out, f), filter_jacobian_1d(signal.numpy(), k)
        )

    def test_jacobian_transpose_product_is_a_correlation(self):
        rng = np.random.default_rng(5)
        signal, k = rng.normal(size=11), 4
        upstream = rng.normal(size=11 - k + 1)  # dL/d(output)
        jacobian = filter_jacobian_1d(signal, k)
        # dL/df = J^T g = the signal correlated with the upstream gradient.
        self.assertAllClose(jacobian.T @ upstream, correlate1d(signal, upstream))
        f = tf.Variable(rng.normal(size=k))
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(
                tf.constant(upstream) * tf_correlate1d(tf.constant(signal), f)
            )
        self.assertAllClose(tape.gradient(loss, f), jacobian.T @ upstream)
