"""The NumPy network's twin in Keras/TensorFlow, used only to check it.

Nothing in the NumPy network imports this module. It builds the same network
with `tfcnn.build_deep` and the same weights, and computes reference outputs
and gradients with TensorFlow's automatic differentiation (`tf.GradientTape`),
against which the hand-written backward passes are tested.
"""

from __future__ import annotations

import contextlib
import time

import keras
import numpy as np
import tensorflow as tf

from tfcnn.models import build_deep
from tfcnn.scratch.layers import Conv2D, Dense, Flatten, Layer, MaxPool2D, ReLU
from tfcnn.scratch.network import Network


@contextlib.contextmanager
def keras_floatx(dtype: str):
    """Temporarily sets Keras' default float type and dtype policy (e.g. "float64").

    Both are needed: Keras caches a global dtype policy the first time a layer
    is built, after which `set_floatx` alone no longer changes new layers.
    """
    previous_floatx, previous_policy = (
        keras.config.floatx(),
        keras.config.dtype_policy(),
    )
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(previous_floatx)
        keras.config.set_dtype_policy(previous_policy)


def keras_twin(network: Network) -> keras.Model:
    """The Keras model of `network` (from `build_network`): same weights and dtype."""
    cfg = network.config
    with keras_floatx(cfg.get("dtype", "float32")):
        model = build_deep(
            filters=tuple(cfg["filters"]),
            dense_units=cfg["dense_units"],
            kernel_size=cfg["kernel_size"],
            padding="same",
            pool_size=2,
            num_classes=cfg["num_classes"],
            input_shape=tuple(cfg["input_shape"]),
            name="keras_twin",
        )
    model.set_weights(network.get_weights())
    return model


def _tf_forward(layer: Layer, x, params: dict):
    """The layer's forward pass written with TensorFlow ops."""
    if isinstance(layer, Conv2D):
        y = tf.nn.conv2d(x, params["kernel"], layer.stride, layer.padding.upper())
        return y + params["bias"]
    if isinstance(layer, ReLU):
        return tf.nn.relu(x)
    if isinstance(layer, MaxPool2D):
        return tf.nn.max_pool2d(x, layer.pool_size, layer.pool_size, "VALID")
    if isinstance(layer, Flatten):
        return tf.reshape(x, (tf.shape(x)[0], -1))
    if isinstance(layer, Dense):
        return x @ params["kernel"] + params["bias"]
    raise ValueError(f"no TensorFlow reference for {type(layer).__name__}.")


def tape_layer_gradients(layer: Layer, x: np.ndarray, upstream: np.ndarray) -> dict:
    """d(Σ y ⊙ upstream)/d(input and each parameter) by `tf.GradientTape`.

    Returns:
        {"output": y, "input": dL/dx, "<param>": dL/dparam, ...} as NumPy arrays.
    """
    x_tf = tf.constant(x)
    params = {key: tf.constant(value) for key, value in layer.params.items()}
    with tf.GradientTape() as tape:
        tape.watch([x_tf, *params.values()])
        y = _tf_forward(layer, x_tf, params)
        scalar = tf.reduce_sum(y * tf.constant(upstream))
    grads = tape.gradient(scalar, {"input": x_tf, **params})
    return {"output": y.numpy(), **{key: g.numpy() for key, g in grads.items()}}


def tape_network_gradients(model: keras.Model, x: np.ndarray, one_hot: np.ndarray):
    """The mean softmax cross-entropy of `model` and its gradients (in weight order)."""
    with tf.GradientTape() as tape:
        logits = model(tf.constant(x), training=True)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(one_hot, logits))
    grads = tape.gradient(loss, model.trainable_weights)
    return float(loss), [g.numpy() for g in grads]


class _EpochTimer(keras.callbacks.Callback):
    """Wall and process CPU time of every epoch of `fit`."""

    def on_train_begin(self, logs=None):
        self.seconds, self.cpu_seconds = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = (time.perf_counter(), time.process_time())

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start[0])
        self.cpu_seconds.append(time.process_time() - self._start[1])


def keras_epoch_seconds(
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    epochs: int = 4,
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> dict:
    """Seconds per epoch of `fit` on the Keras twin of `network` (SGD, one-hot CE).

    Args:
        network: the NumPy network whose twin (same weights) is trained.
        x: training images.
        y: their integer labels.
        batch_size: images per step.
        epochs: epochs to time; the first also traces and compiles the step
            function and is reported apart. Defaults to 4.
        learning_rate: SGD's η. Defaults to 1e-3.
        seed: the shuffling seed. Defaults to 0.

    Returns:
        {"epoch_seconds": [...], "epoch_cpu_seconds": [...] (every epoch, wall
        and process CPU time), "jit_compile": bool}.
    """
    keras.utils.set_random_seed(seed)
    model = keras_twin(network)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    timer = _EpochTimer()
    targets = np.eye(10, dtype=x.dtype)[y]
    model.fit(
        x,
        targets,
        batch_size=batch_size,
        epochs=epochs,
        shuffle=True,
        verbose=0,
        callbacks=[timer],
    )
    return {
        "epoch_seconds": timer.seconds,
        "epoch_cpu_seconds": timer.cpu_seconds,
        "jit_compile": bool(model.jit_compile),
    }
