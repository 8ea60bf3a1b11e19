"""The benchmark networks in plain PyTorch, built from `layer_specs` (no TensorFlow).

PyTorch works in (N, C, H, W) layout, so a Keras kernel (k_h, k_w, C_in,
C_out) becomes (C_out, C_in, k_h, k_w), and the rows of the Dense layer after a
Flatten are reordered from Keras' (H, W, C) order to PyTorch's (C, H, W).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def torch_model(specs: list[dict]) -> nn.Sequential:
    """An `nn.Sequential` with one module per spec (see `networks.layer_specs`)."""
    modules = []
    for spec in specs:
        kind = spec["kind"]
        if kind == "Conv2D":
            if spec["padding"] == "same" and any(s != 1 for s in spec["strides"]):
                raise ValueError(
                    f"{spec['name']}: 'same' padding is only supported at stride 1."
                )
            module = nn.Conv2d(
                spec["in_channels"],
                spec["filters"],
                tuple(spec["kernel_size"]),
                stride=tuple(spec["strides"]),
                padding=spec["padding"],
            )
        elif kind == "Dense":
            module = nn.Linear(spec["in_features"], spec["units"])
        elif kind == "ReLU":
            module = nn.ReLU()
        elif kind == "MaxPooling2D":
            module = nn.MaxPool2d(tuple(spec["pool_size"]))
        elif kind == "Flatten":
            module = nn.Flatten()
        else:
            raise ValueError(f"{spec['name']}: no PyTorch module for {kind}.")
        modules.append(module)
    return nn.Sequential(*modules)


def load_keras_weights(
    model: nn.Sequential, specs: list[dict], weights: list[np.ndarray]
) -> None:
    """Copies Keras weights (`model.get_weights()` order) into the PyTorch twin.

    Args:
        model: the output of `torch_model(specs)`.
        specs: the specs it was built from.
        weights: kernel, bias, kernel, bias, ... of the Keras model.
    """
    remaining = list(weights)
    flatten_hwc = None
    with torch.no_grad():
        for module, spec in zip(model, specs, strict=True):
            if spec["kind"] == "Flatten":
                flatten_hwc = spec["input_hwc"]
            if spec["kind"] not in ("Conv2D", "Dense"):
                continue
            kernel, bias = remaining.pop(0), remaining.pop(0)
            if spec["kind"] == "Conv2D":
                kernel = kernel.transpose(3, 2, 0, 1)
            else:
                if flatten_hwc is not None:
                    h, w, c = flatten_hwc
                    kernel = kernel.reshape(h, w, c, -1).transpose(2, 0, 1, 3)
                    kernel = kernel.reshape(h * w * c, -1)
                    flatten_hwc = None
                kernel = kernel.T
            module.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel)))
            module.bias.copy_(torch.from_numpy(bias))
    if remaining:
        raise ValueError(f"{len(remaining)} weight arrays left over: wrong specs?")


def make_optimizer(name: str, params, learning_rate: float) -> torch.optim.Optimizer:
    """Adam (with Keras' epsilon, 1e-7) or plain SGD, as in the Keras runs."""
    if name == "adam":
        return torch.optim.Adam(params, lr=learning_rate, eps=1e-7)
    if name == "sgd":
        return torch.optim.SGD(params, lr=learning_rate)
    raise ValueError(f"Unknown optimizer {name!r}; choose 'adam' or 'sgd'.")
