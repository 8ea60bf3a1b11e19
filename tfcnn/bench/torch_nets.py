"""The benchmark networks in plain PyTorch, built from `layer_specs` (no TensorFlow).

PyTorch works in (N, C, H, W) layout, so a Keras kernel (k_h, k_w, C_in,
C_out) becomes (C_out, C_in, k_h, k_w), and the rows of the Dense layer after a
Flatten are reordered from Keras' (H, W, C) order to PyTorch's (C, H, W).
Keras' batch norm without a learned scale (`scale=False`, as in the CIFAR
network) becomes `ShiftBatchNorm2d`, so that both have the same parameters.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class Rescale(nn.Module):
    """`x * scale + offset`, per channel (dimension 1) or for all values (Keras' Rescaling).

    Args:
        scale: one factor, or one per channel.
        offset: one offset, or one per channel.
    """

    def __init__(self, scale: list[float], offset: list[float]):
        super().__init__()
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32))
        self.register_buffer("offset", torch.tensor(offset, dtype=torch.float32))

    def forward(self, x):
        shape = (-1, 1, 1) if x.dim() == 4 and self.scale.numel() > 1 else (-1,)
        return x * self.scale.view(shape) + self.offset.view(shape)


class ShiftBatchNorm2d(nn.BatchNorm2d):
    """Batch norm that learns a shift but no scale (Keras' `scale=False`).

    Args:
        channels: the channels normalised.
        eps: added to the variance. Defaults to 1e-3 (Keras' default).
        momentum: PyTorch's momentum, the weight of the new batch's statistics
            (1 - Keras' momentum). Defaults to 0.4.
    """

    def __init__(self, channels: int, eps: float = 1e-3, momentum: float = 0.4):
        super().__init__(channels, eps=eps, momentum=momentum, affine=False)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return super().forward(x) + self.bias.view(-1, 1, 1)


class GlobalMaxPool(nn.Module):
    """The maximum over all positions of each channel: (N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return x.amax(dim=(2, 3))


def _conv(spec: dict) -> nn.Module:
    if spec["padding"] == "same" and any(s != 1 for s in spec["strides"]):
        raise ValueError(
            f"{spec['name']}: 'same' padding is only supported at stride 1."
        )
    return nn.Conv2d(
        spec["in_channels"],
        spec["filters"],
        tuple(spec["kernel_size"]),
        stride=tuple(spec["strides"]),
        padding=spec["padding"],
        bias=spec["use_bias"],
    )


def _batchnorm(spec: dict) -> nn.Module:
    momentum, eps = 1 - spec["momentum"], spec["epsilon"]
    if not spec["center"]:
        raise ValueError(
            f"{spec['name']}: batch norm without a shift is not supported."
        )
    if spec["scale"]:
        return nn.BatchNorm2d(spec["channels"], eps=eps, momentum=momentum)
    return ShiftBatchNorm2d(spec["channels"], eps=eps, momentum=momentum)


_MODULES = {
    "Conv2D": _conv,
    "Dense": lambda spec: nn.Linear(
        spec["in_features"], spec["units"], bias=spec["use_bias"]
    ),
    "BatchNormalization": _batchnorm,
    "Rescaling": lambda spec: Rescale(spec["scale"], spec["offset"]),
    "Activation": lambda spec: nn.GELU() if spec["activation"] == "gelu" else nn.ReLU(),
    "ReLU": lambda spec: nn.ReLU(),
    "MaxPooling2D": lambda spec: nn.MaxPool2d(tuple(spec["pool_size"])),
    "GlobalMaxPooling2D": lambda spec: GlobalMaxPool(),
    "Flatten": lambda spec: nn.Flatten(),
}


def torch_model(specs: list[dict]) -> nn.Sequential:
    """An `nn.Sequential` with one module per spec (see `networks.layer_specs`);
    the parameters of a frozen layer (`trainable` False) need no gradient."""
    modules = []
    for spec in specs:
        if spec["kind"] not in _MODULES:
            raise ValueError(f"{spec['name']}: no PyTorch module for {spec['kind']}.")
        module = _MODULES[spec["kind"]](spec)
        module.requires_grad_(spec.get("trainable", True))
        modules.append(module)
    return nn.Sequential(*modules)


def parameter_counts(model: nn.Module) -> dict[str, int]:
    """`{"trainable", "total"}` numbers of a model, counted as Keras counts them:
    the total includes batch norm's running statistics (Keras' non-trainable
    weights), but not PyTorch's count of batches seen nor `Rescale`'s constants."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    statistics = sum(
        m.running_mean.numel() + m.running_var.numel()
        for m in model.modules()
        if isinstance(m, nn.BatchNorm2d) and m.track_running_stats
    )
    return {"trainable": trainable, "total": trainable + frozen + statistics}


def _weight_arrays(spec: dict) -> int:
    """How many arrays of Keras' `get_weights()` belong to the layer of `spec`."""
    if spec["kind"] in ("Conv2D", "Dense"):
        return 1 + spec["use_bias"]
    if spec["kind"] == "BatchNormalization":
        return spec["scale"] + spec["center"] + 2
    return 0


def _convert_kernel(kernel: np.ndarray, spec: dict, flatten_hwc) -> np.ndarray:
    if spec["kind"] == "Conv2D":
        return kernel.transpose(3, 2, 0, 1)
    if flatten_hwc is not None:
        h, w, c = flatten_hwc
        kernel = kernel.reshape(h, w, c, -1).transpose(2, 0, 1, 3)
        kernel = kernel.reshape(h * w * c, -1)
    return kernel.T


def load_keras_weights(
    model: nn.Sequential, specs: list[dict], weights: list[np.ndarray]
) -> None:
    """Copies Keras weights (`model.get_weights()` order) into the PyTorch twin.

    Args:
        model: the output of `torch_model(specs)`.
        specs: the specs it was built from.
        weights: per layer in order, Keras' arrays: kernel (and bias) of a
            Conv2D or Dense layer; (gamma), beta, moving mean and moving
            variance of a batch norm.
    """
    remaining = list(weights)
    flatten_hwc = None
    with torch.no_grad():
        for module, spec in zip(model, specs, strict=True):
            if spec["kind"] == "Flatten":
                flatten_hwc = spec["input_hwc"]
            arrays = [remaining.pop(0) for _ in range(_weight_arrays(spec))]
            if spec["kind"] == "BatchNormalization":
                *affine, mean, variance = arrays
                targets = ([module.weight] if spec["scale"] else []) + [module.bias]
                for target, array in zip(targets, affine, strict=True):
                    target.copy_(torch.from_numpy(array))
                module.running_mean.copy_(torch.from_numpy(mean))
                module.running_var.copy_(torch.from_numpy(variance))
            elif arrays:
                kernel = _convert_kernel(arrays[0], spec, flatten_hwc)
                flatten_hwc = None
                module.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel)))
                if spec["use_bias"]:
                    module.bias.copy_(torch.from_numpy(arrays[1]))
    if remaining:
        raise ValueError(f"{len(remaining)} weight arrays left over: wrong specs?")


def make_optimizer(name: str, params, learning_rate: float) -> torch.optim.Optimizer:
    """Adam (with Keras' epsilon, 1e-7) or plain SGD, as in the Keras runs."""
    if name == "adam":
        return torch.optim.Adam(params, lr=learning_rate, eps=1e-7)
    if name == "sgd":
        return torch.optim.SGD(params, lr=learning_rate)
    raise ValueError(f"Unknown optimizer {name!r}; choose 'adam' or 'sgd'.")
