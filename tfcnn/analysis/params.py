"""Counting a model's free parameters by formula, layer by layer, with the steps."""

from __future__ import annotations

import dataclasses
import math

import keras
from keras import layers

# Layers with no trainable weights: pooling, reshaping, activations, dropout.
PARAMETER_FREE = (
    layers.InputLayer,
    layers.MaxPooling2D,
    layers.AveragePooling2D,
    layers.Flatten,
    layers.ReLU,
    layers.Activation,
    layers.Dropout,
    layers.Identity,
    layers.Reshape,
    layers.GlobalAveragePooling2D,
    layers.GlobalMaxPooling2D,
    layers.Concatenate,
    layers.Add,
    layers.ZeroPadding2D,
    layers.Cropping2D,
    layers.Softmax,
    layers.RandomFlip,
    layers.RandomCrop,
    layers.RandomTranslation,
    layers.Rescaling,
)


@dataclasses.dataclass(frozen=True)
class ParamRow:
    """One layer's count: the formula, the numbers put in, and the result."""

    layer: str
    kind: str
    formula: str
    numbers: str
    params: int


def _channels(layer) -> int:
    return int(layer.input.shape[-1])


def _product_row(layer, kind: str, terms: list, bias_term: list) -> ParamRow:
    """A row whose count is a sum of products of named sizes.

    Args:
        layer: the layer.
        kind: its type, as shown.
        terms: the weight terms, each a list of `(symbol, size)` factors.
        bias_term: the biases' term, counted when the layer uses biases.
    """
    if layer.use_bias:
        terms = [*terms, bias_term]
    formula = " + ".join("·".join(symbol for symbol, _ in term) for term in terms)
    numbers = " + ".join("·".join(str(size) for _, size in term) for term in terms)
    total = sum(math.prod(size for _, size in term) for term in terms)
    return ParamRow(layer.name, kind, formula, numbers, total)


def _conv(layer) -> ParamRow:
    kh, kw = layer.kernel_size
    n = layer.filters
    kernel = [("k_h", kh), ("k_w", kw), ("C_in", _channels(layer)), ("N", n)]
    return _product_row(layer, "Conv2D", [kernel], [("N", n)])


def _dense(layer) -> ParamRow:
    d_out = layer.units
    weights = [("d_in", _channels(layer)), ("d_out", d_out)]
    return _product_row(layer, "Dense", [weights], [("d_out", d_out)])


def _depthwise(layer) -> ParamRow:
    kh, kw = layer.kernel_size
    c, m = _channels(layer), layer.depth_multiplier
    kernel = [("k_h", kh), ("k_w", kw), ("C", c), ("m", m)]
    return _product_row(layer, "DepthwiseConv2D", [kernel], [("C", c), ("m", m)])


def _separable(layer) -> ParamRow:
    kh, kw = layer.kernel_size
    c, m, n = _channels(layer), layer.depth_multiplier, layer.filters
    depthwise = [("k_h", kh), ("k_w", kw), ("C", c), ("m", m)]
    pointwise = [("C", c), ("m", m), ("N", n)]
    return _product_row(layer, "SeparableConv2D", [depthwise, pointwise], [("N", n)])


def _batchnorm(layer) -> ParamRow:
    c = _channels(layer)
    # γ (if `scale`) and β (if `center`) are trained; the moving mean and
    # variance are not, but Keras' count_params() includes them, so they count here.
    per_channel = 2 + int(layer.scale) + int(layer.center)
    return ParamRow(
        layer.name,
        "BatchNormalization",
        f"{per_channel}·C (γ/β if used, moving mean, moving var)",
        f"{per_channel}·{c}",
        per_channel * c,
    )


RULES = {
    layers.SeparableConv2D: _separable,
    layers.DepthwiseConv2D: _depthwise,
    layers.Conv2D: _conv,
    layers.Dense: _dense,
    layers.BatchNormalization: _batchnorm,
}


def count_parameters(model: keras.Model) -> list[ParamRow]:
    """The parameter count of each layer of `model`, by formula (not from its weights).

    Raises:
        ValueError: a layer type with no known formula (the message names it).
    """
    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            rows += count_parameters(layer)
            continue
        rule = next((fn for cls, fn in RULES.items() if isinstance(layer, cls)), None)
        if rule is not None:
            rows.append(rule(layer))
        elif isinstance(layer, PARAMETER_FREE):
            rows.append(ParamRow(layer.name, type(layer).__name__, "no weights", "", 0))
        else:
            raise ValueError(
                f"no parameter formula for layer '{layer.name}' ({type(layer).__name__}); "
                "add one to RULES in tfcnn/analysis/params.py."
            )
    return rows


def total_parameters(model: keras.Model) -> int:
    """The sum of `count_parameters(model)`."""
    return sum(row.params for row in count_parameters(model))


def parameter_table(model: keras.Model, with_shapes: bool = True) -> dict:
    """The steps as a `{"columns", "rows"}` table for a site page, with a total row."""
    columns = ["layer", "output shape", "formula", "numbers", "parameters"]
    rows = []
    for row in count_parameters(model):
        shape = model.get_layer(row.layer).output.shape if with_shapes else ""
        shape_text = "×".join(str(d) for d in tuple(shape)[1:]) if with_shapes else ""
        rows.append(
            [
                f"{row.layer} ({row.kind})",
                shape_text,
                row.formula,
                row.numbers,
                f"{row.params:,}",
            ]
        )
    rows.append(["**total**", "", "", "", f"**{total_parameters(model):,}**"])
    return {"columns": columns, "rows": rows}
