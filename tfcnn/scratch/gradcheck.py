"""Checking hand-written gradients against central finite differences (NumPy only).

For a scalar f(θ), the central difference (f(θ + h e_i) - f(θ - h e_i)) / 2h has
an error of order h² f''' plus rounding of order ε_machine |f| / h; in float64
h = 1e-6 balances the two at about 1e-10 relative, far below the 1e-6 the
checks demand. A layer with output y is checked through f = Σ y ⊙ G for a
random fixed G, whose gradient is exactly what `backward(G)` returns.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tfcnn.scratch.layers import Layer
from tfcnn.scratch.network import Network


def relative_error(computed: np.ndarray, reference: np.ndarray) -> float:
    """max |a - b| / max(max |a|, max |b|): 0 if identical, ~1 for unrelated arrays.

    Measured against the largest entry (not entry by entry), so entries that
    are zero in both arrays, or tiny, cannot blow it up.
    """
    computed, reference = np.asarray(computed), np.asarray(reference)
    if computed.shape != reference.shape:
        raise ValueError(f"shapes differ: {computed.shape} vs {reference.shape}.")
    scale = max(np.abs(computed).max(), np.abs(reference).max())
    return 0.0 if scale == 0 else float(np.abs(computed - reference).max() / scale)


def numerical_gradient(
    f: Callable[[], float], array: np.ndarray, indices=None, step: float = 1e-6
) -> np.ndarray:
    """Central differences of `f()` with respect to entries of `array` (changed in place
    and restored).

    Args:
        f: the scalar function; it reads `array`.
        array: the float64 array to perturb.
        indices: flat indices to differentiate at; None for all. Defaults to None.
        step: h. Defaults to 1e-6.

    Returns:
        The partials at `indices` (flat), or of every entry shaped like `array`.
    """
    if array.dtype != np.float64:
        raise ValueError(
            f"finite differences need float64, got array of {array.dtype}."
        )
    flat = array.reshape(-1)  # a view: writing it perturbs `array`
    chosen = np.arange(flat.size) if indices is None else np.asarray(indices)
    partials = np.empty(len(chosen))
    for n, i in enumerate(chosen):
        original = flat[i]
        flat[i] = original + step
        up = f()
        flat[i] = original - step
        down = f()
        flat[i] = original
        partials[n] = (up - down) / (2 * step)
    return partials.reshape(array.shape) if indices is None else partials


def check_layer(layer: Layer, x: np.ndarray, seed: int = 0, step: float = 1e-6) -> dict:
    """Relative errors of `layer.backward` against finite differences, per array.

    Args:
        layer: a float64 layer.
        x: a float64 input.
        seed: draws the upstream gradient G. Defaults to 0.
        step: h. Defaults to 1e-6.

    Returns:
        {"input": error, "<param>": error, ...}.
    """
    upstream = np.random.default_rng(seed).normal(size=layer.forward(x).shape)
    layer.forward(x, training=True)
    analytic = {
        "input": layer.backward(upstream),
        **{k: g.copy() for k, g in layer.grads.items()},
    }
    if analytic["input"] is None:
        raise ValueError(f"layer {layer.name!r} was built with input_gradient=False.")

    def f() -> float:
        return float((layer.forward(x) * upstream).sum())

    arrays = {"input": x, **layer.params}
    return {
        key: relative_error(
            analytic[key], numerical_gradient(f, arrays[key], step=step)
        )
        for key in arrays
    }


def check_network(
    network: Network,
    x: np.ndarray,
    one_hot: np.ndarray,
    entries_per_array: int = 60,
    seed: int = 0,
    step: float = 1e-6,
) -> dict:
    """Relative errors of the network's loss gradients against finite differences.

    Args:
        network: a float64 network.
        x: a float64 batch.
        one_hot: its one-hot labels.
        entries_per_array: entries of each weight array checked, drawn at
            random (all entries of smaller arrays). Defaults to 60.
        seed: the draw of entries. Defaults to 0.
        step: h. Defaults to 1e-6.

    Returns:
        {"conv1/kernel": error, ...} for every weight array.
    """
    network.loss_and_gradients(x, one_hot)
    analytic = [g.copy() for g in network.gradients()]
    rng = np.random.default_rng(seed)

    def f() -> float:
        return network.loss.forward(network.forward(x), one_hot)

    errors = {}
    for name, param, grad in zip(
        network.parameter_names(), network.parameters(), analytic, strict=True
    ):
        count = min(entries_per_array, param.size)
        chosen = np.sort(rng.choice(param.size, size=count, replace=False))
        numeric = numerical_gradient(f, param, chosen, step)
        errors[name] = relative_error(grad.reshape(-1)[chosen], numeric)
    return errors
