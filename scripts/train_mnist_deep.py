"""Set C, questions 1 and 2: the deep MNIST network (or its linear counterpart).

Trains conv5x5x32 - pool - conv5x5x64 - pool - dense1024 - dense10 (ReLU) with
Adam (1e-4) at batch 50 for 20,000 iterations, recording train (a fixed
2,000-image sample), validation and test accuracy and loss every 500
iterations. Writes `docs/results/<c1|c2>/<variant>_<padding>_seed<S>.json`.

    python scripts/train_mnist_deep.py                  # C1, seed 0
    python scripts/train_mnist_deep.py --linear --seed 1  # C2
    python scripts/train_mnist_deep.py --quick          # a 1,000-iteration smoke run
    python scripts/train_mnist_deep.py --resume         # continue a killed run
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from tfcnn import build_deep, set_seed
from tfcnn.analysis import linearise
from tfcnn.cli import (
    add_resume_arguments,
    non_negative_int,
    positive_int,
    training_backup,
    writable_dir,
)
from tfcnn.data.splits import load_split
from tfcnn.results import write_result
from tfcnn.training.checkpoints import TrainingBackup
from tfcnn.training.devices import add_distribute_argument, set_threads, use_strategy
from tfcnn.training.fit import train_and_record


@dataclasses.dataclass
class Config:
    linear: bool = False
    padding: str = "valid"
    iterations: int = 20_000
    batch_size: int = 50
    optimizer: str = "adam"
    learning_rate: float = 1e-4
    record_every: int = 500
    val_fraction: float = 0.1
    train_eval_size: int = 2000
    seed: int = 0
    distribute: str = "none"
    quick: bool = False


def parse_args(argv=None) -> tuple[Config, Path | None, TrainingBackup]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--linear", action="store_true", help="train the linearised network (C2)"
    )
    parser.add_argument(
        "--padding",
        choices=["valid", "same"],
        default="valid",
        help="conv padding: Keras' default 'valid' (the sheet's 'defaults') "
        "or the classic tutorial's 'same' (default: valid)",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed of weights, split and order (default: 0)",
    )
    parser.add_argument(
        "--iterations",
        type=positive_int,
        default=20_000,
        help="training steps, a multiple of 500 (default: 20000)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1,000 iterations written under runs/quick (never the site's results)",
    )
    parser.add_argument(
        "--threads",
        type=non_negative_int,
        default=0,
        help="TensorFlow threads (default: 0, all cores)",
    )
    parser.add_argument(
        "--results-dir",
        type=writable_dir,
        default=None,
        help="where to write (default: docs/results, or runs/quick with --quick)",
    )
    add_resume_arguments(parser)
    add_distribute_argument(parser)
    args = parser.parse_args(argv)
    if args.iterations % Config.record_every:
        parser.error(f"--iterations must be a multiple of {Config.record_every}")
    set_threads(args.threads)
    use_strategy(args.distribute)
    config = Config(
        linear=args.linear,
        padding=args.padding,
        seed=args.seed,
        iterations=args.iterations,
        distribute=args.distribute,
        quick=args.quick,
    )
    results_dir = args.results_dir
    if args.quick:
        config = dataclasses.replace(config, iterations=1000, record_every=250)
        results_dir = results_dir or Path("runs/quick")
    backup = training_backup(args, "c2" if config.linear else "c1", run_name(config))
    return config, results_dir, backup


def run_name(config: Config) -> str:
    variant = "linear" if config.linear else "deep"
    return f"{variant}_{config.padding}_seed{config.seed}"


def main(argv=None) -> None:
    config, results_dir, backup = parse_args(argv)
    set_seed(config.seed)
    split = load_split("mnist", config.val_fraction, config.seed)
    model = build_deep(padding=config.padding)
    if config.linear:
        model = linearise(model)
    run = train_and_record(
        model,
        split,
        iterations=config.iterations,
        batch_size=config.batch_size,
        optimizer=config.optimizer,
        learning_rate=config.learning_rate,
        record_every=config.record_every,
        seed=config.seed,
        train_eval_size=config.train_eval_size,
        callbacks=[backup],
    )
    path = write_result(
        "c2" if config.linear else "c1",
        run_name(config),
        run,
        config=config,
        seed=config.seed,
        wall_seconds=run["wall_seconds"],
        root=results_dir,
    )
    print(f"final test accuracy {run['final']['test_accuracy']:.4f}; wrote {path}")


if __name__ == "__main__":
    main()
