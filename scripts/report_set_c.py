"""Set C: summaries, tables and figures from the per-seed runs (no training here).

Reads `docs/results/c1`, `c2` and `c3` (written by `train_mnist_deep.py` and
`search_small_mnist.py`) and writes the `summary.json` files, the parameter
tables of C1.1 and the figures that the set C page shows.

    python scripts/report_set_c.py
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from tfcnn.answers.set_c.deep_report import (
    TARGET,
    report_deep_and_linear,
    report_parameters,
)
from tfcnn.answers.set_c.small_networks import report_search
from tfcnn.answers.set_c.theory import report_theory


@dataclasses.dataclass
class Config:
    padding: str = "valid"
    target_accuracy: float = TARGET


def main(argv=None) -> None:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    started = time.perf_counter()
    config = Config()
    report_parameters()
    report_deep_and_linear(config)
    report_search(config)
    report_theory()
    print(f"set C report written in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
