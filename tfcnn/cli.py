"""Argument types and options shared by the scripts, so bad values fail at once.

Each type turns the text of an option into a value or raises
`argparse.ArgumentTypeError`, which argparse shows as
`error: argument --batch-size: must be a whole number >= 1, got '0'` before
any data is loaded or any training starts.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tfcnn.checkpoints import TrainingBackup

CHECKPOINT_DIR = Path("checkpoints")
QUICK_CHECKPOINT_DIR = Path("runs/quick/checkpoints")


def positive_int(text: str) -> int:
    """A whole number >= 1 (iterations, epochs, batch sizes, widths)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (seeds, thread counts where 0 means the default)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (learning rates, time budgets)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def existing_file(text: str) -> Path:
    """A file that exists (an input the script reads)."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {path}; check the path")
    return path


def writable_dir(text: str) -> Path:
    """A folder that exists and can be written to, or can be created.

    Nothing is created here: the check looks at the nearest existing folder
    on the path, so that a run that would fail only when it writes its results
    (after hours of training) fails before it starts.
    """
    path = Path(text)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "it" if existing == path else existing
        raise argparse.ArgumentTypeError(
            f"cannot write to {path}: {where} is a file, not a folder; choose a folder"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(
            f"cannot write to {path}: no permission to write in {existing}; "
            "choose a folder you can write to"
        )
    return path


def add_resume_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds `--resume` and `--checkpoint-dir` to a training script's parser."""
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run from its checkpoint (saved after every "
        "chunk of training, deleted when the run finishes); without it, a "
        "leftover checkpoint stops the script instead of being overwritten",
    )
    parser.add_argument(
        "--checkpoint-dir",
        type=writable_dir,
        default=None,
        help=f"where checkpoints go (default: {CHECKPOINT_DIR}, or "
        f"{QUICK_CHECKPOINT_DIR} with --quick)",
    )


def training_backup(args: argparse.Namespace, *name: str) -> TrainingBackup:
    """The checkpoint of one run: `<checkpoint dir>/<name...>`, resumed with `--resume`.

    Args:
        args: parsed arguments of a parser given `add_resume_arguments`
            (and possibly `--quick`).
        *name: the run's path under the checkpoint folder, e.g. ("c1", "deep_seed0").

    Raises:
        CheckpointError: a checkpoint is there and `--resume` was not given.
    """
    quick = getattr(args, "quick", False)
    root = args.checkpoint_dir or (QUICK_CHECKPOINT_DIR if quick else CHECKPOINT_DIR)
    return TrainingBackup(root.joinpath(*name), resume=args.resume)
