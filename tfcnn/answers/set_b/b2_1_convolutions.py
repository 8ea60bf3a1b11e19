"""Set B, B2.1: filters on the sheet's 5x5 image, padding, sizes and parameter counts.

Applies a list of square filters (by default the Prewitt and Sobel vertical and
horizontal edge detectors) to the sheet's 5x5 image by cross-correlation with
'same' and 'valid' padding, using `tfcnn.analysis.conv.correlate2d`, and checks
every output against one `tf.nn.conv2d` call. Then checks the output-size
formula floor((H + 2p - k)/s) + 1 and the parameter formula N(k^2 C + 1)
against real Keras layers over grids of sizes, and counts the parameters of a
convolution and of dense layers on the same image. Writes
`docs/results/b2-1/convolutions.json` and `docs/results/b2-1/filters.png`.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfcnn.analysis.conv import correlate2d, output_size
from tfcnn.analysis.theory import EDGE_FILTERS, conv_params, correlate_bank_tf
from tfcnn.cli import results_root
from tfcnn.plots import new_figure
from tfcnn.results import save_figure, set_seed, write_result

# The sheet's 5x5 one-channel image: a bright cross (a horizontal line of 7s in
# row 2) over a dark vertical line (2s in column 2), on a background of 5s.
SHEET_IMAGE = np.array(
    [[5, 5, 2, 5, 5],
     [5, 5, 2, 5, 5],
     [7, 7, 5, 7, 7],
     [5, 5, 2, 5, 5],
     [5, 5, 2, 5, 5]], dtype=np.float64,
)  # fmt: skip


@dataclasses.dataclass
class Config:
    """The filters, the size grids and the dense-layer comparison of B2.1.

    Attributes:
        filters: names from `EDGE_FILTERS` or matrices "a,b,c;d,e,f;g,h,i"
            (default: the four edge detectors).
        sizes, kernels, paddings, strides: the grid of input sizes H, kernel
            sizes k, paddings p and strides s of the output-size check.
        channels, filter_counts: the input channels C and filter counts N of
            the parameter check.
        mlp_image, mlp_filters, mlp_hidden_units: the image (H, W, C), the
            convolution's filters and the hidden layer of the dense comparison.
        seed: the seed of the random equivariance check (default: 0).
    """

    filters: tuple[str, ...] = tuple(EDGE_FILTERS)
    sizes: tuple[int, ...] = (5, 6, 7, 8, 9, 10, 11, 12, 28, 32)
    kernels: tuple[int, ...] = (1, 2, 3, 4, 5, 7)
    paddings: tuple[int, ...] = (0, 1, 2, 3)
    strides: tuple[int, ...] = (1, 2, 3)
    channels: tuple[int, ...] = (1, 3, 16)
    filter_counts: tuple[int, ...] = (1, 8, 32)
    mlp_image: tuple[int, int, int] = (32, 32, 3)
    mlp_filters: int = 32
    mlp_hidden_units: int = 512
    seed: int = 0

    def quick(self) -> Config:
        """The smoke run: a small size grid."""
        return dataclasses.replace(self, sizes=(5, 8), kernels=(1, 3), strides=(1, 2))


def parse_filter(text: str) -> np.ndarray:
    """A filter name from `EDGE_FILTERS`, or a matrix written "a,b,c;d,e,f;g,h,i".

    Raises:
        ValueError: `text` is neither, or the matrix is not square.
    """
    if text in EDGE_FILTERS:
        return EDGE_FILTERS[text]
    try:
        matrix = np.array(
            [[float(v) for v in row.split(",")] for row in text.split(";")]
        )
    except ValueError as error:
        raise ValueError(
            f"--filters {text!r}: not a known filter ({', '.join(EDGE_FILTERS)}) "
            "nor a matrix like '1,0,-1;1,0,-1;1,0,-1'."
        ) from error
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(
            f"--filters {text!r}: the matrix must be square, got {matrix.shape}."
        )
    return matrix


def filter_bank(texts) -> dict[str, np.ndarray]:
    """The filters named or written in `texts` (see `parse_filter`), by their text.

    Raises:
        ValueError: a text is not a filter, or the filters differ in size.
    """
    filters = {text: parse_filter(text) for text in texts}
    if len({f.shape for f in filters.values()}) != 1:
        raise ValueError(
            "--filters: all filters must have the same size (they form one bank)."
        )
    return filters


def matrix_table(matrix) -> dict:
    """A matrix as a `{"columns", "rows"}` table with row and column indices."""
    matrix = np.asarray(matrix)
    as_number = (lambda v: int(v)) if np.all(matrix == np.round(matrix)) else float
    return {
        "columns": ["", *(f"col {j}" for j in range(matrix.shape[1]))],
        "rows": [
            [f"row {i}", *(as_number(v) for v in row)] for i, row in enumerate(matrix)
        ],
    }


def apply_filters(filters: dict) -> dict:
    """Every filter on `SHEET_IMAGE` with 'same' and 'valid' padding, against `tf.nn.conv2d`.

    Args:
        filters: by name, square filters of one size (see `filter_bank`).

    Returns:
        By name: the filter and each padding's output as tables, their shapes,
        and the largest difference from TensorFlow's output.
    """
    out = {}
    for padding in ("same", "valid"):
        by_tf = correlate_bank_tf(SHEET_IMAGE, list(filters.values()), padding=padding)
        for (name, kernel), tf_out in zip(filters.items(), by_tf):
            ours = correlate2d(SHEET_IMAGE, kernel, padding=padding)
            out.setdefault(name, {"filter": matrix_table(kernel)})
            out[name][padding] = matrix_table(ours)
            out[name][f"{padding}_shape"] = list(ours.shape)
            out[name][f"{padding}_max_abs_diff_vs_tf"] = float(
                np.abs(ours - tf_out).max()
            )
    return out


def output_size_grid(config: Config) -> dict:
    """floor((H + 2p - k)/s) + 1 against the shape of a real Keras layer's output.

    Args:
        config: the grid (`sizes`, `kernels`, `paddings`, `strides`); 'same'
            padding is checked against ceil(H/s) on the same grid.
    """
    cases, mismatches, examples = 0, [], []
    for k, s in itertools.product(config.kernels, config.strides):
        conv = keras.layers.Conv2D(1, k, strides=s, padding="valid")
        same = keras.layers.Conv2D(1, k, strides=s, padding="same")
        for h, p in itertools.product(config.sizes, config.paddings):
            if k > h + 2 * p:
                continue
            padded = keras.layers.ZeroPadding2D(p)(tf.zeros((1, h, h, 1)))
            measured = int(conv(padded).shape[1])
            predicted = output_size(h, k, p, s)
            cases += 1
            if measured != predicted:
                mismatches.append([h, k, p, s, predicted, measured])
            if h == 32 and k in (3, 5) and p in (0, 1, 2):
                examples.append([h, k, p, s, predicted, measured])
        for h in config.sizes:  # 'same' pads so that the output is ceil(H/s)
            cases += 1
            measured = int(same(tf.zeros((1, h, h, 1))).shape[1])
            if measured != -(-h // s):
                mismatches.append([h, k, "same", s, -(-h // s), measured])
    return {
        "cases": cases,
        "mismatches": mismatches,
        "mismatch_count": len(mismatches),
        "examples": {
            "columns": ["H", "k", "p", "s", "formula", "Keras"],
            "rows": examples,
        },
    }


def parameter_grid(config: Config) -> dict:
    """N(k^2 C + 1) against `count_params()`, at two image sizes (the count ignores H, W).

    Args:
        config: the `channels` and `filter_counts`; kernels are 1, 3 and 5.
    """
    rows, mismatches = [], 0
    for k, c, n in itertools.product((1, 3, 5), config.channels, config.filter_counts):
        formula = conv_params(k, c, n)
        counted = set()
        for h in (8, 64):
            layer = keras.layers.Conv2D(n, k)
            layer.build((None, h, h, c))
            counted.add(layer.count_params())
        mismatches += counted != {formula}
        rows.append([k, c, n, f"{n}·({k}²·{c} + 1)", formula, sorted(counted)[0]])
    return {
        "cases": len(rows),
        "mismatches": mismatches,
        "table": {"columns": ["k", "C", "N", "N(k²C + 1)", "formula", "count_params()"],
                  "rows": rows},
    }  # fmt: skip


def cnn_vs_mlp(config: Config) -> dict:
    """Parameters of a conv layer and of dense layers on the same image, with Keras' counts.

    Args:
        config: the image (`mlp_image`), the convolution's `mlp_filters` and
            the dense layer's `mlp_hidden_units`.
    """
    h, w, c = config.mlp_image
    n = config.mlp_filters
    candidates = {
        f"Conv2D, {n} filters 3x3, 'same'": keras.layers.Conv2D(n, 3, padding="same"),
        f"Dense to the same {h}x{w}x{n} output": keras.layers.Dense(h * w * n),
        f"Dense to {config.mlp_hidden_units} hidden units": keras.layers.Dense(config.mlp_hidden_units),
    }  # fmt: skip
    rows = []
    for label, layer in candidates.items():
        if isinstance(layer, keras.layers.Conv2D):
            layer.build((None, h, w, c))
            outputs, macs = h * w * n, h * w * 9 * c * n
        else:
            layer.build((None, h * w * c))
            outputs, macs = layer.units, h * w * c * layer.units
        rows.append([label, layer.count_params(), outputs, macs])
    return {
        "table": {"columns": ["layer on a 32x32x3 image", "parameters", "outputs", "multiply-adds"],
                  "rows": [[label, *(f"{v:,}" for v in values)] for label, *values in rows]},
        "conv_params": rows[0][1], "dense_same_params": rows[1][1], "dense_hidden_params": rows[2][1],
        "conv_macs": rows[0][3], "dense_same_macs": rows[1][3],
        "ratio_dense_same_to_conv": rows[1][1] / rows[0][1],
        "ratio_dense_hidden_to_conv": rows[2][1] / rows[0][1],
    }  # fmt: skip


def equivariance(seed: int) -> dict:
    """Shifting the input shifts a convolution's output; a dense layer has no such rule.

    Args:
        seed: the seed of the random image, kernel and dense weights.
    """
    rng = np.random.default_rng(seed)
    x, kernel = rng.normal(size=(12, 12)), rng.normal(size=(3, 3))
    shift = (2, 1)
    shifted = np.roll(x, shift, axis=(0, 1))
    conv, conv_of_shifted = correlate2d(x, kernel), correlate2d(shifted, kernel)
    # Away from the wrapped-around rows/columns, conv(shift(x)) = shift(conv(x)).
    interior = np.s_[shift[0] :, shift[1] :]
    conv_diff = np.abs(
        np.roll(conv, shift, axis=(0, 1))[interior] - conv_of_shifted[interior]
    ).max()
    dense = rng.normal(size=(x.size, x.size))
    dense_out, dense_of_shifted = (
        (dense @ x.ravel()).reshape(x.shape),
        (dense @ shifted.ravel()).reshape(x.shape),
    )
    dense_diff = np.abs(
        np.roll(dense_out, shift, axis=(0, 1))[interior] - dense_of_shifted[interior]
    ).max()
    return {
        "shift": list(shift),
        "conv_max_abs_diff": float(conv_diff),
        "dense_max_abs_diff": float(dense_diff),
    }


def plot_filter_outputs(results: dict, names: list[str]):
    """The image and each filter's 'same' output, numbers written in the cells.

    Args:
        results: the outputs of `apply_filters`.
        names: the filters to show, in order.
    """
    panels = [("input image", SHEET_IMAGE)]
    for name in names:
        rows = results[name]["same"]["rows"]
        panels.append(
            (
                f"{name.replace('_', ' ')} ('same')",
                np.array([r[1:] for r in rows], float),
            )
        )
    fig, axes = new_figure(ncols=len(panels), width=2.6, height=2.8)
    for ax, (title, image) in zip(axes, panels):
        limit = np.abs(image).max() if image.min() < 0 else None
        ax.imshow(image, cmap="RdBu_r" if limit else "gray",
                  vmin=-limit if limit else None, vmax=limit)  # fmt: skip
        for (i, j), v in np.ndenumerate(image):
            ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=8,
                    color="black" if limit else "red")  # fmt: skip
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    return fig


def run_convolutions(config: Config, root: Path) -> dict:
    """Every B2.1 check, written to `<root>/b2-1/convolutions.json` and `filters.png`.

    Args:
        config: the filters and grids.
        root: the results folder.

    Returns:
        The measurements written.
    """
    started = time.perf_counter()
    set_seed(config.seed)
    filters = filter_bank(config.filters)
    outputs = apply_filters(filters)
    data = {
        "image": matrix_table(SHEET_IMAGE),
        "filters": outputs,
        "max_abs_diff_vs_tf": max(
            v[f"{p}_max_abs_diff_vs_tf"]
            for v in outputs.values()
            for p in ("same", "valid")
        ),
        "output_size": output_size_grid(config),
        "parameters": parameter_grid(config),
        "cnn_vs_mlp": cnn_vs_mlp(config),
        "equivariance": equivariance(config.seed),
    }
    path = write_result("b2-1", "convolutions", data, config=config, seed=config.seed,
                        wall_seconds=time.perf_counter() - started, root=root)  # fmt: skip
    save_figure(
        plot_filter_outputs(outputs, list(filters)[:4]), "b2-1", "filters", root=root
    )
    grid, params = data["output_size"], data["parameters"]
    print(
        f"filters checked against tf.nn.conv2d: max |diff| {data['max_abs_diff_vs_tf']:.2e}"
    )
    print(f"output size: {grid['cases']} cases, {len(grid['mismatches'])} mismatches; "
          f"parameters: {params['cases']} cases, {params['mismatches']} mismatches; wrote {path}")  # fmt: skip
    return data


def main(args: argparse.Namespace) -> None:
    """Runs B2.1 from the options of `scripts/set_b_convolutions.py`.

    Args:
        args: `filters` (None: the four edge detectors), `seed`, `quick` and
            `results_dir`.
    """
    config = Config(filters=tuple(args.filters or EDGE_FILTERS), seed=args.seed)
    run_convolutions(config.quick() if args.quick else config, results_root(args))
