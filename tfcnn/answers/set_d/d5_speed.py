"""Set D, D5 (speed): time per epoch of the NumPy network against its Keras twin.

Both train the set D network from the same initial weights on the same 1,000
MNIST images with SGD at the sheet's η, for each mini-batch size, on one
thread each, timed alternately (`tfcnn.bench.scratch_speed`). The comparison
uses CPU time, which other jobs on a busy machine do not inflate. Writes
bench_scratch/summary.json and bench_scratch/bench.png.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from functools import partial

from tfcnn import cli
from tfcnn.answers.set_d.d3_d5_study import load_data, sheet_learning_rate
from tfcnn.bench.scratch_speed import speed_figure, summarise_speed, time_frameworks
from tfcnn.results import save_figure, write_result
from tfcnn.results.summary import format_mean_std

RESULT_ID = "bench_scratch"


@dataclasses.dataclass
class Config:
    """The benchmark's settings (saved with the result).

    Attributes:
        batch_sizes: the mini-batch sizes timed (default: 1, 10, 32, 100).
        epochs: epochs per timing; the first is reported apart (default: 4).
        repeats: seeds 0..repeats-1, NumPy and Keras alternately (default: 3).
        learning_rate: SGD's η (default: the sheet's 0.001).
        train_per_class: training images per digit (default: 100).
        data_seed: the draw of the images (default: 0).
        threads: threads of NumPy's BLAS and of TensorFlow (default: 1).
        target_ratio: the NumPy / Keras CPU-time ratio to stay within (default: 3).
    """

    batch_sizes: tuple = (1, 10, 32, 100)
    epochs: int = 4
    repeats: int = 3
    learning_rate: float = sheet_learning_rate("sgd")
    train_per_class: int = 100
    data_seed: int = 0
    threads: int = 1
    target_ratio: float = 3.0

    def quick(self) -> Config:
        """The smoke run: batch sizes 10 and 100, 2 epochs, 1 repeat."""
        return dataclasses.replace(self, batch_sizes=(10, 100), epochs=2, repeats=1)


def speed_table(rows: list[dict]) -> dict:
    """The page's table: seconds per epoch of both, their ratios, Keras' first epoch."""
    return {
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
                format_mean_std(r["cpu"]["numpy"], ".3f"),
                format_mean_std(r["cpu"]["keras"], ".3f"),
                format_mean_std(r["cpu"]["ratio"], ".2f"),
                format_mean_std(r["wall"]["ratio"], ".2f"),
                format_mean_std(r["cpu"]["first_epoch"]["keras"], ".2f"),
            ]
            for r in rows
        ],
    }


def measure_speed(cfg: Config, root) -> dict:
    """Times both frameworks and writes the summary and figure under `root`."""
    start = time.perf_counter()
    data = load_data(cfg.train_per_class, seed=cfg.data_seed)
    timings, jit = time_frameworks(
        data.x_train,
        data.y_train,
        cfg.batch_sizes,
        epochs=cfg.epochs,
        repeats=cfg.repeats,
        learning_rate=cfg.learning_rate,
        threads=cfg.threads,
        progress=partial(print, flush=True),
    )
    rows = summarise_speed(timings, cfg.batch_sizes)
    ratios = [r["cpu"]["ratio"]["mean"] for r in rows]
    result = {
        "rows": rows,
        "table": speed_table(rows),
        "keras_jit_compile": jit,
        "worst_cpu_ratio": max(ratios),
        "best_cpu_ratio": min(ratios),
        "within_target": max(ratios) <= cfg.target_ratio,
    }
    wall = time.perf_counter() - start
    path = write_result(
        RESULT_ID, "summary", result, config=cfg, wall_seconds=wall, root=root
    )
    save_figure(speed_figure(rows), RESULT_ID, "bench", root)
    print(
        f"NumPy/Keras CPU-time ratio {min(ratios):.2f} to {max(ratios):.2f}; "
        f"wrote {path} in {wall:.0f} s"
    )
    return result


def main(args: argparse.Namespace) -> None:
    """Builds the `Config` from `--repeats`, `--epochs`, `--threads`, `--quick`, and runs it."""
    cfg = Config(repeats=args.repeats, epochs=args.epochs, threads=args.threads)
    measure_speed(cfg.quick() if args.quick else cfg, cli.results_root(args))
