"""Many small networks as one model, so that one training step trains them all.

The networks keep their own weights: the packed model reuses their layers, and
its loss is the sum of their losses, so each network's gradient, and with an
element-wise optimiser such as Adam each update, is exactly what it would be
alone on the same batches. Their first convolutions, which all read the same
image, run as one wide convolution (one call instead of one per network).
"""

from __future__ import annotations

import keras
from keras import layers, ops


class SharedInputConv(layers.Layer):
    """Several `Conv2D` layers that read the same input, run as one convolution.

    Args:
        convs: built `Conv2D` layers with the same kernel size, strides,
            padding and input channels, and no activation of their own.
    """

    def __init__(self, convs, **kwargs):
        super().__init__(**kwargs)
        first = convs[0]
        for conv in convs:
            if (conv.kernel_size, conv.strides, conv.padding) != (
                first.kernel_size,
                first.strides,
                first.padding,
            ) or conv.activation is not keras.activations.linear:
                raise ValueError(
                    f"{conv.name} differs from {first.name} in kernel size, strides, "
                    "padding or activation; pack only alike convolutions."
                )
        self.convs = list(convs)

    def call(self, x):
        first = self.convs[0]
        kernel = ops.concatenate([conv.kernel for conv in self.convs], axis=-1)
        bias = ops.concatenate([conv.bias for conv in self.convs])
        y = ops.conv(x, kernel, strides=first.strides, padding=first.padding) + bias
        outputs, start = [], 0
        for conv in self.convs:
            outputs.append(y[..., start : start + conv.filters])
            start += conv.filters
        return outputs


class PackedNetworks(keras.Model):
    """Networks that read the same image, as one model; see `pack_models`.

    Args:
        chains: one list of layers per network, the first a `Conv2D`.
    """

    def __init__(self, chains, **kwargs):
        super().__init__(**kwargs)
        self.chains = [list(chain) for chain in chains]
        groups: dict[tuple, list[int]] = {}
        for i, chain in enumerate(self.chains):
            conv = chain[0]
            key = (conv.kernel_size, conv.strides, conv.padding)
            groups.setdefault(key, []).append(i)
        self.groups = list(groups.values())
        self.shared = [
            SharedInputConv([self.chains[i][0] for i in members])
            for members in self.groups
        ]

    def call(self, x):
        firsts = [None] * len(self.chains)
        for members, shared in zip(self.groups, self.shared):
            for i, out in zip(members, shared(x)):
                firsts[i] = out
        logits = []
        for chain, y in zip(self.chains, firsts):
            for layer in chain[1:]:
                y = layer(y)
            logits.append(y)
        return ops.stack(logits, axis=1)


def pack_models(models, name: str = "packed") -> keras.Model:
    """One model whose output stacks the logits of `models`: shape (n, networks, classes).

    Each model must be a chain of layers that starts with a `Conv2D` on its
    input (as `build_shallow` and `build_deep` are); models whose first
    convolutions are alike share one `SharedInputConv`.

    Args:
        models: built logit-output models with the same input shape and
            number of classes.
        name: the packed model's name. Defaults to "packed".
    """
    if not models:
        raise ValueError("pack_models needs at least one model.")
    shapes = {tuple(m.input_shape[1:]) for m in models}
    classes = {m.output_shape[-1] for m in models}
    if len(shapes) > 1 or len(classes) > 1:
        raise ValueError(
            f"models to pack need one input shape and one number of classes, got {shapes} and {classes}."
        )
    chains = [
        [layer for layer in m.layers if not isinstance(layer, layers.InputLayer)]
        for m in models
    ]
    for model, chain in zip(models, chains):
        if not chain or not isinstance(chain[0], layers.Conv2D):
            raise ValueError(
                f"{model.name} does not start with a Conv2D; pack only convolutional chains."
            )
    packed = PackedNetworks(chains, name=name)
    packed(keras.ops.zeros((1, *shapes.pop())))
    return packed
