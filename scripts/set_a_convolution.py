"""Set A, questions A1 and A2: the 6x6 input convolved with the 3x3 anti-diagonal kernel.

A1: Z = x * K ('valid', stride 1) by three independent routes (tfcnn's plain
NumPy code, `scipy.signal` and `tf.nn.conv2d`), as true convolution and as
cross-correlation, with exact fractions; and a kernel without half-turn
symmetry, for which the two differ. A2: heat-maps of x, K and Z, a test pattern
that shows the direction the kernel smooths, and a Fashion-MNIST image.

Writes `docs/results/a1/convolution.json` and figures in `docs/results/a2/`.

    python scripts/set_a_convolution.py
    python scripts/set_a_convolution.py --quick    # same, written under runs/quick
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from fractions import Fraction

import numpy as np
import tensorflow as tf
from scipy import signal

from tfcnn import set_seed
from tfcnn.analysis.conv import convolve2d, correlate2d, output_size
from tfcnn.cli import add_output_arguments, non_negative_int, results_root
from tfcnn.data import load_fashion_mnist
from tfcnn.plots import new_figure
from tfcnn.results import save_figure, write_result

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
    padding: str = "valid"
    stride: int = 1
    fashion_index: int = 0
    pattern_size: int = 15
    seed: int = 0
    quick: bool = False


def exact_correlation(x: np.ndarray, numerators: np.ndarray, denominator: int) -> list:
    """'valid' correlation in exact rational arithmetic: an independent fourth route."""
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
    out = tf.nn.conv2d(
        x[None, :, :, None], k[:, :, None, None], strides=1, padding="VALID"
    )
    return out.numpy()[0, :, :, 0]


def fraction_text(value: Fraction) -> str:
    if value.denominator == 1:
        return f"{value.numerator}"
    return f"{value.numerator}/{value.denominator} ≈ {float(value):.2f}"


def routes(x: np.ndarray, k: np.ndarray) -> dict:
    """Z by every route, as float64 arrays."""
    x = x.astype(np.float64)
    return {
        "tfcnn correlate2d": correlate2d(x, k),
        "tfcnn convolve2d": convolve2d(x, k),
        "scipy.signal.correlate2d": signal.correlate2d(x, k, mode="valid"),
        "scipy.signal.convolve2d": signal.convolve2d(x, k, mode="valid"),
        "tf.nn.conv2d (float64)": tf_correlate(x, k),
    }


def heatmap(ax, values, title, labels, vmax):
    """Values as colours on [0, vmax] (one scale for x and Z), with the numbers written in."""
    ax.imshow(values, cmap="viridis", vmin=0, vmax=vmax)
    ax.grid(False)
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
    ax.set_title(title)
    for (i, j), text in np.ndenumerate(labels):
        color = "black" if values[i, j] > 0.6 * vmax else "white"
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color=color)


def cross_pattern(size: int) -> np.ndarray:
    """An 'X': one stroke along the anti-diagonal ('/') and one along the main diagonal ('\\')."""
    image = np.zeros((size, size))
    image[np.arange(size), np.arange(size)] = 1.0
    image[np.arange(size), size - 1 - np.arange(size)] = 1.0
    return image


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--fashion-index",
        type=non_negative_int,
        default=0,
        help="which Fashion-MNIST test image to filter (default: 0)",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed (nothing here is random; default: 0)",
    )
    add_output_arguments(parser, "write under runs/quick, not docs/results")
    args = parser.parse_args(argv)
    config = Config(fashion_index=args.fashion_index, seed=args.seed, quick=args.quick)
    root = results_root(args)
    started = time.perf_counter()
    set_seed(config.seed)

    kernel = K_NUMERATORS / K_DENOMINATOR
    exact = exact_correlation(X, K_NUMERATORS, K_DENOMINATOR)
    exact_float = np.array([[float(v) for v in row] for row in exact])
    found = routes(X, kernel)
    route_rows = [
        [name, f"{np.abs(z - exact_float).max():.1e}"] for name, z in found.items()
    ]
    z_table = {
        "columns": ["", *(f"column {j}" for j in range(len(exact)))],
        "rows": [
            [f"row {i}", *(fraction_text(v) for v in row)]
            for i, row in enumerate(exact)
        ],
    }
    asymmetric = routes(X, K_ASYMMETRIC)
    asym_rotated = correlate2d(X, np.rot90(K_ASYMMETRIC, 2))
    checks = {
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
            np.allclose(asymmetric["tfcnn convolve2d"], asym_rotated)
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
    asym_table = {
        "columns": ["", *(f"column {j}" for j in range(4))],
        "rows": [
            *[
                [f"correlation, row {i}", *(f"{v:.2f}" for v in row)]
                for i, row in enumerate(asymmetric["tfcnn correlate2d"])
            ],
            *[
                [f"convolution, row {i}", *(f"{v:.2f}" for v in row)]
                for i, row in enumerate(asymmetric["tfcnn convolve2d"])
            ],
        ],
    }

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

    write_result(
        "a1",
        "convolution",
        {
            "x": X,
            "kernel_numerators": K_NUMERATORS,
            "kernel_denominator": K_DENOMINATOR,
            "z_exact": [[str(v) for v in row] for row in exact],
            "z_float": exact_float,
            "z_table": z_table,
            "routes_table": {
                "columns": ["route", "max |Z − exact|"],
                "rows": route_rows,
            },
            "output_side": output_size(6, 3),
            "checks": checks,
            "asymmetric_kernel": K_ASYMMETRIC,
            "asymmetric_table": asym_table,
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
        },
        config=config,
        seed=config.seed,
        wall_seconds=time.perf_counter() - started,
        root=root,
    )

    fig, axes = new_figure(ncols=3, width=3.6, height=3.6)
    heatmap(axes[0], X.astype(float), "input x (6×6)", X, vmax=100)
    heatmap(
        axes[1],
        kernel,
        "kernel K (3×3)",
        np.where(K_NUMERATORS, "1/3", "0"),
        vmax=1 / 3,
    )
    z_labels = np.vectorize(lambda v: f"{v:.1f}")(exact_float)
    heatmap(
        axes[2],
        exact_float,
        "Z = x ∗ K (4×4), same colour scale as x",
        z_labels,
        vmax=100,
    )
    fig.tight_layout()
    save_figure(fig, "a2", "heatmaps", root=root)

    fig, axes = new_figure(ncols=5, width=2.7, height=2.9)
    panels = [
        (pattern, "test pattern: '/' and '\\' strokes"),
        (filtered, "after K: '/' kept, '\\' spread"),
        (image, f"Fashion-MNIST test image {config.fashion_index}"),
        (blurred, "after K (anti-diagonal mean)"),
        (along, "after the main-diagonal mean, for contrast"),
    ]
    for ax, (values, title) in zip(axes, panels, strict=True):
        ax.imshow(values, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    save_figure(fig, "a2", "directional", root=root)
    print(
        f"routes agree to {checks['max_route_difference']:.1e}; wrote {root / 'a1'} and {root / 'a2'}"
    )


if __name__ == "__main__":
    main()
