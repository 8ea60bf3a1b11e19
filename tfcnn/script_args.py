"""Command-line options shared by the training scripts: seeds, threads, quick mode, output."""

from __future__ import annotations

import argparse
from pathlib import Path

from tfcnn.cli import non_negative_int, positive_int, writable_dir
from tfcnn.results import results_dir

QUICK_ROOT = Path("runs/quick")


def script_parser(doc: str) -> argparse.ArgumentParser:
    """A parser showing the script's docstring, with `--seeds`, `--seed`, `--threads`,
    `--quick` and `--results-dir` already added.

    Args:
        doc: the script's module docstring (shown by `--help`).
    """
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seeds",
        type=non_negative_int,
        nargs="+",
        default=[0, 1, 2],
        help="seeds of the weights and the shuffling (default: 0 1 2)",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=None,
        help="one seed (overrides --seeds)",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=1,
        help="CPU threads of the backend (default: 1)",
    )
    add_output_arguments(
        parser,
        "a smoke run (fewer epochs, one seed), written under runs/quick, "
        "never the site's results",
    )
    return parser


def add_output_arguments(parser: argparse.ArgumentParser, quick_help: str) -> None:
    """Adds `--quick` (a smoke run under runs/quick) and `--results-dir`.

    Args:
        parser: the script's parser.
        quick_help: what `--quick` shrinks, for `--help`.
    """
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument(
        "--results-dir",
        type=writable_dir,
        default=None,
        help=f"where to write (default: docs/results, or {QUICK_ROOT} with --quick)",
    )


def seeds_of(args: argparse.Namespace) -> tuple[int, ...]:
    """`(--seed,)` if given, else `--seeds`; the first one only with `--quick`."""
    seeds = (args.seed,) if args.seed is not None else tuple(args.seeds)
    return seeds[:1] if args.quick else seeds


def results_root(args: argparse.Namespace) -> Path:
    """`--results-dir`, else `runs/quick` with `--quick`, else the site's results."""
    if args.results_dir is not None:
        return Path(args.results_dir)
    return QUICK_ROOT if args.quick else results_dir()
