"""The command line of every script: options, argument types, and the launcher.

This is the one module that defines options. A script builds its parser with
`script_parser` (or `new_parser` and the `add_*` helpers), parses, and hands
the arguments to `launch`, which imports the answer module only then: `--help`
and a bad option answer at once, before TensorFlow starts. (At module level
this module imports only `tfcnn.results`, which loads no TensorFlow.)

Each argument type turns the text of an option into a value or raises
`argparse.ArgumentTypeError`, which argparse shows as
`error: argument --batch-size: must be a whole number >= 1, got '0'` before
any data is loaded or any training starts. `launch` turns a user's mistake
(missing data, a leftover checkpoint, a results folder that is a file) into one
line on standard error and exit status 1; `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from pathlib import Path

from tfcnn.results import results_dir

CHECKPOINT_DIR = Path("checkpoints")
QUICK_ROOT = Path("runs/quick")
QUICK_CHECKPOINT_DIR = QUICK_ROOT / "checkpoints"
# The strategies of `--distribute`, made by `tfcnn.training.devices.use_strategy`.
DISTRIBUTE_CHOICES = ("none", "mirrored", "multiworker")
# The backend's thread cap of a script that is not given --threads.
THREADS_ENV = "TFCNN_THREADS"


def whole_number(text: str, minimum: int) -> int:
    """`text` as a whole number >= `minimum`, else `argparse.ArgumentTypeError`."""
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise argparse.ArgumentTypeError(
            f"must be a whole number >= {minimum}, got {text!r}"
        )
    return value


def positive_int(text: str) -> int:
    """A whole number >= 1 (iterations, epochs, batch sizes, widths)."""
    return whole_number(text, 1)


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (seeds, thread counts where 0 means the default)."""
    return whole_number(text, 0)


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


def existing_dir(text: str) -> Path:
    """A folder that exists (an input folder the script reads)."""
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {path}; check the path")
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


def new_parser(doc: str) -> argparse.ArgumentParser:
    """A parser showing the script's docstring, with `--data-dir`, `--verbose`, `--debug`.

    Args:
        doc: the script's module docstring (shown by `--help`).
    """
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir",
        type=existing_dir,
        default=None,
        help="folder holding mnist/, fashion-mnist/, cifar10-jpeg/ (default: "
        "$TFCNN_DATA_DIR, the Keras cache, /usr/share/datasets, else download)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's own log lines (hidden by default)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an error instead of its one-line message",
    )
    return parser


def add_option(parser, name: str, type, default, help: str, **more) -> None:
    """Adds option `name`, its `--help` line ending in "(default: ...)".

    Args:
        parser: the script's parser.
        name: the option, e.g. "--trials".
        type: the argument type that checks the text (e.g. `positive_int`),
            or None to keep the text.
        default: the value without the option. None adds no "(default: ...)",
            so `help` says what happens without the option.
        help: what the option sets, for `--help`.
        **more: further keywords of `add_argument` (`nargs`, `metavar`, ...).
    """
    if default is not None:
        help = f"{help} (default: {_words(default)})"
    parser.add_argument(name, type=type, default=default, help=help, **more)


def add_choice(parser, name: str, choices: list, default, help: str, **more) -> None:
    """Adds option `name`, one of `choices` (or several, with `nargs`); see `add_option`."""
    add_option(parser, name, None, default, help, choices=choices, **more)


def add_precision_argument(parser) -> None:
    """Adds `--precision` (auto, mixed_bfloat16 or float32; default auto)."""
    add_choice(
        parser,
        "--precision",
        ["auto", "mixed_bfloat16", "float32"],
        "auto",
        "Keras dtype policy; auto takes mixed_bfloat16 on a CPU with AMX matrix "
        "units, where it is faster, and float32 elsewhere",
    )


def add_flag(parser, name: str, help: str) -> None:
    """Adds the switch `name` (False unless given)."""
    parser.add_argument(name, action="store_true", help=help)


def _words(value) -> str:
    """A default as `--help` shows it: a list as its items, "0 1 2"."""
    if isinstance(value, (list, tuple)):
        return " ".join(str(item) for item in value)
    return str(value)


def script_parser(doc: str, threads: int = 0) -> argparse.ArgumentParser:
    """`new_parser` with `--seeds`, `--seed`, `--threads`, `--quick`, `--results-dir`.

    Args:
        doc: the script's module docstring (shown by `--help`).
        threads: the default of `--threads`. Defaults to 0 (all cores).
    """
    parser = new_parser(doc)
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
    add_threads_argument(parser, threads)
    add_output_arguments(
        parser,
        "a smoke run (fewer epochs, one seed), written under runs/quick, "
        "never the site's results",
    )
    add_tensorboard_argument(parser)
    return parser


def add_threads_argument(parser: argparse.ArgumentParser, default: int = 0) -> None:
    """Adds `--threads` (CPU threads of the backend; 0 means all cores).

    Args:
        parser: the script's parser.
        default: the default thread count. Defaults to 0 (all cores).
    """
    parser.add_argument(
        "--threads",
        type=non_negative_int,
        default=default,
        help=f"CPU threads of the backend, 0 for all cores (default: {default})",
    )


def add_output_arguments(parser: argparse.ArgumentParser, quick_help: str) -> None:
    """Adds `--quick` (a smoke run under runs/quick) and `--results-dir`.

    Args:
        parser: the script's parser.
        quick_help: what `--quick` shrinks, for `--help`.
    """
    parser.add_argument("--quick", action="store_true", help=quick_help)
    add_results_dir_argument(
        parser, f"where to write (default: docs/results, or {QUICK_ROOT} with --quick)"
    )


def add_results_dir_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """Adds `--results-dir` (a folder that can be written, checked before any work).

    Args:
        parser: the script's parser.
        help: what goes there and the default, for `--help`.
    """
    parser.add_argument("--results-dir", type=writable_dir, default=None, help=help)


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


def add_distribute_argument(parser: argparse.ArgumentParser) -> None:
    """Adds `--distribute` (a `tf.distribute` strategy, see `tfcnn.training.devices`).

    Args:
        parser: the script's parser.
    """
    parser.add_argument(
        "--distribute",
        choices=DISTRIBUTE_CHOICES,
        default="none",
        help="'mirrored': tf.distribute.MirroredStrategy over all GPUs (or all "
        "logical CPU devices); 'multiworker': "
        "tf.distribute.MultiWorkerMirroredStrategy over the machines of TF_CONFIG "
        "(run the same command on each, with its own TF_CONFIG); the batch is "
        "split across them (default: none, one device, a GPU when present)",
    )


def add_tensorboard_argument(parser: argparse.ArgumentParser) -> None:
    """Adds `--tensorboard DIR` (TensorBoard events of every run; off by default).

    Args:
        parser: a training script's parser.
    """
    parser.add_argument(
        "--tensorboard",
        type=writable_dir,
        default=None,
        metavar="DIR",
        help="also write each run's recorded accuracy and loss as TensorBoard "
        "events, one folder per run under DIR; watch with `tensorboard --logdir "
        "DIR` (default: off)",
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


def training_backup(args: argparse.Namespace, *name: str):
    """The checkpoint of one run: `<checkpoint dir>/<name...>`, resumed with `--resume`.

    Args:
        args: parsed arguments of a parser given `add_resume_arguments`
            (and possibly `--quick`).
        *name: the run's path under the checkpoint folder, e.g. ("c1", "deep_seed0").

    Raises:
        CheckpointError: a checkpoint is there and `--resume` was not given.
    """
    from tfcnn.training.checkpoints import TrainingBackup

    quick = getattr(args, "quick", False)
    root = args.checkpoint_dir or (QUICK_CHECKPOINT_DIR if quick else CHECKPOINT_DIR)
    return TrainingBackup(root.joinpath(*name), resume=args.resume)


# The mistakes a user can make (missing or damaged data, a leftover checkpoint,
# a bad value, a folder that cannot be written): one line and exit status 1.
USER_ERRORS = (ValueError, OSError, FloatingPointError)


def quiet_tensorflow(verbose: bool = False) -> bool:
    """Hides TensorFlow's C++ log unless `verbose` or the user set `TF_CPP_MIN_LOG_LEVEL`.

    Returns:
        Whether the log is hidden (then `launch` also hides the lines that
        TensorFlow's start-up writes before it reads the level).
    """
    if verbose or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        return False
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    return True


@contextlib.contextmanager
def stderr_hidden(hide: bool = True):
    """Sends the process's standard error (file descriptor 2) to /dev/null."""
    if not hide:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def threads_from_env() -> int:
    """The thread cap of `THREADS_ENV` (e.g. set by `run_all.py --jobs 2`); 0 if unset.

    Raises:
        ValueError: the variable is not a whole number >= 0.
    """
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return 0
    if not value.isdigit():
        raise ValueError(
            f"{THREADS_ENV}={value!r} is not a thread count; set a whole number "
            f"(0 for all cores) or unset it."
        )
    return int(value)


def launch(module: str, args: argparse.Namespace) -> None:
    """Runs `main(args)` of the answer module `module`, importing it only now.

    Before the import, TensorFlow's log is silenced (unless `--verbose`),
    `--data-dir` becomes `TFCNN_DATA_DIR`, `--threads` (or, when the script
    has none or keeps all cores, `THREADS_ENV`) caps the backend and
    `--tensorboard` sets the folder of TensorBoard events.
    A user error ends the process with its one-line message and status 1;
    `--debug` shows the traceback instead.

    Args:
        module: dotted name of the module with a `main(args)` (an answer module
            of `tfcnn.answers`, or one of `tfcnn.site` for the site's scripts).
        args: the parsed arguments (of a parser made by `new_parser`).
    """
    quiet = quiet_tensorflow(getattr(args, "verbose", False))
    if getattr(args, "data_dir", None) is not None:
        os.environ["TFCNN_DATA_DIR"] = str(args.data_dir)
    try:
        with stderr_hidden(quiet):  # TensorFlow's start-up lines (cuda stubs)
            answer = importlib.import_module(module)
        threads = getattr(args, "threads", 0) or threads_from_env()
        if threads:
            from tfcnn.training.devices import set_threads

            set_threads(threads)
        if getattr(args, "tensorboard", None) is not None:
            from tfcnn.training.callbacks.tensorboard import set_log_dir

            set_log_dir(args.tensorboard)
        answer.main(args)
    except KeyboardInterrupt:
        print("\ninterrupted; a training run continues with --resume", file=sys.stderr)
        raise SystemExit(130) from None
    except USER_ERRORS as error:
        if getattr(args, "debug", False):
            raise
        message = " ".join(str(error).split())  # one line, whatever the message
        print(f"error: {message} (--debug shows the traceback)", file=sys.stderr)
        raise SystemExit(1) from None
