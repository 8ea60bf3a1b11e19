"""Parameter counting by formula equals Keras' count, for every layer type it knows."""

import keras
import tensorflow as tf
from absl.testing import parameterized

from tfcnn.analysis import count_parameters, total_parameters


def _model(*layer_list, shape=(16, 16, 3)):
    inputs = keras.Input(shape)
    x = inputs
    for layer in layer_list:
        x = layer(x)
    return keras.Model(inputs, x)


class ParamsTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("conv", lambda: [keras.layers.Conv2D(7, 3)]),
        ("conv_no_bias", lambda: [keras.layers.Conv2D(7, (3, 5), use_bias=False)]),
        ("depthwise", lambda: [keras.layers.DepthwiseConv2D(3, depth_multiplier=2)]),
        ("separable", lambda: [keras.layers.SeparableConv2D(8, 3)]),
        ("batchnorm", lambda: [keras.layers.BatchNormalization()]),
        ("batchnorm_no_scale", lambda: [keras.layers.BatchNormalization(scale=False)]),
        (
            "dense_stack",
            lambda: [
                keras.layers.Flatten(),
                keras.layers.Dense(5),
                keras.layers.ReLU(),
                keras.layers.Dropout(0.2),
                keras.layers.Dense(3),
            ],
        ),
        (
            "pools",
            lambda: [
                keras.layers.MaxPooling2D(),
                keras.layers.AveragePooling2D(2),
                keras.layers.GlobalAveragePooling2D(),
            ],
        ),
    )
    def test_formula_equals_keras(self, make_layers):
        model = _model(*make_layers())
        self.assertEqual(total_parameters(model), model.count_params())

    def test_theory_question_four(self):
        # 96 filters of 5x5 on RGB: 96 * (5*5*3 + 1).
        conv = _model(keras.layers.Conv2D(96, 5), shape=(32, 32, 3))
        self.assertEqual(total_parameters(conv), 96 * (5 * 5 * 3 + 1))
        self.assertEqual(conv.count_params(), 7_296)
        # 4x4x256 flattened (4,096 values) mapped densely to 4,096 values.
        dense = _model(
            keras.layers.Flatten(), keras.layers.Dense(4 * 4 * 256), shape=(4, 4, 256)
        )
        self.assertEqual(total_parameters(dense), 4096 * 4096 + 4096)
        self.assertEqual(dense.count_params(), 16_781_312)

    def test_unknown_layer_is_named(self):
        model = _model(keras.layers.LayerNormalization(name="mystery"))
        with self.assertRaisesRegex(
            ValueError, "layer 'mystery' \\(LayerNormalization\\)"
        ):
            count_parameters(model)
