"""Set D, D1 to D6: the whole study, stage by stage (see `scripts/train_scratch.py`).

A stage is one part of the study; `main` runs the chosen ones in the order of
`STAGES`. Every training run is cached (see `Study`), so rerunning a stage
reads its finished runs back.
"""

from __future__ import annotations

import argparse
import time

from tfcnn import cli
from tfcnn.answers.set_d.d1_d3_checks import write_checks
from tfcnn.answers.set_d.d3_d5_study import Config, Study
from tfcnn.answers.set_d.d4_orders import order_study
from tfcnn.answers.set_d.d5_d6_features import feature_study
from tfcnn.answers.set_d.d5_summary import d5_summary

STAGES = ("check", "tune", "sheet", "tuned", "summary", "orders", "maps")


def config_from_args(args: argparse.Namespace) -> Config:
    """The study's `Config` from `--quick`, `--seeds`, `--epochs`, `--optimizers`."""
    cfg = Config().quick() if args.quick else Config()
    if args.seeds:
        cfg.seeds = tuple(args.seeds)
    if args.epochs:
        cfg.epochs = args.epochs
    if args.optimizers:
        cfg.optimizers = tuple(o for o in cfg.optimizers if o in args.optimizers)
    return cfg


def run_stages(cfg: Config, stages, root) -> None:
    """Runs `stages` (names of `STAGES`, or "all") in the order of `STAGES`.

    Args:
        cfg: the study's configuration.
        stages: the stages to run.
        root: the results folder.
    """
    chosen = [s for s in STAGES if s in stages or "all" in stages]
    if "check" in chosen:
        write_checks(cfg, root)
    study = Study(cfg, root)
    actions = {
        "tune": study.tune,
        "sheet": lambda: study.grid("sheet"),
        "tuned": lambda: study.grid("tuned"),
        "summary": lambda: d5_summary(study),
        "orders": lambda: order_study(study),
        "maps": lambda: feature_study(study),
    }
    for stage in [s for s in chosen if s in actions]:
        print(f"== stage {stage}", flush=True)
        outcome = actions[stage]()
        if stage == "summary":
            print(f"best setting: {outcome['best']}")


def main(args: argparse.Namespace) -> None:
    """Runs the stages of `--stage` with the `Config` the options give."""
    start, root = time.perf_counter(), cli.results_root(args)
    run_stages(config_from_args(args), args.stage, root)
    print(f"done in {time.perf_counter() - start:.0f} s; results under {root}")
