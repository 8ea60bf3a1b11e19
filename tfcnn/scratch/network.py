"""A sequential network of NumPy layers, and the small two-conv network of set D.

    conv 4@5x5 'same' + ReLU - maxpool 2 - conv 4@5x5x4 'same' + ReLU - maxpool 2
    - flatten (7·7·4 = 196) - dense 49 + ReLU - dense 10 - softmax

The layer names are those of `tfcnn.build_deep` ("conv1", "relu1", "pool1",
..., "dense1", "relu3", "logits"), whose Keras model with `filters=(4, 4),
dense_units=49, padding="same"` is the same network (its twin, used to check
this one).
"""

from __future__ import annotations

import numpy as np

from tfcnn.scratch.layers import (
    Conv2D,
    Dense,
    Flatten,
    Layer,
    MaxPool2D,
    ReLU,
    SoftmaxCrossEntropy,
    softmax,
)

BOTTLENECK = "relu3"  # the ReLU units after dense1: the features before the logits


class Network:
    """Layers applied in order, with a softmax cross-entropy loss on top.

    Args:
        layers: the layers, first to last; the last one outputs logits.
        config: how the network was built (saved with results). Defaults to {}.
    """

    def __init__(self, layers: list[Layer], config: dict | None = None):
        names = [layer.name for layer in layers]
        if len(set(names)) != len(names):
            raise ValueError(f"layer names must be unique, got {names}.")
        self.layers = list(layers)
        self.loss = SoftmaxCrossEntropy()
        self.config = dict(config or {})

    def layer(self, name: str) -> Layer:
        """The layer called `name` (ValueError lists the names)."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer {name!r}; layers: {[x.name for x in self.layers]}.")

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """The logits for images `x` of shape (n, H, W, C)."""
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def activations(self, x: np.ndarray, names) -> dict[str, np.ndarray]:
        """The outputs of the layers in `names` for the images `x` (no caching)."""
        wanted, found = set(names), {}
        for layer in self.layers:
            x = layer.forward(x)
            if layer.name in wanted:
                found[layer.name] = x
            if len(found) == len(wanted):
                return found
        raise ValueError(f"no layers {sorted(wanted - set(found))} in this network.")

    def loss_and_gradients(self, x: np.ndarray, one_hot: np.ndarray) -> float:
        """Forward and backward pass: the mean loss; fills each layer's `grads`."""
        loss = self.loss.forward(self.forward(x, training=True), one_hot)
        grad = self.loss.backward()
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return loss

    def predict_proba(self, x: np.ndarray, batch_size: int = 250) -> np.ndarray:
        """Softmax probabilities, computed `batch_size` images at a time."""
        return np.concatenate(
            [
                softmax(self.forward(x[i : i + batch_size]))
                for i in range(0, len(x), batch_size)
            ]
        )

    def parameters(self) -> list[np.ndarray]:
        """Every weight array, in Keras' order (per layer: kernel, then bias)."""
        return [layer.params[key] for layer in self.layers for key in layer.params]

    def gradients(self) -> list[np.ndarray]:
        """The gradients of the last `loss_and_gradients`, aligned with `parameters`."""
        return [layer.grads[key] for layer in self.layers for key in layer.params]

    def parameter_names(self) -> list[str]:
        """ "layer/kernel"-style names aligned with `parameters()`."""
        return [f"{layer.name}/{key}" for layer in self.layers for key in layer.params]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of `parameters()`: what `keras.Model.set_weights` takes."""
        return [p.copy() for p in self.parameters()]

    def set_weights(self, weights) -> None:
        """Overwrites the parameters in place (shapes must match)."""
        params = self.parameters()
        if len(weights) != len(params):
            raise ValueError(
                f"expected {len(params)} weight arrays, got {len(weights)}."
            )
        for name, param, value in zip(
            self.parameter_names(), params, weights, strict=True
        ):
            value = np.asarray(value)
            if value.shape != param.shape:
                raise ValueError(
                    f"{name}: shape {value.shape} does not match {param.shape}."
                )
            param[...] = value

    def count_parameters(self) -> dict[str, int]:
        """Free parameters per layer (layers without weights give 0)."""
        return {
            layer.name: sum(p.size for p in layer.params.values())
            for layer in self.layers
        }


def build_network(
    seed: int = 0,
    input_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, int] = (4, 4),
    kernel_size: int = 5,
    dense_units: int = 49,
    num_classes: int = 10,
    dtype=np.float32,
) -> Network:
    """The two-conv network of set D, randomly initialised from `seed`.

    Kernels: He-normal (std sqrt(2/fan_in)) for the three layers followed by
    ReLU, Glorot-uniform for the logits layer; all biases 0.

    Args:
        seed: the initialisation. Defaults to 0.
        input_shape: (H, W, C). Defaults to (28, 28, 1).
        filters: kernels of the two conv layers. Defaults to (4, 4).
        kernel_size: k of both conv layers ('same' padding, stride 1). Defaults to 5.
        dense_units: width of the hidden (bottleneck) dense layer. Defaults to 49.
        num_classes: outputs. Defaults to 10.
        dtype: np.float32 for training, np.float64 for gradient checks.
            Defaults to np.float32.
    """
    height, width, channels = input_shape
    if height % 4 or width % 4:
        raise ValueError(
            f"input_shape height and width must be multiples of 4, got {input_shape}."
        )
    rng = np.random.default_rng(seed)
    c1, c2 = filters
    flat = (height // 4) * (width // 4) * c2
    layers = [
        Conv2D(
            channels,
            c1,
            kernel_size,
            rng=rng,
            dtype=dtype,
            input_gradient=False,
            name="conv1",
        ),
        ReLU("relu1"),
        MaxPool2D(2, "pool1"),
        Conv2D(c1, c2, kernel_size, rng=rng, dtype=dtype, name="conv2"),
        ReLU("relu2"),
        MaxPool2D(2, "pool2"),
        Flatten("flatten"),
        Dense(flat, dense_units, rng=rng, dtype=dtype, name="dense1"),
        ReLU("relu3"),
        Dense(
            dense_units, num_classes, init="glorot", rng=rng, dtype=dtype, name="logits"
        ),
    ]
    config = {
        "seed": seed,
        "input_shape": list(input_shape),
        "filters": list(filters),
        "kernel_size": kernel_size,
        "dense_units": dense_units,
        "num_classes": num_classes,
        "dtype": np.dtype(dtype).name,
        "init": "He-normal (conv1, conv2, dense1), Glorot-uniform (logits), biases 0",
    }
    return Network(layers, config)
