"""FLOP counting by formula, checked by hand and against TensorFlow's FLOP registry."""

from __future__ import annotations

import keras
import tensorflow as tf
from absl.testing import parameterized

from tfcnn import build_deep, build_shallow
from tfcnn.bench.flops import layer_flops, profiler_flops, training_step_flops
from tfcnn.bench.networks import NETWORKS


def tiny_model(padding="valid"):
    inputs = keras.Input((5, 5, 1))
    x = keras.layers.Conv2D(2, 3, padding=padding, name="conv")(inputs)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(3, name="dense")(x))


def by_kind(rows, field):
    totals = {"Conv2D": 0, "Dense": 0}
    for row in rows:
        totals[row.kind] += getattr(row, field)
    return totals


class HandCountTest(tf.test.TestCase):
    def test_tiny_conv_and_dense_by_hand(self):
        # Batch 4. Conv 3x3, 1 -> 2 channels on 5x5, 'valid': 4·3·3·2 = 72
        # outputs, each a 9-term dot product: 648 MACs. Dense 18 -> 3: 12
        # outputs of 18 terms: 216 MACs.
        conv, dense = layer_flops(tiny_model(), batch_size=4)
        self.assertEqual(conv.macs, 648)
        self.assertEqual(conv.forward, 2 * 648 + 72)  # + one bias add per output
        self.assertEqual(conv.backward_input, 0)  # the images need no gradient
        self.assertEqual(
            conv.backward_weights, 2 * 648 + (72 - 2)
        )  # bias: sum of 36 per filter
        self.assertEqual(dense.macs, 216)
        self.assertEqual(dense.forward, 2 * 216 + 12)
        self.assertEqual(dense.backward_input, 2 * 216)
        self.assertEqual(dense.backward_weights, 2 * 216 + (12 - 3))

    def test_deep_network_forward_macs_per_image(self):
        # conv1: 24·24 positions x 32 filters x 5·5·1 taps; conv2: 8·8 x 64 x
        # 5·5·32; dense1: 1024 x 1024; logits: 1024 x 10.
        model = NETWORKS["deep_valid"].build()
        rows = layer_flops(model, batch_size=1)
        self.assertEqual(
            [r.macs for r in rows],
            [24 * 24 * 32 * 25, 8 * 8 * 64 * 25 * 32, 1024 * 1024, 1024 * 10],
        )
        step = training_step_flops(model, batch_size=50)
        macs = sum(r.macs for r in rows)
        # About 3x the forward pass: 6 FLOPs per MAC, less conv1's input
        # gradient; the bias terms add under 1 %.
        self.assertAllClose(
            step["total"] / (50 * macs), 6 - 2 * rows[0].macs / macs, atol=0.02
        )

    def test_stride_reduces_the_count(self):
        stride1 = layer_flops(build_shallow(strides=1), 1)[0].macs
        stride2 = layer_flops(build_shallow(strides=2), 1)[0].macs
        self.assertEqual(stride1, 24 * 24 * 32 * 25)
        self.assertEqual(stride2, 12 * 12 * 32 * 25)

    def test_unsupported_layer_is_named(self):
        inputs = keras.Input((4, 4, 1))
        x = keras.layers.LayerNormalization(name="ln")(inputs)
        model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(x)))
        with self.assertRaisesRegex(ValueError, "ln"):
            layer_flops(model, 1)

    def test_a_frozen_first_layer_needs_no_gradient(self):
        # The CIFAR network's stem is frozen: no weight gradient for it, and
        # no input gradient before the first trainable layer either.
        inputs = keras.Input((6, 6, 2))
        stem = keras.layers.Conv2D(3, 2, use_bias=False, name="stem")
        x = keras.layers.Activation("gelu")(stem(inputs))
        x = keras.layers.Conv2D(4, 3, use_bias=False, name="conv")(x)
        x = keras.layers.BatchNormalization(scale=False)(x)
        x = keras.layers.GlobalMaxPooling2D()(x)
        model = keras.Model(inputs, keras.layers.Dense(2, use_bias=False)(x))
        stem.trainable = False
        stem_row, conv, dense = layer_flops(model, 2)
        self.assertEqual((stem_row.backward_input, stem_row.backward_weights), (0, 0))
        self.assertEqual(stem_row.forward, 2 * stem_row.macs)  # no bias
        self.assertEqual(conv.backward_input, 0)
        self.assertEqual(conv.backward_weights, 2 * conv.macs)
        self.assertEqual(dense.backward_input, 2 * dense.macs)

    def test_bad_batch_size(self):
        with self.assertRaisesRegex(ValueError, "batch_size"):
            layer_flops(tiny_model(), 0)


class ProfilerTest(tf.test.TestCase, parameterized.TestCase):
    """TensorFlow's registry counts each op from the shapes in the traced graph."""

    @parameterized.parameters(1, 3)
    def test_same_padding_matches_every_op_type(self, batch_size):
        model = build_deep(filters=(3, 5), dense_units=7, padding="same")
        counted = profiler_flops(model, batch_size, input_gradient=True)
        rows = layer_flops(model, batch_size, input_gradient=True)
        macs = by_kind(rows, "macs")
        self.assertEqual(counted["Conv2D"], 2 * macs["Conv2D"])
        self.assertEqual(counted["Conv2DBackpropInput"], 2 * macs["Conv2D"])
        self.assertEqual(counted["Conv2DBackpropFilter"], 2 * macs["Conv2D"])
        self.assertEqual(counted["MatMul"], 3 * 2 * macs["Dense"])
        forward, weights = (
            sum(r.forward for r in rows),
            sum(r.backward_weights for r in rows),
        )
        self.assertEqual(counted["BiasAdd"], forward - 2 * sum(macs.values()))
        self.assertEqual(counted["BiasAddGrad"], weights - 2 * sum(macs.values()))

    def test_unneeded_input_gradient_is_in_the_graph_but_not_counted(self):
        # The traced graph still holds conv1's input gradient (TensorFlow's
        # graph optimiser prunes it before running); the formula leaves it out.
        model = build_deep(filters=(3, 5), dense_units=7, padding="same")
        counted = profiler_flops(model, 2)
        rows = layer_flops(model, 2)
        self.assertEqual(rows[0].backward_input, 0)
        self.assertEqual(
            counted["Conv2DBackpropInput"],
            sum(r.backward_input for r in rows if r.kind == "Conv2D")
            + 2 * rows[0].macs,
        )

    def test_valid_padding_forward_ops_match(self):
        model = NETWORKS["deep_valid"].build()
        counted = profiler_flops(model, 2)
        macs = by_kind(layer_flops(model, 2), "macs")
        self.assertEqual(counted["Conv2D"], 2 * macs["Conv2D"])
        self.assertEqual(counted["MatMul"], 3 * 2 * macs["Dense"])

    def test_uncounted_ops_are_a_small_share(self):
        # Pooling, the loss and the other ops the registry knows, in the deep
        # network's training step, against the formula's total.
        model = NETWORKS["deep_valid"].build()
        counted = profiler_flops(model, 50)
        counted_by_formula = {
            "Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "MatMul",
            "BiasAdd", "BiasAddGrad",
        }  # fmt: skip
        other = sum(v for k, v in counted.items() if k not in counted_by_formula)
        self.assertGreater(other, 0)
        self.assertLess(other / training_step_flops(model, 50)["total"], 0.01)


if __name__ == "__main__":
    tf.test.main()
