"""Floating-point operations of one training step, counted layer by layer by formula.

A multiply-add (MAC) is 2 FLOPs. For a layer whose forward pass does M MACs
per batch (a Conv2D: B·H_out·W_out·C_out·k_h·k_w·C_in/groups; a Dense:
B·n_in·n_out), one training step does

- forward: 2M, plus one addition per output for the bias;
- backward to the input: 2M (the transposed product, over the same MAC
  pairs), skipped for the first layer with weights, whose input (the images)
  needs no gradient;
- backward to the weights: 2M, plus, for the bias, the sum of the output
  gradient over the batch and positions (outputs − C_out additions).

So a step costs about 3x the forward FLOPs. A frozen layer (`trainable`
False) needs no weight gradient, and no layer before the first trainable one
needs an input gradient. Pooling, activations, batch norm, rescaling, the
loss and the optimiser's update are not counted: they compare or touch each
value a few times and are a small share of the work (the tests check that
share for the deep network).
The counts agree with TensorFlow's own per-op FLOP registry (what
`tf.profiler` uses); see `profiler_flops`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

WEIGHTED = ("Conv2D", "Dense")
# Layers whose few operations per value are not counted.
UNCOUNTED = (
    "InputLayer",
    "ReLU",
    "Activation",
    "MaxPooling2D",
    "GlobalMaxPooling2D",
    "Flatten",
    "Dropout",
    "BatchNormalization",
    "Rescaling",
)


@dataclasses.dataclass(frozen=True)
class LayerFlops:
    """FLOPs of one layer in one training step of a batch."""

    name: str
    kind: str
    macs: int  # forward multiply-adds
    forward: int
    backward_input: int
    backward_weights: int

    @property
    def total(self) -> int:
        return self.forward + self.backward_input + self.backward_weights


def _shape(tensor_shape, batch_size: int) -> tuple[int, ...]:
    return (batch_size, *(int(d) for d in tensor_shape[1:]))


def layer_flops(
    model, batch_size: int, input_gradient: bool = False
) -> list[LayerFlops]:
    """The FLOPs of every Conv2D and Dense layer of `model` for a batch.

    Args:
        model: a built Keras model (a chain of layers).
        batch_size: examples per step.
        input_gradient: also count the gradient of the loss with respect to
            the images (training does not need it), and so every layer's
            input gradient. Defaults to False.

    Returns:
        One `LayerFlops` per Conv2D/Dense layer, in order.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    rows, needs_input_gradient = [], input_gradient
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in WEIGHTED:
            if kind not in UNCOUNTED:
                raise ValueError(
                    f"layer {layer.name!r} ({kind}) has no FLOP formula; "
                    f"supported: {WEIGHTED} and weightless shape/activation layers."
                )
            continue
        out = _shape(layer.output.shape, batch_size)
        outputs = int(np.prod(out))
        if kind == "Conv2D":
            k_h, k_w, c_in_per_group, _ = (int(d) for d in layer.kernel.shape)
            macs = outputs * k_h * k_w * c_in_per_group
        else:
            macs = outputs * int(layer.kernel.shape[0])
        bias = layer.bias is not None
        rows.append(
            LayerFlops(
                name=layer.name,
                kind=kind,
                macs=macs,
                forward=2 * macs + (outputs if bias else 0),
                backward_input=2 * macs if needs_input_gradient else 0,
                backward_weights=(
                    2 * macs + (outputs - out[-1] if bias else 0)
                    if layer.trainable
                    else 0
                ),
            )
        )
        needs_input_gradient = needs_input_gradient or layer.trainable
    return rows


def training_step_flops(model, batch_size: int) -> dict:
    """Total FLOPs of one training step and their split, with a per-layer table.

    Args:
        model: a built Keras model.
        batch_size: examples per step.

    Returns:
        `{"forward", "backward", "total", "per_example", "table"}` where
        `table` is a `{"columns", "rows"}` table (one row per layer and a total).
    """
    rows = layer_flops(model, batch_size)
    forward = sum(r.forward for r in rows)
    backward = sum(r.backward_input + r.backward_weights for r in rows)
    table_rows = [
        [r.name, r.kind, f"{r.macs // batch_size:,}", f"{r.total / 1e6:,.1f}"]
        for r in rows
    ]
    table_rows.append(
        [
            "**total**",
            "",
            f"{sum(r.macs for r in rows) // batch_size:,}",
            f"{(forward + backward) / 1e6:,.1f}",
        ]
    )
    return {
        "forward": forward,
        "backward": backward,
        "total": forward + backward,
        "per_example": (forward + backward) / batch_size,
        "table": {
            "columns": [
                "layer",
                "type",
                "forward MACs per image",
                f"MFLOPs per training step (batch {batch_size})",
            ],
            "rows": table_rows,
        },
    }


def profiler_flops(model, batch_size: int, input_gradient: bool = False) -> dict:
    """FLOPs per op type of a traced training step, by TensorFlow's FLOP registry.

    Traces loss and gradients (with respect to the weights, and the images if
    `input_gradient`) into a graph with a fixed batch size and sums, per op
    type, the statistics that TensorFlow registers for `tf.profiler`. The graph
    is taken before TensorFlow's optimiser prunes unused ops, so ops whose
    result is never used are counted too.

    Note that the registry's formula for the two backward convolution ops
    counts positions of the layer's *input*, which equals the exact count only
    for 'same' padding at stride 1.

    Args:
        model: a built Keras model with logit outputs.
        batch_size: examples per step.
        input_gradient: also differentiate with respect to the images.
            Defaults to False.

    Returns:
        `{op_type: flops}` for every op type with a nonzero count.
    """
    import tensorflow as tf
    from tensorflow.python.framework import ops as tf_ops
    from tensorflow.python.profiler.internal import flops_registry  # noqa: F401

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits = model(x, training=True)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)
            )
        sources = [*model.trainable_weights, *([x] if input_gradient else [])]
        return tape.gradient(loss, sources)

    graph = step.get_concrete_function(
        tf.TensorSpec((batch_size, *model.input_shape[1:]), tf.float32),
        tf.TensorSpec((batch_size,), tf.int32),
    ).graph
    counts: dict[str, float] = {}
    level = tf.get_logger().level
    tf.get_logger().setLevel("ERROR")  # the registry uses deprecated TF1 helpers
    try:
        for op in graph.get_operations():
            try:
                stats = tf_ops.get_stats_for_node_def(graph, op.node_def, "flops")
            except (ValueError, TypeError):
                continue
            if stats.value:
                counts[op.type] = counts.get(op.type, 0) + int(stats.value)
    finally:
        tf.get_logger().setLevel(level)
    return counts
