"""Time per epoch of the NumPy network (`tfcnn.scratch`) and of its Keras twin.

Both train the same network from the same initial weights on the same images
with SGD, timed alternately, seed by seed; wall-clock and process CPU time are
both recorded. Each timing's first epoch is summarised apart: for Keras it
includes tracing and compiling the training step.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter
from threadpoolctl import threadpool_limits

from tfcnn.plots import new_figure
from tfcnn.results import set_seed
from tfcnn.results.summary import mean_std
from tfcnn.scratch import build_network, make_optimizer, train
from tfcnn.scratch.keras_twin import keras_epoch_seconds

FRAMEWORKS = ("numpy", "keras")
CLOCKS = ("cpu", "wall")


def numpy_epoch_seconds(x, y, batch_size: int, epochs: int, lr: float, seed: int):
    """Wall and CPU seconds per epoch of `tfcnn.scratch.train` (nothing evaluated)."""
    history = train(
        build_network(seed=seed),
        make_optimizer("sgd", learning_rate=lr),
        x,
        y,
        {},
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        progress=False,
    )
    return {key: history[key] for key in ("epoch_seconds", "epoch_cpu_seconds")}


def time_frameworks(
    x,
    y,
    batch_sizes,
    *,
    epochs: int = 4,
    repeats: int = 3,
    learning_rate: float = 1e-3,
    threads: int = 1,
    progress=print,
) -> tuple[dict, bool]:
    """Times NumPy and Keras training alternately, for every batch size and seed.

    Args:
        x: training images.
        y: their integer labels.
        batch_sizes: the mini-batch sizes.
        epochs: epochs per timing, the first reported apart. Defaults to 4.
        repeats: timings per batch size and framework (seeds 0..repeats-1).
            Defaults to 3.
        learning_rate: SGD's η. Defaults to 1e-3.
        threads: BLAS threads of NumPy (0: no limit). Defaults to 1.
        progress: called with one line per seed and batch size. Defaults to print.

    Returns:
        ({(batch size, framework, clock): [per-epoch seconds of each timing]},
        whether Keras compiled the step with XLA).
    """
    timings = {
        (bs, name, clock): []
        for bs in batch_sizes
        for name in FRAMEWORKS
        for clock in CLOCKS
    }
    jit = None
    with threadpool_limits(threads or None):
        for seed in range(repeats):
            for bs in batch_sizes:
                set_seed(seed)
                measured = {
                    "numpy": numpy_epoch_seconds(x, y, bs, epochs, learning_rate, seed),
                    "keras": keras_epoch_seconds(
                        build_network(seed=seed),
                        x,
                        y,
                        batch_size=bs,
                        epochs=epochs,
                        seed=seed,
                        learning_rate=learning_rate,
                    ),
                }
                jit = measured["keras"]["jit_compile"]
                for name, m in measured.items():
                    timings[(bs, name, "cpu")].append(m["epoch_cpu_seconds"])
                    timings[(bs, name, "wall")].append(m["epoch_seconds"])
                cpu = {
                    n: np.median(m["epoch_cpu_seconds"][1:])
                    for n, m in measured.items()
                }
                progress(
                    f"seed {seed} batch {bs}: CPU s/epoch numpy {cpu['numpy']:.3f}, "
                    f"keras {cpu['keras']:.3f}"
                )
    return timings, jit


def summarise_speed(timings: dict, batch_sizes) -> list[dict]:
    """Per batch size: mean ± std over repeats of the median epoch (after the first),
    for each clock and framework, their ratio, and the first epoch apart."""
    rows = []
    for bs in batch_sizes:
        row = {"batch_size": bs}
        for clock in CLOCKS:
            medians = {
                name: np.array([np.median(t[1:]) for t in timings[(bs, name, clock)]])
                for name in FRAMEWORKS
            }
            row[clock] = {name: mean_std(v) for name, v in medians.items()}
            row[clock]["ratio"] = mean_std(medians["numpy"] / medians["keras"])
            row[clock]["first_epoch"] = {
                name: mean_std([t[0] for t in timings[(bs, name, clock)]])
                for name in FRAMEWORKS
            }
        rows.append(row)
    return rows


def speed_figure(rows: list[dict]):
    """Bars of CPU seconds per epoch (log scale) per batch size, the ratio above them."""
    fig, ax = new_figure(width=6.0, height=3.6)
    positions = np.arange(len(rows))
    for offset, name in ((-0.2, "numpy"), (0.2, "keras")):
        means = [r["cpu"][name]["mean"] for r in rows]
        stds = [r["cpu"][name]["std"] for r in rows]
        label = "NumPy (tfcnn.scratch)" if name == "numpy" else "Keras twin (model.fit)"
        ax.bar(positions + offset, means, 0.4, yerr=stds, capsize=3, label=label)
    for x, r in zip(positions, rows, strict=True):
        top = max(r["cpu"]["numpy"]["mean"], r["cpu"]["keras"]["mean"])
        ratio = r["cpu"]["ratio"]["mean"]
        ax.text(x, top * 1.25, f"×{ratio:.2f}", ha="center", fontsize=9)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(positions, [str(r["batch_size"]) for r in rows])
    ax.set_xlabel("mini-batch size")
    ax.set_ylabel("CPU seconds per epoch (1,000 images)")
    ax.set_ylim(top=ax.get_ylim()[1] * 2)
    ax.legend(loc="upper right")
    ax.set_title(
        "NumPy / Keras time per epoch (×: ratio), one thread each", fontsize=10
    )
    fig.tight_layout()
    return fig
