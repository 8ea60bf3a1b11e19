"""tfcnn.analysis.conv against scipy.signal, tf.nn.conv2d, Keras' Conv2D and hand arithmetic."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized
from scipy import signal

from tfcnn.analysis.conv import (
    convolve2d,
    correlate1d,
    correlate2d,
    filter_jacobian_1d,
    output_size,
    same_padding,
)
from tfcnn.answers.set_a.a1_a2_convolution import K_DENOMINATOR, K_NUMERATORS, X

SIZES_STRIDES = [
    dict(testcase_name=f"n{n}_k{k}_s{s}", n=n, k=k, stride=s)
    for n, k, s in [
        (6, 3, 1),
        (7, 3, 2),
        (9, 4, 2),
        (10, 5, 3),
        (8, 2, 1),
        (5, 5, 1),
        (11, 3, 4),
    ]
]


def tf_correlate(x, k, padding, stride):
    """tf.nn.conv2d (a cross-correlation) of one (H, W[, C]) image with one kernel."""
    x = np.asarray(x, np.float64)
    k = np.asarray(k, np.float64)
    if x.ndim == 2:
        x, k = x[..., None], k[..., None]
    if isinstance(padding, int):
        padding = [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    else:
        padding = padding.upper()
    out = tf.nn.conv2d(x[None], k[..., None], strides=stride, padding=padding)
    return out.numpy()[0, :, :, 0]


class CorrelateTest(tf.test.TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.rng = np.random.default_rng(7)

    @parameterized.named_parameters(SIZES_STRIDES)
    def test_valid_matches_scipy_subsampled(self, n, k, stride):
        x, kernel = self.rng.normal(size=(n, n + 1)), self.rng.normal(size=(k, k))
        expected = signal.correlate2d(x, kernel, mode="valid")[::stride, ::stride]
        self.assertAllClose(correlate2d(x, kernel, "valid", stride), expected)

    @parameterized.named_parameters(SIZES_STRIDES)
    def test_convolution_matches_scipy_subsampled(self, n, k, stride):
        x, kernel = self.rng.normal(size=(n, n)), self.rng.normal(size=(k, k))
        expected = signal.convolve2d(x, kernel, mode="valid")[::stride, ::stride]
        self.assertAllClose(convolve2d(x, kernel, "valid", stride), expected)

    @parameterized.named_parameters(SIZES_STRIDES)
    def test_every_padding_matches_tf_nn_conv2d(self, n, k, stride):
        x, kernel = self.rng.normal(size=(n, n)), self.rng.normal(size=(k, k))
        for padding in ("valid", "same", 1, 2):
            with self.subTest(padding=padding):
                self.assertAllClose(
                    correlate2d(x, kernel, padding, stride),
                    tf_correlate(x, kernel, padding, stride),
                )

    def test_integer_padding_matches_scipy_on_a_zero_padded_input(self):
        x, kernel = self.rng.normal(size=(6, 7)), self.rng.normal(size=(3, 3))
        expected = signal.correlate2d(np.pad(x, 2), kernel, mode="valid")
        self.assertAllClose(correlate2d(x, kernel, padding=2), expected)

    def test_same_padding_at_stride_one_matches_scipy_same_for_odd_kernels(self):
        x, kernel = self.rng.normal(size=(7, 7)), self.rng.normal(size=(5, 5))
        self.assertAllClose(
            correlate2d(x, kernel, "same"), signal.correlate2d(x, kernel, mode="same")
        )

    @parameterized.parameters(1, 2)
    def test_channels_are_summed_like_tf_nn_conv2d(self, stride):
        x, kernel = self.rng.normal(size=(8, 8, 3)), self.rng.normal(size=(3, 3, 3))
        for padding in ("valid", "same"):
            self.assertAllClose(
                correlate2d(x, kernel, padding, stride),
                tf_correlate(x, kernel, padding, stride),
            )

    def test_convolution_is_correlation_with_the_rotated_kernel(self):
        x, kernel = self.rng.normal(size=(6, 6)), self.rng.normal(size=(3, 3))
        self.assertAllClose(convolve2d(x, kernel), correlate2d(x, np.rot90(kernel, 2)))
        self.assertNotAllClose(convolve2d(x, kernel), correlate2d(x, kernel))

    def test_the_two_agree_for_a_kernel_symmetric_under_half_turn(self):
        kernel = np.fliplr(np.eye(3)) / 3  # the anti-diagonal kernel of set A
        self.assertAllEqual(np.rot90(kernel, 2), kernel)
        x = self.rng.normal(size=(6, 6))
        self.assertAllClose(convolve2d(x, kernel), correlate2d(x, kernel))

    def test_set_a_example_by_hand(self):
        # The sheet's input and kernel as the A1 answer holds them; the expected
        # outputs below are summed by hand from the sheet's entries.
        z = correlate2d(X, K_NUMERATORS / K_DENOMINATOR)
        self.assertEqual(z.shape, (4, 4))
        # Each output is the mean of the anti-diagonal of its 3x3 window.
        self.assertAllClose(z[0, 0], (80 + 0 + 30) / 3)
        self.assertAllClose(z[0, 3], (30 + 10 + 90) / 3)
        self.assertAllClose(z[3, 0], (80 + 70 + 20) / 3)
        self.assertAllClose(z[3, 3], (80 + 100 + 100) / 3)

    def test_bad_arguments_raise_value_errors(self):
        x = np.zeros((4, 4))
        with self.assertRaisesRegex(ValueError, "stride"):
            correlate2d(x, np.zeros((2, 2)), stride=0)
        with self.assertRaisesRegex(ValueError, "padding"):
            correlate2d(x, np.zeros((2, 2)), padding="full")
        with self.assertRaisesRegex(ValueError, "larger"):
            correlate2d(x, np.zeros((5, 5)))
        with self.assertRaisesRegex(ValueError, "channels"):
            correlate2d(np.zeros((4, 4, 2)), np.zeros((2, 2, 3)))


class OutputSizeTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.parameters(itertools.product([5, 6, 28], [1, 2, 3, 5], [1, 2, 3]))
    def test_valid_and_same_sizes_match_keras_conv2d(self, n, k, stride):
        if k > n:
            return
        for padding in ("valid", "same"):
            layer = keras.layers.Conv2D(1, k, strides=stride, padding=padding)
            keras_side = layer.compute_output_shape((1, n, n, 1))[1]
            before, after = same_padding(n, k, stride) if padding == "same" else (0, 0)
            # floor((n + p_before + p_after - k) / s) + 1, from the padded width.
            formula = (n + before + after - k) // stride + 1
            self.assertEqual(formula, keras_side, msg=f"{padding}")
            self.assertEqual(
                correlate2d(np.ones((n, n)), np.ones((k, k)), padding, stride).shape[0],
                keras_side,
            )
            if padding == "valid":
                self.assertEqual(output_size(n, k, 0, stride), keras_side)
            else:
                self.assertEqual(keras_side, -(-n // stride))

    def test_symmetric_padding_formula(self):
        self.assertEqual(output_size(6, 3), 4)
        self.assertEqual(output_size(28, 5, 0, 2), 12)
        self.assertEqual(output_size(28, 5, 2, 1), 28)
        self.assertEqual(output_size(7, 3, 1, 2), 4)

    def test_same_padding_puts_the_odd_pixel_at_the_end(self):
        self.assertEqual(same_padding(28, 5, 2), (1, 2))
        self.assertEqual(same_padding(28, 5, 1), (2, 2))
        self.assertEqual(same_padding(6, 1, 1), (0, 0))

    def test_output_size_rejects_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "exceeds"):
            output_size(3, 5)
        with self.assertRaisesRegex(ValueError, "stride"):
            output_size(5, 3, 0, 0)


class OneDimensionalTest(tf.test.TestCase):
    def test_correlate1d_matches_numpy(self):
        rng = np.random.default_rng(3)
        signal_1d, f = rng.normal(size=12), rng.normal(size=4)
        self.assertAllClose(
            correlate1d(signal_1d, f), np.correlate(signal_1d, f, mode="valid")
        )

    def test_filter_jacobian_matches_finite_differences(self):
        rng = np.random.default_rng(4)
        signal_1d, f = rng.normal(size=9), rng.normal(size=3)
        eps = 1e-6
        numeric = np.stack(
            [
                (
                    correlate1d(signal_1d, f + eps * e)
                    - correlate1d(signal_1d, f - eps * e)
                )
                / (2 * eps)
                for e in np.eye(3)
            ],
            axis=1,
        )
        self.assertAllClose(filter_jacobian_1d(signal_1d, 3), numeric, atol=1e-6)


if __name__ == "__main__":
    tf.test.main()
