"""Set D: the NumPy CNN of tfcnn.scratch, three optimisers, four mini-batch sizes.

Stages, in this order (`all` runs every one). A training run whose result file
already holds the same settings is read back, not rerun, so a stopped study
resumes, and `--optimizers` splits the training stages over two processes.

  check    D1 parameter table, D3 gradient checks    -> d1/architecture, d3/gradcheck
  tune     η for every optimiser and batch size, chosen on a validation split
           (800/200 of the 1,000 training images; the test images choose nothing)
                                                      -> d5/tuning/*, d5/tuning
  sheet    the sheet's η = 0.001 on all 1,000 images  -> d5/runs/sheet-*
  tuned    the tuned η                                -> d5/runs/tuned-*
  summary  D5 table, curves, time per epoch           -> d5/summary, d5/*.png
  orders   D4: reshuffled, fixed or class-sorted order at the best setting -> d4/*
  maps     D5 activation maps and D6 t-SNE            -> d5/activation_maps*, d6/*

    OMP_NUM_THREADS=1 nice -n 10 python scripts/train_scratch.py   # everything
    python scripts/train_scratch.py --stage tune --optimizers sgd  # part of a stage
    python scripts/train_scratch.py --quick                        # smoke run
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from tfcnn import set_seed
from tfcnn.answers.set_d.findings import d5_summary, feature_study
from tfcnn.answers.set_d.study import Study, order_study
from tfcnn.cli import add_output_arguments, non_negative_int, positive_int, results_root
from tfcnn.results import write_result
from tfcnn.scratch import checks
from tfcnn.scratch.optimizers import OPTIMIZERS

STAGES = ("check", "tune", "sheet", "tuned", "summary", "orders", "maps")


@dataclasses.dataclass
class Config:
    """Everything that defines the study (saved with every result)."""

    epochs: int = 15
    optimizers: tuple = ("sgd", "momentum", "rmsprop")
    batch_sizes: tuple = (1, 10, 32, 100)
    seeds: tuple = (0, 1, 2)  # final runs: weights and shuffling
    tuning_seeds: tuple = (100, 101)
    rates: dict = dataclasses.field(
        default_factory=lambda: {  # tuning grids; the sheet's 0.001 is always added
            "sgd": (1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1),
            "momentum": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2),
            "rmsprop": (3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
        }
    )
    grid_extensions: int = 2  # steps beyond a grid end when the best rate is there
    val_fraction: float = 0.2
    split_seed: int = 0
    train_per_class: int = 100
    test_per_class: int = 10
    data_seed: int = 0
    map_classes: tuple = (2, 5, 7)  # digits whose activation maps are shown
    target_accuracy: float = 0.85
    quick: bool = False


def quick_config() -> Config:
    """2 epochs, 2 batch sizes, 1 seed, 200 training images, 2 rates per optimiser."""
    return Config(
        epochs=2,
        batch_sizes=(10, 100),
        seeds=(0,),
        tuning_seeds=(100,),
        rates={"sgd": (1e-2, 1e-1), "momentum": (1e-3, 1e-2), "rmsprop": (3e-4, 1e-3)},
        train_per_class=20,
        quick=True,
    )


def parse_args(argv=None) -> tuple[Config, list[str], Path]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--stage",
        nargs="+",
        choices=[*STAGES, "all"],
        default=["all"],
        help="stages to run, in the order listed above (default: all)",
    )
    parser.add_argument(
        "--seeds",
        type=non_negative_int,
        nargs="+",
        default=None,
        help="seeds of weights and shuffling of the final runs (default: 0 1 2)",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help="epochs per run (default: 15)",
    )
    parser.add_argument(
        "--optimizers",
        nargs="+",
        choices=list(OPTIMIZERS),
        default=None,
        help="train only these in the tune/sheet/tuned stages, to split "
        "the work over two processes; choosing the rates and the "
        "summaries need all three (default: all three)",
    )
    add_output_arguments(
        parser, "a smoke run (see quick_config) written under runs/quick"
    )
    args = parser.parse_args(argv)
    cfg = quick_config() if args.quick else Config()
    if args.seeds:
        cfg.seeds = tuple(args.seeds)
    if args.epochs:
        cfg.epochs = args.epochs
    if args.optimizers:
        cfg.optimizers = tuple(o for o in cfg.optimizers if o in args.optimizers)
    root = results_root(args)
    stages = (
        list(STAGES) if "all" in args.stage else [s for s in STAGES if s in args.stage]
    )
    return cfg, stages, root


def main(argv=None) -> None:
    cfg, stages, root = parse_args(argv)
    start = time.perf_counter()
    if "check" in stages:
        for result_id, name, measure in (
            ("d1", "architecture", checks.architecture),
            ("d3", "gradcheck", checks.gradient_checks),
        ):
            set_seed(0)
            write_result(result_id, name, measure(), config=cfg, seed=0, root=root)
    study = Study(cfg, root)
    actions = {
        "tune": study.tune,
        "sheet": lambda: study.grid("sheet"),
        "tuned": lambda: study.grid("tuned"),
        "summary": lambda: d5_summary(study),
        "orders": lambda: order_study(study),
        "maps": lambda: feature_study(study),
    }
    for stage in [s for s in stages if s in actions]:
        print(f"== stage {stage}", flush=True)
        outcome = actions[stage]()
        if stage == "summary":
            print(f"best setting: {outcome['best']}")
    print(f"done in {time.perf_counter() - start:.0f} s; results under {root}")


if __name__ == "__main__":
    main()
