"""Set B, B2.2, B2.3, B2.5: closed forms against autodiff, lstsq, Keras and the profiler."""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized
from tensorflow.python.framework import config as tf_config

from tfcnn.analysis import theory
from tfcnn.analysis.conv import correlate2d
from tfcnn.answers.set_b.b2_2_b2_3_b2_5_theory import (
    Config,
    least_squares_checks,
    run_theory_checks,
    separable_costs,
    separable_equality,
    softmax_checks,
)
from tfcnn.results import read_result


class SoftmaxTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.parameters(2, 3, 10)
    def test_jacobian_matches_gradient_tape(self, classes):
        rng = np.random.default_rng(classes)
        z = tf.constant(rng.normal(scale=3.0, size=(5, classes)))
        with tf.GradientTape() as tape:
            tape.watch(z)
            y = tf.nn.softmax(z)
        self.assertAllClose(
            theory.softmax_jacobian(z.numpy()), tape.batch_jacobian(y, z), atol=1e-12
        )

    def test_jacobian_matches_finite_differences(self):
        z = np.array([0.3, -1.2, 2.0, 0.0])
        h = 1e-6
        numeric = np.stack(
            [
                (theory.softmax(z + h * e) - theory.softmax(z - h * e)) / (2 * h)
                for e in np.eye(4)
            ],
            axis=1,
        )
        self.assertAllClose(theory.softmax_jacobian(z), numeric, atol=1e-8)

    def test_jacobian_by_hand_for_two_classes(self):
        # softmax([0, 0]) = [1/2, 1/2]: J = [[1/4, -1/4], [-1/4, 1/4]].
        self.assertAllClose(
            theory.softmax_jacobian([0.0, 0.0]), [[0.25, -0.25], [-0.25, 0.25]]
        )

    def test_softmax_survives_large_logits(self):
        y = theory.softmax([1000.0, 0.0, -1000.0])
        self.assertAllClose(y, [1.0, 0.0, 0.0])
        self.assertTrue(
            np.isfinite(theory.cross_entropy([0.0, 1.0, 0.0], [1000.0, 0.0, -1000.0]))
        )

    @parameterized.named_parameters(
        ("one_hot", "one_hot"), ("soft", "soft"), ("unnormalised", "raw")
    )
    def test_cross_entropy_gradient_matches_gradient_tape(self, kind):
        rng = np.random.default_rng(1)
        z = tf.constant(rng.normal(scale=2.0, size=(6, 7)))
        y = {
            "one_hot": np.eye(7)[rng.integers(7, size=6)],
            "soft": rng.dirichlet(np.ones(7), size=6),
            "raw": rng.uniform(size=(6, 7)),
        }[kind]
        with tf.GradientTape() as tape:
            tape.watch(z)
            loss = -tf.reduce_sum(y * tf.nn.log_softmax(z))
        self.assertAllClose(
            theory.cross_entropy_grad_logits(y, z.numpy()),
            tape.gradient(loss, z),
            atol=1e-12,
        )

    def test_y_hat_minus_y_needs_targets_that_sum_to_one(self):
        z, y = np.array([0.5, -0.5, 1.0]), np.array([0.0, 1.0, 0.0])
        self.assertAllClose(
            theory.cross_entropy_grad_logits(y, z), theory.softmax(z) - y
        )
        self.assertNotAllClose(
            theory.cross_entropy_grad_logits(2 * y, z), theory.softmax(z) - 2 * y
        )


class LeastSquaresTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.x = rng.normal(size=(50, 4))
        self.y = self.x @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=50)

    def test_normal_equations_match_lstsq(self):
        expected = np.linalg.lstsq(self.x, self.y, rcond=None)[0]
        self.assertAllClose(
            theory.normal_equation_weights(self.x, self.y), expected, atol=1e-12
        )

    def test_gradient_is_zero_at_the_minimiser(self):
        w = theory.normal_equation_weights(self.x, self.y)
        self.assertAllClose(
            theory.mse_gradient(self.x, self.y, w), np.zeros(4), atol=1e-12
        )

    def test_mse_gradient_matches_gradient_tape(self):
        w = tf.constant([0.3, 0.1, -0.2, 1.0], dtype=tf.float64)
        with tf.GradientTape() as tape:
            tape.watch(w)
            loss = tf.reduce_mean((tf.linalg.matvec(self.x, w) - self.y) ** 2)
        self.assertAllClose(
            theory.mse_gradient(self.x, self.y, w.numpy()),
            tape.gradient(loss, w),
            atol=1e-12,
        )

    def test_gradient_descent_converges_to_the_normal_equations(self):
        run = theory.gradient_descent_mse(self.x, self.y, steps=400)
        self.assertAllClose(
            run["w"], theory.normal_equation_weights(self.x, self.y), atol=1e-9
        )
        self.assertTrue(
            np.all(np.diff(run["loss"]) <= 1e-15), "loss must not increase at rate 1/L"
        )

    def test_singular_design_raises_and_pinv_gives_the_min_norm_minimiser(self):
        # The fifth column depends on the others.
        x = np.column_stack([self.x, self.x[:, 0] - self.x[:, 3]])
        with self.assertRaisesRegex(ValueError, "singular.*min_norm_weights"):
            theory.normal_equation_weights(x, self.y)
        pinv = theory.min_norm_weights(x, self.y)
        self.assertAllClose(pinv, np.linalg.lstsq(x, self.y, rcond=None)[0], atol=1e-10)
        null = np.array([1.0, 0.0, 0.0, -1.0, -1.0])  # x @ null == 0
        self.assertAllClose(x @ null, np.zeros(len(x)), atol=1e-12)
        self.assertAlmostEqual(
            theory.mse(x, self.y, pinv + null), theory.mse(x, self.y, pinv), places=10
        )
        self.assertLess(np.linalg.norm(pinv), np.linalg.norm(pinv + null))

    def test_gradient_descent_from_zero_finds_the_min_norm_minimiser(self):
        x = self.x[:2]  # 2 samples, 4 features: infinitely many exact fits
        run = theory.gradient_descent_mse(x, self.y[:2], steps=2000)
        self.assertAllClose(run["w"], theory.min_norm_weights(x, self.y[:2]), atol=1e-8)
        shifted = theory.gradient_descent_mse(x, self.y[:2], steps=2000, w0=np.ones(4))
        self.assertLess(shifted["loss"][-1], 1e-12)
        self.assertNotAllClose(shifted["w"], run["w"])


class SeparableTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.parameters((3, 8, 16, 1), (5, 3, 7, 2), (1, 4, 4, 1))
    def test_parameter_formulas_match_keras(self, k, c, n, multiplier):
        conv = keras.layers.Conv2D(n, k)
        conv.build((None, 9, 9, c))
        self.assertEqual(theory.conv_params(k, c, n), conv.count_params())
        separable = keras.layers.SeparableConv2D(n, k, depth_multiplier=multiplier)
        separable.build((None, 9, 9, c))
        self.assertEqual(
            theory.separable_params(k, c, n, multiplier), separable.count_params()
        )
        depthwise = keras.layers.DepthwiseConv2D(
            k, depth_multiplier=multiplier, use_bias=False
        )
        depthwise.build((None, 9, 9, c))
        pointwise = keras.layers.Conv2D(n, 1)
        pointwise.build((None, 9, 9, c * multiplier))
        self.assertEqual(
            separable.count_params(),
            depthwise.count_params() + pointwise.count_params(),
        )

    def test_cost_ratio(self):
        k, m, n = 3, 32, 64
        ratio = theory.separable_params(k, m, n, bias=False) / theory.conv_params(
            k, m, n, bias=False
        )
        self.assertAlmostEqual(ratio, theory.separable_cost_ratio(k, n))
        self.assertAlmostEqual(
            theory.separable_macs(8, 8, k, m, n) / theory.conv_macs(8, 8, k, m, n),
            ratio,
        )
        self.assertAlmostEqual(theory.separable_cost_ratio(3, 64), 1 / 64 + 1 / 9)

    def test_multiply_adds_match_the_profiler(self):
        shape, k, m, n = (8, 8, 4), 3, 4, 16
        conv = keras.Sequential(
            [
                keras.Input(shape),
                keras.layers.Conv2D(n, k, padding="same", use_bias=False),
            ]
        )
        separable = keras.Sequential(
            [
                keras.Input(shape),
                keras.layers.SeparableConv2D(n, k, padding="same", use_bias=False),
            ]
        )
        self.assertEqual(
            theory.graph_flops(conv, shape), 2 * theory.conv_macs(8, 8, k, m, n)
        )
        self.assertEqual(
            theory.graph_flops(separable, shape),
            2 * theory.separable_macs(8, 8, k, m, n),
        )
        # By hand: 8*8 positions * (9*4 depthwise + 4*16 pointwise) = 6,400 multiply-adds.
        self.assertEqual(theory.separable_macs(8, 8, 3, 4, 16), 6400)

    @parameterized.parameters((1, 1), (2, 1), (1, 2))
    def test_depthwise_plus_pointwise_equals_separable(self, multiplier, stride):
        rng = np.random.default_rng(3)
        x = rng.normal(size=(2, 9, 9, 3)).astype(np.float32)
        separable = keras.layers.SeparableConv2D(
            5,
            3,
            strides=stride,
            padding="same",
            depth_multiplier=multiplier,
            bias_initializer="random_normal",
        )
        expected = separable(x)
        depthwise_kernel, pointwise_kernel, bias = separable.get_weights()
        depthwise = keras.layers.DepthwiseConv2D(3, strides=stride, padding="same",
                                                 depth_multiplier=multiplier, use_bias=False)  # fmt: skip
        pointwise = keras.layers.Conv2D(5, 1)
        hidden = depthwise(x)
        pointwise(hidden)
        depthwise.set_weights([depthwise_kernel])
        pointwise.set_weights([pointwise_kernel, bias])
        self.assertAllClose(pointwise(depthwise(x)), expected, atol=1e-5)
        if (
            stride == 1
        ):  # an independent NumPy computation: per-channel correlation, then mixing
            per_channel = np.stack(
                [correlate2d(x[0, :, :, c], depthwise_kernel[:, :, c, j], padding="same")
                 for c in range(3) for j in range(multiplier)], axis=-1,
            )  # fmt: skip
            mixed = per_channel @ pointwise_kernel[0, 0] + bias
            self.assertAllClose(mixed, expected[0], atol=1e-4)


class EdgeFilterTest(tf.test.TestCase):
    def test_bank_matches_numpy_correlation(self):
        rng = np.random.default_rng(0)
        image = rng.normal(size=(7, 6))
        kernels = list(theory.EDGE_FILTERS.values())
        for padding in ("same", "valid"):
            by_tf = theory.correlate_bank_tf(image, kernels, padding=padding)
            for kernel, out in zip(kernels, by_tf):
                self.assertAllClose(
                    correlate2d(image, kernel, padding=padding), out, atol=1e-12
                )

    def test_vertical_filter_responds_to_left_right_change_only(self):
        # Brightness grows to the right by 1 per column.
        ramp = np.tile(np.arange(6.0), (6, 1))
        vertical = correlate2d(ramp, theory.EDGE_FILTERS["prewitt_vertical"])
        horizontal = correlate2d(ramp, theory.EDGE_FILTERS["prewitt_horizontal"])
        self.assertAllClose(
            vertical, np.full((4, 4), 6.0)
        )  # 3 rows * (+1 * 2 columns apart)
        self.assertAllClose(horizontal, np.zeros((4, 4)))


class AnswerTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.config = Config(trials=10, gd_steps=2000).quick()

    def test_quick_keeps_the_seed_and_shrinks_the_grids(self):
        config = Config(seed=3).quick()
        self.assertEqual((config.seed, config.trials, config.conv_size), (3, 20, 8))
        self.assertEqual(config.kernel_sizes, (3,))

    def test_closed_forms_match_and_y_hat_minus_y_fails_unnormalised(self):
        result = softmax_checks(self.config, np.random.default_rng(0))
        self.assertEqual(result["trials"], 20)
        diffs = result["max_abs_diff"]
        for key in ("jacobian", "grad_one_hot", "grad_soft", "grad_unnormalised"):
            self.assertLess(diffs[key], 1e-12, key)
        self.assertLess(diffs["jacobian_column_sums"], 1e-12)
        # Targets summing to more or less than one: y_hat - y is off, and so is
        # TensorFlow's fused op, by the same amount, unless op determinism (which
        # an earlier test of this process may have turned on, for good) replaces
        # the fused kernel by log_softmax, whose gradient is right.
        self.assertGreater(diffs["y_hat_minus_y_unnormalised"], 0.1)
        fused_gap = (
            0.0
            if tf_config.is_op_determinism_enabled()
            else diffs["y_hat_minus_y_unnormalised"]
        )
        self.assertAllClose(diffs["tf_fused_op_unnormalised"], fused_gap, atol=1e-12)

    def test_least_squares_designs(self):
        results, runs = least_squares_checks(self.config, np.random.default_rng(0))
        full, fewer = results["full_rank"], results["fewer_samples"]
        self.assertIsNone(full["normal_equations_error"])
        self.assertLess(full["normal_vs_lstsq"], 1e-10)
        self.assertLess(full["gd_vs_solution"], 1e-8)
        for name in ("duplicated_feature", "fewer_samples"):
            self.assertIn("singular", results[name]["normal_equations_error"])
            self.assertIsNone(results[name]["normal_vs_lstsq"])
            self.assertLess(results[name]["pinv_vs_lstsq"], 1e-10)
        self.assertEqual(fewer["shape"], [3, 5])
        self.assertAllClose(fewer["other_minimiser_mse"], fewer["mse_at_solution"])
        self.assertLess(fewer["norms"]["pinv"], fewer["norms"]["other"])
        self.assertLen(results["table"]["rows"], 3)
        self.assertEqual(
            list(runs),
            ["full rank", "a derived feature (x0 + x1)", "fewer samples than features"],
        )
        self.assertLen(runs["full rank"]["loss_gap"], 2001)

    def test_separable_equals_depthwise_then_pointwise(self):
        result = separable_equality(np.random.default_rng(0))
        self.assertEqual(result["cases"], 3)
        self.assertLess(result["max_abs_diff"], 1e-4)

    def test_separable_costs_match_keras_and_the_profiler(self):
        costs = separable_costs(self.config)
        self.assertEqual(costs["cases"], 4)  # k = 3; M, N in (8, 16)
        self.assertEqual(costs["mismatches"], 0)
        self.assertLen(costs["page_table"]["rows"], 2)  # M == N only
        k, m, n, p_std, p_sep = costs["table"]["rows"][0][:5]
        self.assertEqual((k, m, n), (3, 8, 8))
        self.assertEqual((p_std, p_sep), (9 * 8 * 8, 9 * 8 + 8 * 8))

    def test_quick_run_writes_every_result(self):
        # With fewer samples than features X^T X is singular: in floating point
        # its condition number is infinite (stored as None, JSON has no inf) or
        # huge, depending on the BLAS's rounding.
        root = Path(self.get_temp_dir())
        run_theory_checks(Config().quick(), root)
        for path in ("b2-2/softmax.json", "b2-3/least_squares.json",
                     "b2-3/gradient_descent.png", "b2-5/separable.json"):  # fmt: skip
            self.assertTrue((root / path).is_file(), path)
        designs = read_result("b2-3", "least_squares", root)["designs"]
        condition = designs["fewer_samples"]["gram_condition_number"]
        cell = designs["table"]["rows"][2][3]
        if condition is None:
            self.assertEqual(cell, "∞")
        else:
            self.assertGreater(condition, 1e12)
            self.assertGreater(float(cell), 1e12)


if __name__ == "__main__":
    tf.test.main()
