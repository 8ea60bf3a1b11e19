"""Set D benchmark: time per epoch of the NumPy network and of its Keras twin.

Both train the D1 network from the same initial weights on the same 1,000
MNIST images with SGD (η = 0.001), for each mini-batch size, on one thread
each (NumPy's BLAS and TensorFlow's thread pools limited to 1), timed
alternately `--repeats` times. Wall-clock and process CPU time are both
recorded; the comparison uses CPU time, which other jobs on a busy machine do
not inflate. Each timing's first epoch is reported apart: for Keras it includes
tracing and compiling the training step. Not a test: the numbers depend on the
machine. Writes docs/results/bench_scratch/{summary.json,bench.png}.

    OMP_NUM_THREADS=1 nice -n 10 python scripts/bench_scratch.py
    python scripts/bench_scratch.py --quick
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter
from threadpoolctl import threadpool_limits

from tfcnn import set_seed
from tfcnn.answers.set_d.experiment import load_data, mean_std
from tfcnn.cli import add_output_arguments, positive_int, results_root
from tfcnn.plots import new_figure
from tfcnn.results import save_figure, write_result
from tfcnn.scratch import build_network, make_optimizer, train
from tfcnn.scratch.keras_twin import keras_epoch_seconds


@dataclasses.dataclass
class Config:
    """The benchmark's settings (saved with the result)."""

    batch_sizes: tuple = (1, 10, 32, 100)
    epochs: int = 4  # per timing; the first is reported apart
    repeats: int = 3  # seeds 0..repeats-1, NumPy and Keras alternately
    learning_rate: float = 1e-3
    train_per_class: int = 100
    data_seed: int = 0
    threads: int = 1
    target_ratio: float = 3.0
    quick: bool = False


def numpy_epoch_seconds(x, y, batch_size: int, epochs: int, lr: float, seed: int):
    """Wall and CPU seconds per epoch of `tfcnn.scratch.train` (nothing evaluated)."""
    network = build_network(seed=seed)
    optimizer = make_optimizer("sgd", learning_rate=lr)
    history = train(
        network,
        optimizer,
        x,
        y,
        {},
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        progress=False,
    )
    return {
        "epoch_seconds": history["epoch_seconds"],
        "epoch_cpu_seconds": history["epoch_cpu_seconds"],
    }


def summarise(timings: dict, batch_sizes) -> list[dict]:
    """Per batch size: mean ± std over repeats of the median epoch (after the first),
    for each clock and framework, their ratio, and the first epoch apart."""
    rows = []
    for bs in batch_sizes:
        row = {"batch_size": bs}
        for clock in ("cpu", "wall"):
            medians = {
                name: np.array([np.median(t[1:]) for t in timings[(bs, name, clock)]])
                for name in ("numpy", "keras")
            }
            row[clock] = {name: mean_std(v) for name, v in medians.items()}
            row[clock]["ratio"] = mean_std(medians["numpy"] / medians["keras"])
            row[clock]["first_epoch"] = {
                name: mean_std([t[0] for t in timings[(bs, name, clock)]])
                for name in ("numpy", "keras")
            }
        rows.append(row)
    return rows


def bench_figure(rows: list[dict]):
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


def parse_args(argv=None) -> tuple[Config, Path]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeats",
        type=positive_int,
        default=3,
        help="timings per batch size and framework (default: 3)",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=4,
        help="epochs per timing, the first reported apart (default: 4)",
    )
    add_output_arguments(
        parser, "batch sizes 10 and 100, 2 epochs, 1 repeat; writes under runs/quick"
    )
    args = parser.parse_args(argv)
    cfg = Config(repeats=args.repeats, epochs=args.epochs)
    if args.quick:
        cfg = Config(batch_sizes=(10, 100), epochs=2, repeats=1, quick=True)
    root = results_root(args)
    return cfg, root


def main(argv=None) -> None:
    cfg, root = parse_args(argv)
    tf.config.threading.set_intra_op_parallelism_threads(cfg.threads)
    tf.config.threading.set_inter_op_parallelism_threads(cfg.threads)
    start = time.perf_counter()
    data = load_data(cfg.train_per_class, 10, cfg.data_seed)
    x, y = data.x_train, data.y_train
    timings = {
        (bs, name, clock): []
        for bs in cfg.batch_sizes
        for name in ("numpy", "keras")
        for clock in ("cpu", "wall")
    }
    jit = None
    with threadpool_limits(cfg.threads):
        for seed in range(cfg.repeats):
            for bs in cfg.batch_sizes:
                set_seed(seed)
                measured = {
                    "numpy": numpy_epoch_seconds(
                        x, y, bs, cfg.epochs, cfg.learning_rate, seed
                    ),
                    "keras": keras_epoch_seconds(
                        build_network(seed=seed),
                        x,
                        y,
                        batch_size=bs,
                        epochs=cfg.epochs,
                        seed=seed,
                        learning_rate=cfg.learning_rate,
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
                print(
                    f"seed {seed} batch {bs}: CPU s/epoch numpy {cpu['numpy']:.3f}, "
                    f"keras {cpu['keras']:.3f}",
                    flush=True,
                )
    rows = summarise(timings, cfg.batch_sizes)

    def cell(value, digits=3):
        return f"{value['mean']:.{digits}f} ± {value['std']:.{digits}f}"

    table = {
        "columns": [
            "batch",
            "NumPy CPU s/epoch",
            "Keras CPU s/epoch",
            "NumPy / Keras (CPU)",
            "NumPy / Keras (wall)",
            "Keras first epoch (CPU s)",
        ],
        "rows": [
            [
                r["batch_size"],
                cell(r["cpu"]["numpy"]),
                cell(r["cpu"]["keras"]),
                cell(r["cpu"]["ratio"], 2),
                cell(r["wall"]["ratio"], 2),
                cell(r["cpu"]["first_epoch"]["keras"], 2),
            ]
            for r in rows
        ],
    }
    worst = max(r["cpu"]["ratio"]["mean"] for r in rows)
    best = min(r["cpu"]["ratio"]["mean"] for r in rows)
    result = {
        "rows": rows,
        "table": table,
        "keras_jit_compile": jit,
        "worst_cpu_ratio": worst,
        "best_cpu_ratio": best,
        "within_target": worst <= cfg.target_ratio,
    }
    wall = time.perf_counter() - start
    path = write_result(
        "bench_scratch", "summary", result, config=cfg, wall_seconds=wall, root=root
    )
    save_figure(bench_figure(rows), "bench_scratch", "bench", root)
    print(
        f"NumPy/Keras CPU-time ratio {best:.2f} to {worst:.2f}; wrote {path} in {wall:.0f} s"
    )


if __name__ == "__main__":
    main()
