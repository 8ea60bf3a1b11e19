"""Set B, B2.1: the sheet's image through edge filters; output sizes; parameter counts."""

import itertools
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from tfcnn.analysis.conv import correlate2d, output_size
from tfcnn.analysis.theory import EDGE_FILTERS, conv_params, correlate_bank_tf
from tfcnn.answers.set_b.b2_1_convolutions import (
    SHEET_IMAGE,
    Config,
    apply_filters,
    cnn_vs_mlp,
    equivariance,
    filter_bank,
    matrix_table,
    output_size_grid,
    parameter_grid,
    run_convolutions,
)
from tfcnn.results import read_result

IMAGE = SHEET_IMAGE


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


class AnswerTest(tf.test.TestCase):
    def test_filter_bank_reads_names_and_matrices(self):
        bank = filter_bank(["sobel_vertical", "0,1,0;1,-4,1;0,1,0"])
        self.assertAllEqual(bank["sobel_vertical"], EDGE_FILTERS["sobel_vertical"])
        self.assertAllEqual(bank["0,1,0;1,-4,1;0,1,0"][1], [1, -4, 1])

    def test_filter_bank_rejects_bad_filters(self):
        for texts, message in [
            (["laplace"], "not a known filter"),
            (["1,2;3"], "not a known filter"),
            (["1,2,3;4,5,6"], "must be square"),
            (["sobel_vertical", "1,0;0,1"], "same size"),
        ]:
            with self.assertRaisesRegex(ValueError, message):
                filter_bank(texts)

    def test_matrix_table_keeps_whole_numbers_whole(self):
        table = matrix_table([[1.0, -2.0], [0.0, 3.0]])
        self.assertEqual(table["columns"], ["", "col 0", "col 1"])
        self.assertEqual(table["rows"], [["row 0", 1, -2], ["row 1", 0, 3]])
        self.assertIsInstance(table["rows"][0][1], int)
        self.assertEqual(matrix_table([[0.5]])["rows"], [["row 0", 0.5]])

    def test_filters_agree_with_tensorflow_in_both_paddings(self):
        out = apply_filters(filter_bank(EDGE_FILTERS))
        self.assertEqual(list(out), list(EDGE_FILTERS))
        for result in out.values():
            self.assertEqual(result["same_shape"], [5, 5])
            self.assertEqual(result["valid_shape"], [3, 3])
            self.assertLess(result["same_max_abs_diff_vs_tf"], 1e-12)
            self.assertLess(result["valid_max_abs_diff_vs_tf"], 1e-12)
        rows = out["prewitt_vertical"]["valid"]["rows"]
        self.assertEqual([row[1:] for row in rows], [[-8, 0, 8]] * 3)

    def test_quick_grids_have_no_mismatch(self):
        config = Config().quick()
        self.assertEqual(config.sizes, (5, 8))
        self.assertEqual(config.filters, Config().filters)
        grid = output_size_grid(config)
        # Valid cases that fit, plus one 'same' case per (k, s, H).
        valid = sum(
            k <= h + 2 * p for k in (1, 3) for h in (5, 8) for p in (0, 1, 2, 3)
        )
        self.assertEqual(grid["cases"], 2 * valid + 2 * 2 * 2)
        self.assertEqual(grid["mismatches"], [])
        params = parameter_grid(config)
        self.assertEqual(params["cases"], 3 * 3 * 3)
        self.assertEqual(params["mismatches"], 0)

    def test_dense_layers_need_far_more_parameters(self):
        config = Config(mlp_image=(8, 8, 3), mlp_filters=4, mlp_hidden_units=16)
        counts = cnn_vs_mlp(config)
        self.assertEqual(counts["conv_params"], conv_params(3, 3, 4))
        self.assertEqual(counts["dense_same_params"], (8 * 8 * 3 + 1) * 8 * 8 * 4)
        self.assertEqual(counts["dense_hidden_params"], (8 * 8 * 3 + 1) * 16)
        self.assertEqual(counts["conv_macs"], 8 * 8 * 9 * 3 * 4)

    def test_convolution_is_shift_equivariant_and_dense_is_not(self):
        result = equivariance(seed=0)
        self.assertLess(result["conv_max_abs_diff"], 1e-12)
        self.assertGreater(result["dense_max_abs_diff"], 1.0)

    def test_run_writes_the_result_and_the_figure(self):
        root = Path(self.get_temp_dir())
        config = Config(filters=("sobel_vertical", "0,1,0;1,-4,1;0,1,0"),
                        mlp_image=(8, 8, 3), mlp_filters=4, mlp_hidden_units=16)  # fmt: skip
        run_convolutions(config.quick(), root)
        self.assertTrue((root / "b2-1" / "filters.png").is_file())
        stored = read_result("b2-1", "convolutions", root)
        self.assertEqual(list(stored["filters"]), list(config.filters))
        self.assertLess(stored["max_abs_diff_vs_tf"], 1e-12)
        self.assertEqual(stored["output_size"]["mismatch_count"], 0)
        self.assertEqual(stored["meta"]["config"]["sizes"], [5, 8])


if __name__ == "__main__":
    tf.test.main()
