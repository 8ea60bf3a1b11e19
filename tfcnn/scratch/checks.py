"""The numbers behind the NumPy network's correctness: parameter counts, gradients.

Everything here runs in float64 on small inputs; the tests assert the same
bounds, this module only records the measured errors for the site.
"""

from __future__ import annotations

import keras
import numpy as np

from tfcnn.analysis.params import parameter_table
from tfcnn.scratch.gradcheck import check_layer, check_network, relative_error
from tfcnn.scratch.keras_twin import (
    keras_floatx,
    keras_twin,
    tape_layer_gradients,
    tape_network_gradients,
)
from tfcnn.scratch.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from tfcnn.scratch.network import build_network
from tfcnn.scratch.optimizers import make_optimizer
from tfcnn.scratch.train import one_hot


def _count_row(layer) -> tuple[str, str]:
    """(formula, numbers) of a layer's parameter count, read from its kernel's shape."""
    if isinstance(layer, Conv2D):
        k, _, c_in, n = layer.params["kernel"].shape
        return "k·k·C_in·N + N", f"{k}·{k}·{c_in}·{n} + {n}"
    if isinstance(layer, Dense):
        d_in, d_out = layer.params["kernel"].shape
        return "d_in·d_out + d_out", f"{d_in}·{d_out} + {d_out}"
    return "no weights", ""


def _init_row(layer) -> list:
    """How a layer's kernel was drawn: scheme, the scale it implies, the seed-0 std."""
    kernel = layer.params["kernel"]
    fan_in = int(np.prod(kernel.shape[:-1]))
    fan_out = int(np.prod(kernel.shape[:-2])) * kernel.shape[-1]
    if layer.init == "he":
        scheme, target = f"He normal: std = √(2/{fan_in})", np.sqrt(2 / fan_in)
    else:
        limit = np.sqrt(6 / (fan_in + fan_out))
        scheme = f"Glorot uniform: ±√(6/({fan_in}+{fan_out})) = ±{limit:.3f}"
        target = limit / np.sqrt(3)  # the std of U(-a, a) is a/√3
    return [layer.name, scheme, f"{target:.3f}", f"{kernel.std():.3f}"]


def architecture(seed: int = 0) -> dict:
    """`build_network(seed)` layer by layer (shapes, parameters, initialisation) and
    its Keras twin's parameter count."""
    network = build_network(seed=seed)
    x = np.zeros((1, 28, 28, 1), np.float32)
    rows, counts = [["input", "28×28×1", "", "", 0]], network.count_parameters()
    for layer in network.layers:
        x = layer.forward(x)
        shape = "×".join(str(d) for d in x.shape[1:])
        name = f"{layer.name} ({type(layer).__name__})"
        rows.append([name, shape, *_count_row(layer), counts[layer.name]])
    total = sum(counts.values())
    rows.append(["**total**", "", "", "", total])
    twin = keras_twin(network)
    init_rows = [_init_row(layer) for layer in network.layers if layer.params]
    return {
        "table": {
            "columns": ["layer", "output shape", "formula", "numbers", "parameters"],
            "rows": rows,
        },
        "init": {
            "columns": [
                "layer",
                "kernel drawn from",
                "its std",
                f"std drawn (seed {seed})",
            ],
            "rows": init_rows,
        },
        "total_parameters": total,
        "parameters": {name: n for name, n in counts.items() if n},
        "conv_parameters": counts["conv1"] + counts["conv2"],
        "keras_count_params": int(twin.count_params()),
        "keras_table": parameter_table(twin),
        "network": network.config,
    }


def _layer_cases():
    rng = np.random.default_rng(0)
    f64 = np.float64
    return [
        (
            "Conv2D 5×5, 1→4, same, stride 1",
            Conv2D(1, 4, 5, rng=rng, dtype=f64),
            (2, 8, 8, 1),
        ),
        (
            "Conv2D 5×5, 4→4, same, stride 1",
            Conv2D(4, 4, 5, rng=rng, dtype=f64),
            (2, 6, 6, 4),
        ),
        (
            "Conv2D 3×3, 3→2, same, stride 2",
            Conv2D(3, 2, 3, 2, rng=rng, dtype=f64),
            (2, 7, 8, 3),
        ),
        ("ReLU", ReLU(), (2, 6, 6, 4)),
        ("MaxPool2D 2×2/2", MaxPool2D(2), (2, 6, 6, 4)),
        ("Flatten", Flatten(), (2, 3, 3, 4)),
        ("Dense 36→7", Dense(36, 7, rng=rng, dtype=f64), (2, 36)),
    ]


def gradient_checks(seed: int = 0, learning_rate: float = 1e-3) -> dict:
    """Maximum relative errors of every hand-written gradient (float64).

    Args:
        seed: the inputs, upstream gradients and network weights. Defaults to 0.
        learning_rate: η of the one SGD step compared with Keras'. Defaults to 1e-3.

    Returns:
        {"layers": table, "network": table, "twin": {...}, "max_error": float}; an
        error is max|a - b| / max(max|a|, max|b|) (`relative_error`).
    """
    rng = np.random.default_rng(seed)
    layer_rows = []
    for label, layer, shape in _layer_cases():
        x = rng.normal(size=shape)
        if isinstance(layer, ReLU):
            x += np.sign(x) * 0.1  # away from the kink, where the derivative jumps
        fd = check_layer(layer, x, seed)
        upstream = rng.normal(size=layer.forward(x).shape)
        layer.forward(x, training=True)
        analytic = {"input": layer.backward(upstream), **layer.grads}
        tape = tape_layer_gradients(layer, x, upstream)
        for key in ("input", *layer.params):
            layer_rows.append(
                [label, f"dL/d{key}", fd[key], relative_error(analytic[key], tape[key])]
            )
    network = build_network(seed=seed, dtype=np.float64)
    x = rng.random((4, 28, 28, 1))
    y = one_hot(rng.integers(0, 10, 4), dtype=np.float64)
    fd = check_network(network, x, y, entries_per_array=60, seed=seed)
    twin = keras_twin(network)
    loss = network.loss_and_gradients(x, y)
    tape_loss, tape_grads = tape_network_gradients(twin, x, y)
    network_rows = [
        [name, fd[name], relative_error(mine, theirs)]
        for name, mine, theirs in zip(
            network.parameter_names(), network.gradients(), tape_grads, strict=True
        )
    ]
    forward_error = relative_error(network.forward(x), twin(x).numpy())
    # One SGD step in both, compared update by update.
    before = network.get_weights()
    with keras_floatx("float64"):
        twin.compile(
            optimizer=keras.optimizers.SGD(learning_rate),
            loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        )
    twin.train_on_batch(x, y)
    make_optimizer("sgd", learning_rate).step(network.parameters(), network.gradients())
    step_error = max(
        relative_error(mine - start, theirs - start)
        for mine, theirs, start in zip(
            network.parameters(), twin.get_weights(), before, strict=True
        )
    )
    errors = [r[2] for r in layer_rows] + [r[3] for r in layer_rows]
    errors += [r[1] for r in network_rows] + [r[2] for r in network_rows]
    fmt = "{:.1e}".format
    return {
        "layers": {
            "columns": [
                "layer",
                "gradient",
                "vs finite differences",
                "vs GradientTape",
            ],
            "rows": [[a, b, fmt(c), fmt(d)] for a, b, c, d in layer_rows],
        },
        "network": {
            "columns": [
                "weights",
                "vs finite differences (60 entries)",
                "vs GradientTape",
            ],
            "rows": [[a, fmt(b), fmt(c)] for a, b, c in network_rows],
        },
        "twin": {
            "loss": loss,
            "keras_loss": tape_loss,
            "forward_error": forward_error,
            "first_sgd_step_error": step_error,
        },
        "max_error": max(errors),
    }
