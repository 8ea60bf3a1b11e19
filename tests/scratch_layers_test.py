"""The NumPy layers and optimisers of tfcnn.scratch, checked against finite differences,
TensorFlow (tf.GradientTape, tf.nn) and Keras' optimisers, in float64."""

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from tfcnn.scratch import SGD, Momentum, RMSProp, make_optimizer
from tfcnn.scratch.gradcheck import check_layer, numerical_gradient, relative_error
from tfcnn.scratch.keras_twin import tape_layer_gradients
from tfcnn.scratch.layers import (
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ReLU,
    SoftmaxCrossEntropy,
)

TOLERANCE = 1e-6  # the bound on the maximum relative error


# name: (C_in, N, k, stride, padding, input shape) of a float64 Conv2D case.
CONV_CASES = {
    "conv_same_s1_k3": (3, 2, 3, 1, "same", (2, 7, 8, 3)),
    "conv_same_s1_k5": (2, 4, 5, 1, "same", (2, 8, 8, 2)),
    "conv_same_s2_k4": (3, 2, 4, 2, "same", (2, 7, 8, 3)),
    "conv_same_s3_k3": (1, 3, 3, 3, "same", (1, 8, 7, 1)),
    "conv_valid_s1_k3": (3, 2, 3, 1, "valid", (2, 7, 8, 3)),
    "conv_valid_s2_k3": (2, 2, 3, 2, "valid", (2, 8, 7, 2)),
}


def _layers():
    rng = np.random.default_rng(1)
    f64 = np.float64
    convs = {
        name: (Conv2D(c_in, n, k, stride, padding, rng=rng, dtype=f64), shape)
        for name, (c_in, n, k, stride, padding, shape) in CONV_CASES.items()
    }
    return {
        **convs,
        "relu": (ReLU(), (2, 5, 4, 3)),
        "maxpool_2": (MaxPool2D(2), (2, 6, 8, 3)),
        "maxpool_2_odd": (MaxPool2D(2), (2, 7, 5, 2)),
        "maxpool_3": (MaxPool2D(3), (1, 9, 7, 2)),
        "flatten": (Flatten(), (3, 4, 2, 3)),
        "dense": (Dense(6, 5, rng=rng, dtype=f64), (4, 6)),
        "dense_glorot": (Dense(7, 3, init="glorot", rng=rng, dtype=f64), (2, 7)),
    }


LAYER_NAMES = [(name,) for name in _layers()]


class LayerGradientTest(tf.test.TestCase, parameterized.TestCase):
    def _setup(self, name):
        layer, shape = _layers()[name]
        x = np.random.default_rng(7).normal(size=shape)
        if isinstance(layer, ReLU):  # keep finite differences away from the kink at 0
            x += np.sign(x) * 0.1
        return layer, x

    @parameterized.parameters(*LAYER_NAMES)
    def test_backward_matches_finite_differences(self, name):
        layer, x = self._setup(name)
        errors = check_layer(layer, x)
        self.assertSetEqual(set(errors), {"input", *layer.params})
        for key, error in errors.items():
            self.assertLess(error, TOLERANCE, msg=f"{name} {key}")

    @parameterized.parameters(*LAYER_NAMES)
    def test_forward_and_backward_match_gradient_tape(self, name):
        layer, x = self._setup(name)
        upstream = np.random.default_rng(3).normal(size=layer.forward(x).shape)
        output = layer.forward(x, training=True)
        analytic = {"input": layer.backward(upstream), **layer.grads}
        reference = tape_layer_gradients(layer, x, upstream)
        self.assertAllClose(output, reference["output"], rtol=1e-12, atol=1e-12)
        for key in ("input", *layer.params):
            self.assertLess(
                relative_error(analytic[key], reference[key]), TOLERANCE, msg=key
            )


class LayerBehaviourTest(tf.test.TestCase):
    def test_same_padding_keeps_the_size_and_stride_divides_it(self):
        x = np.zeros((1, 28, 28, 1))
        self.assertEqual(
            Conv2D(1, 4, 5, dtype=np.float64).forward(x).shape, (1, 28, 28, 4)
        )
        self.assertEqual(Conv2D(1, 4, 5, stride=2).forward(x).shape, (1, 14, 14, 4))
        self.assertEqual(
            Conv2D(1, 4, 5, padding="valid").forward(x).shape, (1, 24, 24, 4)
        )

    def test_conv_by_hand(self):
        # A 3x3 input, a 2x2 kernel of ones, 'valid': each output is a window sum.
        conv = Conv2D(1, 1, 2, padding="valid", dtype=np.float64)
        conv.params["kernel"][...] = 1.0
        conv.params["bias"][...] = 0.5
        x = np.arange(9.0).reshape(1, 3, 3, 1)
        self.assertAllEqual(conv.forward(x)[0, :, :, 0], [[8.5, 12.5], [20.5, 24.5]])

    def test_maxpool_routes_the_gradient_to_the_argmax(self):
        x = np.array(
            [
                [1.0, 5.0, 2.0, 2.0],
                [3.0, 4.0, 7.0, 2.0],
                [0.0, 0.0, -1.0, -3.0],
                [9.0, 0.0, -2.0, -1.0],
            ]
        )[None, :, :, None]
        pool = MaxPool2D(2)
        self.assertAllEqual(
            pool.forward(x, training=True)[0, :, :, 0], [[5, 7], [9, -1]]
        )
        grad = pool.backward(np.array([[10.0, 20.0], [30.0, 40.0]])[None, :, :, None])
        expected = np.zeros((4, 4))
        expected[0, 1], expected[1, 2], expected[3, 0], expected[2, 2] = 10, 20, 30, 40
        self.assertAllEqual(grad[0, :, :, 0], expected)

    def test_maxpool_tie_goes_to_the_first_maximum_only(self):
        pool = MaxPool2D(2)
        pool.forward(np.zeros((1, 2, 2, 1)), training=True)
        grad = pool.backward(np.ones((1, 1, 1, 1)))
        self.assertAllEqual(grad[0, :, :, 0], [[1, 0], [0, 0]])

    def test_relu_gradient_is_zero_at_zero(self):
        relu = ReLU()
        relu.forward(np.array([-1.0, 0.0, 2.0]), training=True)
        self.assertAllEqual(relu.backward(np.ones(3)), [0, 0, 1])

    def test_initialisers_have_their_scale(self):
        rng = np.random.default_rng(0)
        conv = Conv2D(4, 64, 5, rng=rng, dtype=np.float64)  # fan_in 100
        self.assertNear(conv.params["kernel"].std(), np.sqrt(2 / 100), 0.003)
        dense = Dense(196, 49, init="glorot", rng=rng, dtype=np.float64)
        limit = np.sqrt(6 / (196 + 49))
        self.assertLessEqual(np.abs(dense.params["kernel"]).max(), limit)
        self.assertGreater(np.abs(dense.params["kernel"]).max(), 0.95 * limit)
        self.assertAllEqual(dense.params["bias"], np.zeros(49))

    def test_bad_arguments_are_named(self):
        with self.assertRaisesRegex(ValueError, "padding"):
            Conv2D(1, 1, 3, padding="full")
        with self.assertRaisesRegex(ValueError, "init"):
            Dense(2, 2, init="uniform")
        with self.assertRaisesRegex(ValueError, "learning_rate"):
            SGD(0.0)


class SoftmaxCrossEntropyTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(5)
        self.logits = rng.normal(size=(6, 10)) * 3
        self.one_hot = np.eye(10)[rng.integers(0, 10, 6)]

    def test_loss_matches_tensorflow(self):
        expected = tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits(self.one_hot, self.logits)
        )
        self.assertAllClose(
            SoftmaxCrossEntropy().forward(self.logits, self.one_hot), expected
        )

    def test_gradient_is_softmax_minus_label_over_n(self):
        loss = SoftmaxCrossEntropy()
        loss.forward(self.logits, self.one_hot)
        analytic = loss.backward()
        numeric = numerical_gradient(
            lambda: loss.forward(self.logits, self.one_hot), self.logits
        )
        self.assertLess(relative_error(analytic, numeric), TOLERANCE)
        logits = tf.constant(self.logits)
        with tf.GradientTape() as tape:
            tape.watch(logits)
            value = tf.reduce_mean(
                tf.nn.softmax_cross_entropy_with_logits(self.one_hot, logits)
            )
        self.assertLess(
            relative_error(analytic, tape.gradient(value, logits).numpy()), TOLERANCE
        )

    def test_large_logits_do_not_overflow(self):
        logits = np.array([[1000.0, 0.0, -1000.0]])
        self.assertAllClose(
            SoftmaxCrossEntropy().forward(logits, np.array([[0.0, 1.0, 0.0]])), 1000.0
        )


class OptimizerTest(tf.test.TestCase, parameterized.TestCase):
    def _grads(self, steps=3):
        rng = np.random.default_rng(11)
        return [[rng.normal(size=(3, 2)), rng.normal(size=2)] for _ in range(steps)]

    @parameterized.named_parameters(
        ("sgd", "sgd", lambda: keras.optimizers.SGD(0.001)),
        ("momentum", "momentum", lambda: keras.optimizers.SGD(0.001, momentum=0.9)),
        ("rmsprop", "rmsprop", lambda: keras.optimizers.RMSprop(0.001, rho=0.9)),
    )
    def test_three_steps_match_keras(self, name, make_keras):
        start = [np.ones((3, 2)), np.zeros(2)]
        ours = [p.copy() for p in start]
        optimizer = make_optimizer(name, 0.001)  # alpha and rho keep their 0.9
        variables = [keras.Variable(p, dtype="float64") for p in start]
        reference = make_keras()
        for grads in self._grads():
            optimizer.step(ours, grads)
            reference.apply_gradients(
                zip([tf.constant(g) for g in grads], variables, strict=True)
            )
        # Keras keeps the learning rate as a float32 variable (0.001 -> 0.00100000005),
        # so the updates agree to about float32's precision (relative error ~1e-7).
        for mine, theirs, before in zip(ours, variables, start, strict=True):
            self.assertLess(
                relative_error(mine - before, theirs.numpy() - before), TOLERANCE
            )

    def test_first_steps_by_hand(self):
        g = np.array([2.0])
        theta = np.array([1.0])
        SGD(0.1).step([theta], [g])
        self.assertAllClose(theta, [0.8])
        theta, momentum = np.array([1.0]), Momentum(0.1, alpha=0.5)
        momentum.step([theta], [g])  # v = -0.2
        momentum.step([theta], [g])  # v = 0.5 * -0.2 - 0.2 = -0.3
        self.assertAllClose(theta, [0.5])
        theta = np.array([1.0])
        RMSProp(0.1, rho=0.9, epsilon=1e-12).step(
            [theta], [g]
        )  # s = 0.4: step 0.1·2/√0.4
        self.assertAllClose(theta, [1.0 - 0.2 / np.sqrt(0.4)])
