"""The networks benchmarked, and their description as plain layer specs.

Each network is built with the same tfcnn builder its experiment uses and is
benchmarked at that experiment's batch size and optimiser. `layer_specs`
describes a built Keras model as a list of plain dicts, from which
`tfcnn.bench.torch_nets` builds the same network in PyTorch, so that the
PyTorch side needs no TensorFlow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from tfcnn.models import build_deep, build_shallow
from tfcnn.models.cifar import build_cifar_net, normalise, whitening_kernel

# The widths of B2.4's standard network (its `Config.widths`).
CIFAR_WIDTHS = (48, 192, 192)


@dataclasses.dataclass(frozen=True)
class BenchNetwork:
    """A network to time, with the batch size and optimiser of its experiment.

    Attributes:
        name: the key of the network in `NETWORKS` and in the results.
        label: what the network is, for tables.
        build: returns the uncompiled Keras model.
        batch_size: examples per training step.
        optimizer: "adam" or "sgd".
        learning_rate: the optimiser's rate.
        dataset: the data set its experiment trains on (a `tfcnn.data`
            name), which the accuracy runs of the PyTorch settings use.
        pixel_scale: what the network's input is per pixel unit: 1/255 for
            images in [0, 1], 1 for raw pixels in [0, 255].
    """

    name: str
    label: str
    build: Callable
    batch_size: int
    optimizer: str
    learning_rate: float
    dataset: str
    pixel_scale: float


def build_cifar_bench_net():
    """B2.4's standard CIFAR-10 network, its frozen stem whitening random images.

    The stem's values do not change the cost of a step, so the kernel is
    estimated on 256 uniform random images instead of the training set.
    """
    images = np.random.default_rng(0).uniform(0, 255, (256, 32, 32, 3))
    return build_cifar_net(
        CIFAR_WIDTHS, stem_kernel=whitening_kernel(normalise(images))
    )


def deep_network(padding: str, origin: str) -> BenchNetwork:
    """The set C deep network with `padding`, as C1 trains it (batch 50, Adam 1e-4).

    Args:
        padding: "same" or "valid".
        origin: where this padding comes from, for the label.
    """
    name = f"deep_{padding}"
    return BenchNetwork(
        name,
        f"set C deep network, '{padding}' ({origin})",
        lambda: build_deep(padding=padding, name=name),
        batch_size=50,
        optimizer="adam",
        learning_rate=1e-4,
        dataset="mnist",
        pixel_scale=1 / 255,
    )


NETWORKS = {
    net.name: net
    for net in (
        deep_network("same", "the classic tutorial's: conv 32, conv 64, dense 1024"),
        deep_network("valid", "C1's: conv 32, conv 64, dense 1024"),
        BenchNetwork(
            "set_a",
            "set A network (one conv 5x5x32, stride 1, 'valid'; dense 10)",
            lambda: build_shallow(
                filters=32, kernel_size=5, strides=1, padding="valid"
            ),
            batch_size=64,
            optimizer="adam",
            learning_rate=1e-3,
            dataset="fashion_mnist",
            pixel_scale=1 / 255,
        ),
        BenchNetwork(
            "set_d",
            "set D network D1 (conv 4, conv 4, dense 49; 'same')",
            lambda: build_deep(
                filters=(4, 4), dense_units=49, padding="same", name="set_d"
            ),
            batch_size=32,
            optimizer="sgd",
            learning_rate=1e-3,
            dataset="mnist",
            pixel_scale=1 / 255,
        ),
        BenchNetwork(
            "cifar10",
            "B2.4's CIFAR-10 network (frozen whitening stem, 3 blocks of 48, 192, "
            "192 filters, batch norm, GELU; plain SGD at its peak rate)",
            build_cifar_bench_net,
            batch_size=512,
            optimizer="sgd",
            learning_rate=0.75,
            dataset="cifar10",
            pixel_scale=1.0,
        ),
    )
}


def get_network(name: str) -> BenchNetwork:
    """The benchmark network called `name` (ValueError lists the names)."""
    if name not in NETWORKS:
        raise ValueError(f"Unknown network {name!r}; choose one of {sorted(NETWORKS)}.")
    return NETWORKS[name]


def _conv_spec(layer, config: dict) -> dict:
    if config["activation"] != "linear" or config["groups"] != 1:
        raise ValueError(f"{layer.name}: only plain convolutions are supported.")
    return {
        "filters": config["filters"],
        "kernel_size": list(config["kernel_size"]),
        "strides": list(config["strides"]),
        "padding": config["padding"],
        "in_channels": int(layer.input.shape[-1]),
        "use_bias": config["use_bias"],
    }


def _dense_spec(layer, config: dict) -> dict:
    if config["activation"] != "linear":
        raise ValueError(f"{layer.name}: only linear Dense layers are supported.")
    return {
        "units": config["units"],
        "in_features": int(layer.input.shape[-1]),
        "use_bias": config["use_bias"],
    }


def _batchnorm_spec(layer, config: dict) -> dict:
    if config["axis"] not in (-1, [-1], [3], 3):
        raise ValueError(f"{layer.name}: only channel-axis batch norm is supported.")
    return {
        "channels": int(layer.input.shape[-1]),
        # Keras keeps `momentum` of the old statistics, PyTorch of the new batch.
        "momentum": config["momentum"],
        "epsilon": config["epsilon"],
        "center": config["center"],
        "scale": config["scale"],
    }


def _rescaling_spec(layer, config: dict) -> dict:
    return {
        "scale": np.ravel(config["scale"]).tolist(),
        "offset": np.ravel(config["offset"]).tolist(),
    }


def _activation_spec(layer, config: dict) -> dict:
    if config["activation"] not in ("gelu", "relu"):
        raise ValueError(f"{layer.name}: only GELU and ReLU activations are supported.")
    return {"activation": config["activation"]}


_SPECS = {
    "Conv2D": _conv_spec,
    "Dense": _dense_spec,
    "BatchNormalization": _batchnorm_spec,
    "Rescaling": _rescaling_spec,
    "Activation": _activation_spec,
    "MaxPooling2D": lambda layer, config: {"pool_size": list(config["pool_size"])},
    # PyTorch flattens (C, H, W); Keras flattens (H, W, C).
    "Flatten": lambda layer, config: {
        "input_hwc": [int(d) for d in layer.input.shape[1:]]
    },
    "ReLU": lambda layer, config: {},
    "GlobalMaxPooling2D": lambda layer, config: {},
}


def layer_specs(model) -> list[dict]:
    """The layers of a chain-shaped Keras model as plain, JSON-ready dicts.

    Supported: Conv2D (any stride, 'valid' or 'same', with or without bias),
    Dense without activation, BatchNormalization over the channels,
    Rescaling, GELU and ReLU activations, MaxPooling2D, GlobalMaxPooling2D and
    Flatten (the builders' layers). Every spec has `kind`, `name` and
    `trainable` (False for a frozen layer).
    """
    specs = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        if kind not in _SPECS:
            raise ValueError(f"{layer.name}: no PyTorch counterpart for {kind}.")
        spec = _SPECS[kind](layer, layer.get_config())
        specs.append(
            {"kind": kind, "name": layer.name, "trainable": layer.trainable, **spec}
        )
    return specs
