"""Counting a model's free parameters by formula, layer by layer, with the steps."""

from __future__ import annotations

import dataclasses

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


def _conv(layer) -> ParamRow:
    kh, kw = layer.kernel_size
    c_in, n = _channels(layer), layer.filters
    bias = layer.use_bias
    formula = "k_h·k_w·C_in·N" + (" + N" if bias else "")
    numbers = f"{kh}·{kw}·{c_in}·{n}" + (f" + {n}" if bias else "")
    return ParamRow(
        layer.name, "Conv2D", formula, numbers, kh * kw * c_in * n + (n if bias else 0)
    )


def _dense(layer) -> ParamRow:
    d_in, d_out = _channels(layer), layer.units
    bias = layer.use_bias
    formula = "d_in·d_out" + (" + d_out" if bias else "")
    numbers = f"{d_in}·{d_out}" + (f" + {d_out}" if bias else "")
    return ParamRow(
        layer.name, "Dense", formula, numbers, d_in * d_out + (d_out if bias else 0)
    )


def _depthwise(layer) -> ParamRow:
    kh, kw = layer.kernel_size
    c, m = _channels(layer), layer.depth_multiplier
    bias = layer.use_bias
    formula = "k_h·k_w·C·m" + (" + C·m" if bias else "")
    numbers = f"{kh}·{kw}·{c}·{m}" + (f" + {c}·{m}" if bias else "")
    return ParamRow(
        layer.name,
        "DepthwiseConv2D",
        formula,
        numbers,
        kh * kw * c * m + (c * m if bias else 0),
    )


def _separable(layer) -> ParamRow:
    kh, kw = layer.kernel_size
    c, m, n = _channels(layer), layer.depth_multiplier, layer.filters
    bias = layer.use_bias
    formula = "k_h·k_w·C·m + C·m·N" + (" + N" if bias else "")
    numbers = f"{kh}·{kw}·{c}·{m} + {c}·{m}·{n}" + (f" + {n}" if bias else "")
    total = kh * kw * c * m + c * m * n + (n if bias else 0)
    return ParamRow(layer.name, "SeparableConv2D", formula, numbers, total)


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
