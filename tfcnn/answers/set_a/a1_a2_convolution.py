"""Set A, A1 and A2: the 6×6 input convolved with the 3×3 anti-diagonal kernel.

A1: Z = x ∗ K ('valid', stride 1) by independent routes (tfcnn's NumPy code,
`scipy.signal`, `tf.nn.conv2d` and exact fractions), as convolution and as
cross-correlation; and a kernel without half-turn symmetry, for which the two
differ. A2: heat-maps of x, K and Z, a test pattern that shows the direction
the kernel smooths, and a Fashion-MNIST image.

Writes `<root>/a1/convolution.json`, `<root>/a2/heatmaps.png` and
`<root>/a2/directional.png`.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import tensorflow as tf
from scipy import signal

from tfcnn import cli
from tfcnn.analysis.conv import convolve2d, correlate2d, output_size
from tfcnn.data import load_fashion_mnist
from tfcnn.plots import new_figure
from tfcnn.results import save_figure, set_seed, write_result

X = np.array(
    [
        [30, 30, 80, 100, 0, 30],
        [0, 0, 100, 80, 10, 0],
        [30, 100, 20, 90, 80, 0],
        [100, 0, 80, 20, 20, 80],
        [20, 70, 0, 95, 100, 30],
        [20, 0, 0, 100, 0, 0],
    ]
)
# 1/3 on the anti-diagonal (top right to bottom left), as integer numerators over 3.
K_NUMERATORS = np.fliplr(np.eye(3, dtype=int))
K_DENOMINATOR = 3
# Same support, unequal weights: not symmetric under a half turn.
K_ASYMMETRIC = np.fliplr(np.diag([3.0, 2.0, 1.0])) / 6


@dataclasses.dataclass
class Config:
    """The settings of A1 and A2.

    Args:
        padding: padding of the convolution. Defaults to "valid".
        stride: stride of the convolution. Defaults to 1.
        fashion_index: the Fashion-MNIST test image filtered. Defaults to 0.
        pattern_size: side of the test pattern. Defaults to 15.
        seed: the seed (nothing here is random). Defaults to 0.
    """

    padding: str = "valid"
    stride: int = 1
    fashion_index: int = 0
    pattern_size: int = 15
    seed: int = 0

    def quick(self) -> Config:
        """The smoke run: the same computation (it takes seconds)."""
        return dataclasses.replace(self)


def exact_correlation(x: np.ndarray, numerators: np.ndarray, denominator: int) -> list:
    """'valid' correlation in exact rational arithmetic, as rows of `Fraction`s.

    Args:
        x: the integer input, square.
        numerators: the kernel's integer numerators, square.
        denominator: the kernel's common denominator.
    """
    k = numerators.shape[0]
    side = output_size(x.shape[0], k)
    return [
        [
            Fraction(int((x[i : i + k, j : j + k] * numerators).sum()), denominator)
            for j in range(side)
        ]
        for i in range(side)
    ]


def tf_correlate(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """'valid' cross-correlation of one 2-D array with one kernel by `tf.nn.conv2d`."""
    out = tf.nn.conv2d(
        x[None, :, :, None], k[:, :, None, None], strides=1, padding="VALID"
    )
    return out.numpy()[0, :, :, 0]


def fraction_text(value: Fraction) -> str:
    """'7' for a whole number, else '22/3 ≈ 7.33'."""
    if value.denominator == 1:
        return f"{value.numerator}"
    return f"{value.numerator}/{value.denominator} ≈ {float(value):.2f}"


def routes(x: np.ndarray, k: np.ndarray) -> dict:
    """Z by every route (route name -> float64 array)."""
    x = x.astype(np.float64)
    return {
        "tfcnn correlate2d": correlate2d(x, k),
        "tfcnn convolve2d": convolve2d(x, k),
        "scipy.signal.correlate2d": signal.correlate2d(x, k, mode="valid"),
        "scipy.signal.convolve2d": signal.convolve2d(x, k, mode="valid"),
        "tf.nn.conv2d (float64)": tf_correlate(x, k),
    }


def cross_pattern(size: int) -> np.ndarray:
    """An 'X': one stroke along the anti-diagonal ('/') and one along the main one ('\\')."""
    image = np.zeros((size, size))
    image[np.arange(size), np.arange(size)] = 1.0
    image[np.arange(size), size - 1 - np.arange(size)] = 1.0
    return image


def grid_table(rows: dict, cells) -> dict:
    """A table of 2-D arrays, a row of cells per array row, its label from `rows`.

    Args:
        rows: label prefix -> 2-D array; each array row becomes one table row.
        cells: formats one value as its cell text.
    """
    width = len(next(iter(rows.values()))[0])
    return {
        "columns": ["", *(f"column {j}" for j in range(width))],
        "rows": [
            [f"{label}row {i}", *(cells(v) for v in row)]
            for label, values in rows.items()
            for i, row in enumerate(values)
        ],
    }


def convolution_checks(exact_float: np.ndarray, found: dict, asymmetric: dict) -> dict:
    """Whether the routes agree, and how the uneven kernel tells convolution apart."""
    rotated = correlate2d(X, np.rot90(K_ASYMMETRIC, 2))
    return {
        "kernel_half_turn_symmetric": bool(
            np.array_equal(np.rot90(K_NUMERATORS, 2), K_NUMERATORS)
        ),
        "max_route_difference": float(
            max(np.abs(z - exact_float).max() for z in found.values())
        ),
        "asymmetric_conv_minus_corr_max": float(
            np.abs(
                asymmetric["tfcnn convolve2d"] - asymmetric["tfcnn correlate2d"]
            ).max()
        ),
        "asymmetric_conv_equals_rotated_corr": bool(
            np.allclose(asymmetric["tfcnn convolve2d"], rotated)
        ),
        "asymmetric_scipy_agrees": bool(
            np.allclose(
                asymmetric["scipy.signal.convolve2d"], asymmetric["tfcnn convolve2d"]
            )
            and np.allclose(
                asymmetric["scipy.signal.correlate2d"], asymmetric["tfcnn correlate2d"]
            )
        ),
    }


def heatmap(ax, values, title: str, labels, vmax: float) -> None:
    """Values as colours on [0, vmax], with `labels` written in each cell.

    Args:
        ax: the matplotlib axes.
        values: the 2-D array shown.
        title: the axes' title.
        labels: the text of each cell, same shape as `values`.
        vmax: the value of the brightest colour.
    """
    ax.imshow(values, cmap="viridis", vmin=0, vmax=vmax)
    ax.grid(False)
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
    ax.set_title(title)
    for (i, j), text in np.ndenumerate(labels):
        color = "black" if values[i, j] > 0.6 * vmax else "white"
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color=color)


def plot_heatmaps(z: np.ndarray):
    """x, K and Z side by side, x and Z on one colour scale."""
    fig, axes = new_figure(ncols=3, width=3.6, height=3.6)
    heatmap(axes[0], X.astype(float), "input x (6×6)", X, vmax=100)
    heatmap(
        axes[1],
        K_NUMERATORS / K_DENOMINATOR,
        "kernel K (3×3)",
        np.where(K_NUMERATORS, "1/3", "0"),
        vmax=1 / 3,
    )
    z_labels = np.vectorize(lambda v: f"{v:.1f}")(z)
    heatmap(axes[2], z, "Z = x ∗ K (4×4), same colour scale as x", z_labels, vmax=100)
    fig.tight_layout()
    return fig


def plot_directional(panels: list[tuple[np.ndarray, str]]):
    """Grey-scale images in [0, 1], one titled panel each.

    Args:
        panels: (image, title) pairs, left to right.
    """
    fig, axes = new_figure(ncols=len(panels), width=2.7, height=2.9)
    for ax, (values, title) in zip(axes, panels, strict=True):
        ax.imshow(values, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    return fig


def run_convolution(config: Config, root: Path) -> dict:
    """Computes A1 and A2, writes `a1/convolution.json` and the A2 figures.

    Args:
        config: the settings.
        root: the results folder.

    Returns:
        The checks of `convolution_checks`.
    """
    started = time.perf_counter()
    set_seed(config.seed)
    kernel = K_NUMERATORS / K_DENOMINATOR
    exact = exact_correlation(X, K_NUMERATORS, K_DENOMINATOR)
    exact_float = np.array([[float(v) for v in row] for row in exact])
    found = routes(X, kernel)
    asymmetric = routes(X, K_ASYMMETRIC)
    checks = convolution_checks(exact_float, found, asymmetric)

    # A2: the test pattern and a real image.
    pattern = cross_pattern(config.pattern_size)
    filtered = correlate2d(pattern, kernel)
    n = config.pattern_size
    # After a 'valid' 3x3 window, output (i, j) covers input rows i..i+2, columns j..j+2.
    anti_values = [filtered[i, n - 3 - i] for i in range(n - 2)]
    main_values = [filtered[i, i] for i in range(n - 2)]
    fashion = load_fashion_mnist()
    image = fashion.x_test[config.fashion_index].astype(np.float64) / 255.0
    blurred = correlate2d(image, kernel)
    along = correlate2d(image, np.eye(3) / 3)

    result = {
        "x": X,
        "kernel_numerators": K_NUMERATORS,
        "kernel_denominator": K_DENOMINATOR,
        "z_exact": [[str(v) for v in row] for row in exact],
        "z_float": exact_float,
        "z_table": grid_table({"": exact}, fraction_text),
        "routes_table": {
            "columns": ["route", "max |Z − exact|"],
            "rows": [
                [name, f"{np.abs(z - exact_float).max():.1e}"]
                for name, z in found.items()
            ],
        },
        "output_side": output_size(6, 3),
        "checks": checks,
        "asymmetric_kernel": K_ASYMMETRIC,
        "asymmetric_table": grid_table(
            {
                "correlation, ": asymmetric["tfcnn correlate2d"],
                "convolution, ": asymmetric["tfcnn convolve2d"],
            },
            lambda v: f"{v:.2f}",
        ),
        "pattern": {
            "size": n,
            "anti_diagonal_stroke_after": float(np.median(anti_values)),
            "main_diagonal_stroke_after": float(np.median(main_values)),
        },
        "fashion": {
            "index": config.fashion_index,
            "class": fashion.class_names[int(fashion.y_test[config.fashion_index])],
            "shape_after": list(blurred.shape),
        },
    }
    write_result(
        "a1",
        "convolution",
        result,
        config=config,
        seed=config.seed,
        wall_seconds=time.perf_counter() - started,
        root=root,
    )
    save_figure(plot_heatmaps(exact_float), "a2", "heatmaps", root=root)
    panels = [
        (pattern, "test pattern: '/' and '\\' strokes"),
        (filtered, "after K: '/' kept, '\\' spread"),
        (image, f"Fashion-MNIST test image {config.fashion_index}"),
        (blurred, "after K (anti-diagonal mean)"),
        (along, "after the main-diagonal mean, for contrast"),
    ]
    save_figure(plot_directional(panels), "a2", "directional", root=root)
    return checks


def main(args: argparse.Namespace) -> None:
    """Runs A1 and A2 from the options of `scripts/set_a_convolution.py`."""
    config = Config(fashion_index=args.fashion_index, seed=args.seed)
    if args.quick:
        config = config.quick()
    root = cli.results_root(args)
    checks = run_convolution(config, root)
    print(
        f"routes agree to {checks['max_route_difference']:.1e}; "
        f"wrote {root / 'a1'} and {root / 'a2'}"
    )
