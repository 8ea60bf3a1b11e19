"""Set B, B2.1: the sheet's image through edge filters; output sizes; parameter counts."""

import itertools

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from tfcnn.analysis.conv import correlate2d, output_size
from tfcnn.analysis.theory import EDGE_FILTERS, conv_params, correlate_bank_tf

IMAGE = np.array(
    [
        [5, 5, 2, 5, 5],
        [5, 5, 2, 5, 5],
        [7, 7, 5, 7, 7],
        [5, 5, 2, 5, 5],
        [5, 5, 2, 5, 5],
    ],
    float,
)


class SheetImageTest(tf.test.TestCase):
    def test_prewitt_vertical_valid_by_hand(self):
        # Each output sums (right column - left column) over a 3x3 window. Window at
        # column 0 spans columns 0..2: right-left = (2+2+5) - (5+5+7) = -8 per 3 rows.
        out = correlate2d(IMAGE, EDGE_FILTERS["prewitt_vertical"], padding="valid")
        self.assertAllEqual(out, [[-8, 0, 8]] * 3)

    def test_prewitt_horizontal_valid_by_hand(self):
        # (bottom row - top row) of each window: rows 2 - 0 = (7+7+5) - (5+5+2) = 7.
        out = correlate2d(IMAGE, EDGE_FILTERS["prewitt_horizontal"], padding="valid")
        self.assertAllEqual(out, [[7, 7, 7], [0, 0, 0], [-7, -7, -7]])

    def test_same_padding_corner_by_hand(self):
        # Top-left window with one ring of zeros: right column (0, 5, 5), left column zeros.
        out = correlate2d(IMAGE, EDGE_FILTERS["prewitt_vertical"], padding="same")
        self.assertEqual(out.shape, (5, 5))
        self.assertEqual(out[0, 0], 10)
        self.assertAllEqual(
            out[1:4, 1:4], correlate2d(IMAGE, EDGE_FILTERS["prewitt_vertical"])
        )

    def test_every_filter_matches_tf_conv2d(self):
        bank = list(EDGE_FILTERS.values()) + [
            np.random.default_rng(0).normal(size=(3, 3))
        ]
        for padding in ("same", "valid"):
            for kernel, out in zip(
                bank, correlate_bank_tf(IMAGE, bank, padding=padding)
            ):
                self.assertAllClose(
                    correlate2d(IMAGE, kernel, padding=padding), out, atol=1e-12
                )

    def test_image_is_symmetric_so_edge_maps_are_antisymmetric(self):
        out = correlate2d(IMAGE, EDGE_FILTERS["sobel_vertical"], padding="same")
        self.assertAllEqual(out, -out[:, ::-1])


class SizeAndParameterTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.parameters(
        itertools.product((5, 8, 13), (1, 3, 4), (0, 1, 2), (1, 2, 3))
    )
    def test_output_size_formula_matches_keras(self, h, k, p, s):
        if k > h + 2 * p:
            self.skipTest("kernel larger than the padded input")
        x = keras.layers.ZeroPadding2D(p)(tf.zeros((1, h, h, 1)))
        measured = keras.layers.Conv2D(1, k, strides=s)(x).shape[1]
        self.assertEqual(output_size(h, k, p, s), measured)
        self.assertEqual((h + 2 * p - k) // s + 1, measured)

    @parameterized.parameters(1, 2, 3)
    def test_same_padding_gives_ceil_h_over_s(self, s):
        for h in (5, 6, 7, 32):
            out = keras.layers.Conv2D(1, 3, strides=s, padding="same")(
                tf.zeros((1, h, h, 1))
            )
            self.assertEqual(out.shape[1], -(-h // s))

    @parameterized.parameters((3, 1, 2), (5, 3, 32), (1, 16, 8))
    def test_parameter_formula_ignores_image_size(self, k, c, n):
        for size in (8, 40):
            layer = keras.layers.Conv2D(n, k)
            layer.build((None, size, size, c))
            self.assertEqual(layer.count_params(), n * (k * k * c + 1))
            self.assertEqual(layer.count_params(), conv_params(k, c, n))


if __name__ == "__main__":
    tf.test.main()
