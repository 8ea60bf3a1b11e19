"""Set B, questions B2.4 and B2.5: a fast CIFAR-10 network on two CPU cores.

Trains the airbench-style network of `tfcnn.models.cifar` (standard 3x3 convs,
or with `--separable` depthwise separable ones) on 45,000 training images with
flips and 2-pixel translations, keeping 5,000 as the validation split (the only
data any choice looks at), for a fixed number of epochs with a triangular
learning-rate schedule. The test set is evaluated once, at the end, with and
without flip test-time augmentation. A time budget stops a run that is too slow
and marks it as cut short.

Writes, per seed, `docs/results/<id>/<variant>_seed<S>.json` (history,
per-epoch times, accuracies, per-class accuracy, confusion matrix) and, over
all seeds, `<variant>_summary.json`, `<variant>_curves.png` and
`<variant>_confusion.png`, where <id> is b2-4 (standard) or b2-5 (separable)
and <variant> is "standard" or "separable", with "_float32" under
`--precision float32`. A separable summary also compares the network with the
standard one (`compared_with_standard`) when the standard summary of the same
precision has been written.

    python scripts/train_cifar10.py --seeds 0 1 2               # B2.4
    python scripts/train_cifar10.py --separable --seeds 0 1 2   # B2.5
    python scripts/train_cifar10.py --quick                     # smoke run, runs/quick
    python scripts/train_cifar10.py --seeds 0 1 2 --resume      # after a kill

With --resume, seeds whose result file holds the same configuration are read
back, and the seed that was killed continues from its last epoch's checkpoint.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import keras

from tfcnn.answers.set_b import cifar as cifar_experiment
from tfcnn.answers.set_b.cifar import (
    finished_run,
    resolve_precision,
    standard_comparison,
    summarise,
    train_one,
)
from tfcnn.answers.set_b.cifar_plots import plot_cifar_runs
from tfcnn.cli import (
    add_resume_arguments,
    non_negative_int,
    positive_float,
    positive_int,
    training_backup,
    writable_dir,
)
from tfcnn.data.folders import cached_dataset
from tfcnn.results import save_figure, write_result
from tfcnn.training.devices import add_distribute_argument, use_strategy


@dataclasses.dataclass
class Config:
    separable: bool = False
    widths: tuple[int, ...] = (48, 192, 192)
    epochs: int = 8
    batch_size: int = 512
    learning_rate_per_1024: float = 1.5
    momentum: float = 0.85
    weight_decay: float = 0.009
    label_smoothing: float = 0.2
    flip: bool = True
    translate: int = 2
    whitening: bool = True
    whitening_images: int = 5000
    batchnorm_momentum: float = 0.6
    flip_tta: bool = True
    val_fraction: float = 0.1
    precision: str = "mixed_bfloat16"
    time_budget_minutes: float = 20.0
    seeds: tuple[int, ...] = (0,)
    train_per_class: int | None = None
    val_per_class: int | None = None
    distribute: str = "none"
    quick: bool = False

    @property
    def variant(self) -> str:
        """The name of the run: standard or separable, with _float32 in float32."""
        return cifar_experiment.variant_name(self.separable, self.precision)

    @property
    def result_id(self) -> str:
        return cifar_experiment.result_id(self.separable)


def parse_args(argv=None) -> tuple[Config, Path | None, argparse.Namespace]:
    defaults = Config()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--separable", action="store_true", help="depthwise separable 3x3 convs (B2.5)"
    )
    parser.add_argument(
        "--seeds",
        type=non_negative_int,
        nargs="+",
        default=[0],
        help="seeds, one run each (default: 0)",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=None,
        help="a single seed (same as --seeds S)",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=defaults.epochs,
        help=f"epochs (default: {defaults.epochs})",
    )
    parser.add_argument(
        "--widths",
        type=positive_int,
        nargs=3,
        default=list(defaults.widths),
        help=f"filters of the three blocks (default: {' '.join(map(str, defaults.widths))})",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=defaults.batch_size,
        help=f"images per step (default: {defaults.batch_size})",
    )
    parser.add_argument(
        "--precision",
        choices=["auto", "mixed_bfloat16", "float32"],
        default="auto",
        help="Keras dtype policy; auto (the default) takes mixed_bfloat16 on a CPU "
        "with AMX matrix units, where it is faster, and float32 elsewhere, where "
        "bfloat16 is emulated and slower",
    )
    parser.add_argument(
        "--time-budget",
        type=positive_float,
        default=defaults.time_budget_minutes,
        help="minutes of training after which a run stops, marked cut short (default: 20)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 epochs on 2,000 training images, written under runs/quick (a smoke run)",
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
    config = Config(
        separable=args.separable,
        widths=tuple(args.widths),
        epochs=args.epochs,
        batch_size=args.batch_size,
        precision=resolve_precision(args.precision),
        time_budget_minutes=args.time_budget,
        seeds=(args.seed,) if args.seed is not None else tuple(args.seeds),
        quick=args.quick,
        distribute=args.distribute,
    )
    if args.quick:
        config = dataclasses.replace(
            config,
            epochs=2,
            batch_size=256,
            train_per_class=200,
            val_per_class=50,
            whitening_images=1000,
        )
        return config, args.results_dir or Path("runs/quick"), args
    return config, args.results_dir, args


def main(argv=None) -> None:
    config, results_dir, args = parse_args(argv)
    # Made before any training, so that a leftover checkpoint stops the script at once.
    backups = {
        seed: training_backup(args, config.result_id, f"{config.variant}_seed{seed}")
        for seed in config.seeds
    }
    keras.mixed_precision.set_global_policy(config.precision)
    use_strategy(config.distribute)
    started = time.perf_counter()
    data = cached_dataset("cifar10")
    print(
        f"CIFAR-10 from {data.source} (cached) in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    runs = []
    for seed in config.seeds:
        run = finished_run(config, seed, results_dir) if args.resume else None
        if run is not None:
            print(f"seed {seed}: finished already, read back", flush=True)
            runs.append(run)
            continue
        run = train_one(config, seed, data, backups[seed])
        runs.append(run)
        path = write_result(
            config.result_id,
            f"{config.variant}_seed{seed}",
            run,
            config=config,
            seed=seed,
            wall_seconds=run["train_seconds"],
            root=results_dir,
        )
        cut = " (CUT SHORT)" if run["cut_short"] else ""
        print(
            f"seed {seed}: test accuracy {run['test_accuracy_tta']:.4f} (flip TTA), "
            f"{run['test_accuracy']:.4f} (plain); val {run['val_accuracy_tta']:.4f}; "
            f"{run['train_seconds'] / 60:.1f} min{cut}; wrote {path}"
        )
    summary = summarise(config, runs, data.class_names)
    if config.separable:  # beside the standard network of the same precision
        comparison = standard_comparison(summary, config.precision, results_dir)
        if comparison is not None:
            summary["compared_with_standard"] = comparison
    path = write_result(
        config.result_id,
        f"{config.variant}_summary",
        summary,
        config=config,
        wall_seconds=time.perf_counter() - started,
        root=results_dir,
    )
    curves, confusion = plot_cifar_runs(config.variant, runs, data.class_names)
    save_figure(curves, config.result_id, f"{config.variant}_curves", root=results_dir)
    save_figure(
        confusion, config.result_id, f"{config.variant}_confusion", root=results_dir
    )
    print(f"test accuracy over seeds {summary['test_accuracy_tta']}; wrote {path}")


if __name__ == "__main__":
    main()
