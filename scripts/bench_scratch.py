"""Set D benchmark: seconds per epoch of the NumPy network and of its Keras twin.

Both train the D1 network from the same initial weights on the same 1,000
MNIST images with SGD (η = 0.001), for each mini-batch size, on one CPU
thread each (NumPy's BLAS and TensorFlow's thread pools limited to 1). The
two are timed alternately, `--repeats` times, so that both see the same
machine load. The first epoch is reported apart: for Keras it includes
tracing and compiling the training step. Not a test: the numbers depend on
the machine. Writes docs/results/bench_scratch/{summary.json,bench.png}.

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
from threadpoolctl import threadpool_limits

from tfcnn import set_seed
from tfcnn.plots import new_figure
from tfcnn.results import results_dir, save_figure, write_result
from tfcnn.scratch import build_network, make_optimizer, train
from tfcnn.scratch.experiment import load_data, mean_std
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


def numpy_epoch_seconds(
    x, y, batch_size: int, epochs: int, lr: float, seed: int
) -> list:
    """Seconds per epoch of `tfcnn.scratch.train` (no evaluation in between)."""
    network = build_network(seed=seed)
    history = train(
        network,
        make_optimizer("sgd", learning_rate=lr),
        x,
        y,
        {},
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        progress=False,
    )
    return history["epoch_seconds"]


def bench_figure(rows: list[dict]):
    """Bars of seconds per epoch (log scale) per batch size, the ratio written above."""
    fig, ax = new_figure(width=6.0, height=3.6)
    positions = np.arange(len(rows))
    for offset, name in ((-0.2, "numpy"), (0.2, "keras")):
        means = [r[name]["mean"] for r in rows]
        stds = [r[name]["std"] for r in rows]
        label = "NumPy (tfcnn.scratch)" if name == "numpy" else "Keras twin (model.fit)"
        ax.bar(positions + offset, means, 0.4, yerr=stds, capsize=3, label=label)
    for x, r in zip(positions, rows, strict=True):
        top = max(r["numpy"]["mean"], r["keras"]["mean"])
        ax.text(x, top * 1.25, f"×{r['ratio']['mean']:.2f}", ha="center", fontsize=9)
    ax.set_yscale("log")
    ax.set_xticks(positions, [str(r["batch_size"]) for r in rows])
    ax.set_xlabel("mini-batch size")
    ax.set_ylabel("seconds per epoch (1,000 images)")
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
        type=int,
        default=3,
        help="timings per batch size and framework (default: 3)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=4,
        help="epochs per timing, the first reported apart (default: 4)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="batch sizes 10 and 100, 2 epochs, 1 repeat; writes under "
        "runs/quick/results",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        help="where to write (default: docs/results; runs/quick/results with --quick)",
    )
    args = parser.parse_args(argv)
    cfg = Config(repeats=args.repeats, epochs=args.epochs)
    if args.quick:
        cfg = Config(batch_sizes=(10, 100), epochs=2, repeats=1, quick=True)
    root = args.results_dir or (
        Path("runs/quick/results") if args.quick else results_dir()
    )
    return cfg, root


def main(argv=None) -> None:
    cfg, root = parse_args(argv)
    tf.config.threading.set_intra_op_parallelism_threads(cfg.threads)
    tf.config.threading.set_inter_op_parallelism_threads(cfg.threads)
    start = time.perf_counter()
    data = load_data(cfg.train_per_class, 10, cfg.data_seed)
    x, y = data.x_train, data.y_train
    times = {(bs, name): [] for bs in cfg.batch_sizes for name in ("numpy", "keras")}
    first = {key: [] for key in times}
    jit = None
    with threadpool_limits(cfg.threads):
        for seed in range(cfg.repeats):
            for bs in cfg.batch_sizes:
                set_seed(seed)
                seconds = numpy_epoch_seconds(
                    x, y, bs, cfg.epochs, cfg.learning_rate, seed
                )
                keras = keras_epoch_seconds(
                    build_network(seed=seed),
                    x,
                    y,
                    batch_size=bs,
                    epochs=cfg.epochs,
                    learning_rate=cfg.learning_rate,
                    seed=seed,
                )
                jit = keras["jit_compile"]
                for name, values in (
                    ("numpy", seconds),
                    ("keras", keras["epoch_seconds"]),
                ):
                    first[(bs, name)].append(values[0])
                    times[(bs, name)].append(float(np.median(values[1:])))
                ratio = times[(bs, "numpy")][-1] / times[(bs, "keras")][-1]
                print(
                    f"seed {seed} batch {bs}: numpy {times[(bs, 'numpy')][-1]:.3f} s, "
                    f"keras {times[(bs, 'keras')][-1]:.3f} s, ratio {ratio:.2f}",
                    flush=True,
                )
    rows = []
    for bs in cfg.batch_sizes:
        numpy_s, keras_s = (
            np.array(times[(bs, "numpy")]),
            np.array(times[(bs, "keras")]),
        )
        rows.append(
            {
                "batch_size": bs,
                "numpy": mean_std(numpy_s),
                "keras": mean_std(keras_s),
                "ratio": mean_std(numpy_s / keras_s),
                "first_epoch": {
                    n: mean_std(first[(bs, n)]) for n in ("numpy", "keras")
                },
            }
        )
    table = {
        "columns": [
            "batch",
            "NumPy s/epoch",
            "Keras s/epoch",
            "NumPy / Keras",
            "first epoch, NumPy",
            "first epoch, Keras",
        ],
        "rows": [
            [
                r["batch_size"],
                *(
                    f"{r[n]['mean']:.3f} ± {r[n]['std']:.3f}"
                    for n in ("numpy", "keras")
                ),
                f"{r['ratio']['mean']:.2f} ± {r['ratio']['std']:.2f}",
                *(f"{r['first_epoch'][n]['mean']:.3f}" for n in ("numpy", "keras")),
            ]
            for r in rows
        ],
    }
    worst = max(r["ratio"]["mean"] for r in rows)
    result = {
        "rows": rows,
        "table": table,
        "keras_jit_compile": jit,
        "worst_ratio": worst,
        "within_target": worst <= cfg.target_ratio,
    }
    wall = time.perf_counter() - start
    path = write_result(
        "bench_scratch", "summary", result, config=cfg, wall_seconds=wall, root=root
    )
    save_figure(bench_figure(rows), "bench_scratch", "bench", root)
    print(f"worst NumPy/Keras ratio {worst:.2f}; wrote {path} in {wall:.0f} s")


if __name__ == "__main__":
    main()
