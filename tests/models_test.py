"""Builders: output shapes, parameter counts against hand arithmetic, argument errors."""

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from tfcnn import build_deep, build_reduced_deep, build_shallow
from tfcnn.analysis import count_parameters, parameter_table, total_parameters


def hand_count_deep(c1, c2, units, k, side_after_pools, classes=10, c_in=1):
    """The deep network's count written out: conv, conv, dense, dense."""
    return (
        (k * k * c_in * c1 + c1)
        + (k * k * c1 * c2 + c2)
        + (side_after_pools**2 * c2 * units + units)
        + (units * classes + classes)
    )


class BuildersTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        # 'same': 28 -> pool 14 -> pool 7.  'valid': 28 -conv-> 24 -> 12 -conv-> 8 -> 4.
        ("same", "same", hand_count_deep(32, 64, 1024, 5, 7)),
        ("valid", "valid", hand_count_deep(32, 64, 1024, 5, 4)),
    )
    def test_deep_counts(self, padding, expected):
        model = build_deep(padding=padding)
        self.assertEqual(model.count_params(), expected)
        self.assertEqual(total_parameters(model), expected)
        self.assertEqual(model(np.zeros((2, 28, 28, 1), np.float32)).shape, (2, 10))

    def test_classic_numbers(self):
        # The numbers the set C page derives by hand.
        self.assertEqual(build_deep(padding="same").count_params(), 3_274_634)
        self.assertEqual(build_deep(padding="valid").count_params(), 1_111_946)

    @parameterized.parameters(
        dict(filters=32, strides=1, padding="valid", side=24),
        dict(filters=32, strides=2, padding="valid", side=12),
        dict(filters=32, strides=1, padding="same", side=28),
        dict(filters=32, strides=2, padding="same", side=14),
        dict(filters=3, strides=2, padding="valid", side=12, pool_size=3),
    )
    def test_shallow_counts(self, filters, strides, padding, side, pool_size=None):
        model = build_shallow(
            filters=filters, strides=strides, padding=padding, pool_size=pool_size
        )
        pooled = side // pool_size if pool_size else side
        expected = (25 * filters + filters) + (pooled * pooled * filters * 10 + 10)
        self.assertEqual(model.count_params(), expected)
        self.assertEqual(model.get_layer("conv1").output.shape[1:3], (side, side))

    def test_reduced_deep_defaults(self):
        model = build_reduced_deep()
        self.assertEqual(model.count_params(), hand_count_deep(4, 8, 16, 5, 7))
        self.assertEqual(model.name, "reduced_deep")

    def test_dropout_layers_only_when_asked(self):
        names = [layer.name for layer in build_deep(dropout_rate=0.5).layers]
        self.assertEqual(
            [n for n in names if n.startswith("dropout")],
            ["dropout1", "dropout2", "dropout3"],
        )
        self.assertFalse(
            any(
                n.startswith("dropout") for n in [la.name for la in build_deep().layers]
            )
        )

    def test_table_rows_add_up(self):
        model = build_deep(padding="same")
        rows = count_parameters(model)
        self.assertEqual(rows[1].numbers, "5·5·1·32 + 32")
        self.assertEqual(sum(r.params for r in rows), model.count_params())
        table = parameter_table(model)
        self.assertEqual(table["rows"][-1][-1], "**3,274,634**")

    @parameterized.parameters(
        (
            dict(kernel_size=30, padding="valid"),
            "kernel_size is 30 but its input is only 28",
        ),
        (
            dict(kernel_size=11, padding="valid"),
            "kernel_size is 11 but its input is only 9",
        ),
        (dict(filters=(0, 64)), "filters_conv1 must be a whole number >= 1, got 0"),
        (dict(filters=(32,)), "filters must hold two counts"),
        (dict(input_shape=(28, 28)), "input_shape must be"),
        (dict(padding="full"), "padding must be 'valid' or 'same'"),
        (dict(dropout_rate=1.0), "dropout_rate must be in"),
    )
    def test_deep_rejects_impossible_sizes(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            build_deep(**kwargs)

    @parameterized.parameters(
        (dict(strides=-1), "strides must be a whole number >= 1, got -1"),
        (dict(filters=0), "filters must be a whole number >= 1, got 0"),
        (dict(kernel_size=29), "kernel_size is 29 but its input is only 28"),
        (dict(pool_size=25), "pool_size is 25 but its input is only 24"),
        (dict(pool_size=2, pool="median"), "pool must be 'max' or 'average'"),
    )
    def test_shallow_rejects_impossible_sizes(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            build_shallow(**kwargs)

    def test_wrong_input_shape_at_call_time(self):
        with self.assertRaises(ValueError):
            build_deep()(np.zeros((1, 32, 32, 3), np.float32))
