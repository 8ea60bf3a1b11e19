"""Set C's report: the summaries, tables and figures built from stored runs.

Reads the per-seed runs of C1, C2 and C3 (`docs/results/c1`, `c2`, `c3`,
written by `scripts/train_mnist_deep.py` and `scripts/search_small_mnist.py`)
and writes C1.1's parameter tables, the `summary.json` files of C1, C2 and C3,
their figures and CT3/CT4's checks. Nothing is trained; the step times in the
summaries are measured again.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from tfcnn.answers.set_c.c1_c2_deep import (
    TARGET,
    report_deep_and_linear,
    report_parameters,
)
from tfcnn.answers.set_c.c3_small_networks import report_search
from tfcnn.answers.set_c.ct_theory import report_theory
from tfcnn.results import results_dir


@dataclasses.dataclass
class Config:
    """The report's settings, stored in its summaries.

    Args:
        padding: the padding of the C1/C2 runs to read. Defaults to "valid".
        target_accuracy: the validation accuracy of C3's search. Defaults to 0.95.
    """

    padding: str = "valid"
    target_accuracy: float = TARGET

    def quick(self) -> Config:
        """The same report: it trains nothing, so a smoke run has nothing to shrink."""
        return self


def report_set_c(config: Config, root: Path | None = None) -> None:
    """Writes every set C summary, table and figure that stored runs give.

    Args:
        config: the report's settings.
        root: the results folder. Defaults to `results_dir()`.
    """
    report_parameters(root)
    report_deep_and_linear(config.padding, config, root)
    report_search(config.target_accuracy, config, root)
    report_theory(root)


def main(args: argparse.Namespace) -> None:
    """Runs the report on `--results-dir` (default: the site's results).

    Args:
        args: the parsed options.
    """
    started = time.perf_counter()
    report_set_c(Config(), args.results_dir)
    root = args.results_dir or results_dir()
    seconds = time.perf_counter() - started
    print(f"set C report written to {root} in {seconds:.1f} s")
    if Path(root).resolve() == results_dir().resolve():
        print("next: `mkdocs serve` shows it on the set C page")
