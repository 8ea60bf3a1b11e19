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

from tfcnn.models import build_deep, build_shallow


@dataclasses.dataclass(frozen=True)
class BenchNetwork:
    """A network to time, with the batch size and optimiser of its experiment."""

    name: str
    label: str
    build: Callable
    batch_size: int
    optimizer: str
    learning_rate: float


NETWORKS = {
    net.name: net
    for net in (
        BenchNetwork(
            "deep",
            "set C deep network (conv 32, conv 64, dense 1024; 'valid')",
            lambda: build_deep(padding="valid"),
            batch_size=50,
            optimizer="adam",
            learning_rate=1e-4,
        ),
        BenchNetwork(
            "set_a",
            "set A network (one conv 5x5x32, stride 1, 'valid'; dense 10)",
            lambda: build_shallow(
                filters=32, kernel_size=5, strides=1, padding="valid"
            ),
            batch_size=64,
            optimizer="adam",
            learning_rate=1e-3,
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
        ),
    )
}


def get_network(name: str) -> BenchNetwork:
    """The benchmark network called `name` (ValueError lists the names)."""
    if name not in NETWORKS:
        raise ValueError(f"Unknown network {name!r}; choose one of {sorted(NETWORKS)}.")
    return NETWORKS[name]


def layer_specs(model) -> list[dict]:
    """The layers of a chain-shaped Keras model as plain, JSON-ready dicts.

    Supported: Conv2D (any stride, 'valid' or 'same'), ReLU, MaxPooling2D,
    Flatten and Dense without activation (the builders' layers).
    """
    specs = []
    for layer in model.layers:
        kind = type(layer).__name__
        config = layer.get_config()
        if kind == "InputLayer":
            continue
        if kind == "Conv2D":
            if config["activation"] != "linear" or config["groups"] != 1:
                raise ValueError(
                    f"{layer.name}: only plain convolutions are supported."
                )
            spec = {
                "filters": config["filters"],
                "kernel_size": list(config["kernel_size"]),
                "strides": list(config["strides"]),
                "padding": config["padding"],
                "in_channels": int(layer.input.shape[-1]),
            }
        elif kind == "Dense":
            if config["activation"] != "linear":
                raise ValueError(
                    f"{layer.name}: only linear Dense layers are supported."
                )
            spec = {"units": config["units"], "in_features": int(layer.input.shape[-1])}
        elif kind == "MaxPooling2D":
            spec = {"pool_size": list(config["pool_size"])}
        elif kind == "Flatten":
            # PyTorch flattens (C, H, W); Keras flattens (H, W, C).
            spec = {"input_hwc": [int(d) for d in layer.input.shape[1:]]}
        elif kind == "ReLU":
            spec = {}
        else:
            raise ValueError(f"{layer.name}: no PyTorch counterpart for {kind}.")
        specs.append({"kind": kind, "name": layer.name, **spec})
    return specs
