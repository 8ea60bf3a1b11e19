"""Regenerates every result of the site in one command, timing each script.

Runs the scripts of `TABLE` in order (each as a child process, its output in
a log file under runs/run_all/logs or runs/quick/run_all/logs), shows which
one runs and for how long, and ends with a table of the wall time of each.
A full run of everything (no --only/--skip) writes that table to
docs/results/run_all/summary.json. The full run trains every network at full
size: many hours on two cores, see the performance page.

With --quick every script runs in its smoke mode, writing only under
runs/quick (TFCNN_RESULTS_DIR is set to it as well): a few minutes in all.

--tally runs nothing: it adds up the wall times recorded in the `meta` of the
committed result files and writes docs/results/run_all/recorded.json.

    python scripts/run_all.py --dry-run                 # list the commands
    python scripts/run_all.py --quick                   # smoke run of all
    python scripts/run_all.py --only train_mnist_deep.py report_set_c.py
    python scripts/run_all.py                           # everything (hours)
    python scripts/run_all.py --tally                   # time of the committed results
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from tfcnn.results import REPO_ROOT, results_dir, write_result
from tfcnn.site import markdown_table
from tfcnn.site.run_all import (
    Step,
    committed_result_files,
    recorded_times,
    run_steps,
    summary_table,
)

QUICK_ROOT = Path("runs/quick")
ONE_THREAD = (("OMP_NUM_THREADS", "1"),)
SEEDS = ("0", "1", "2")

# Every script of scripts/ in the order that regenerates the site: script,
# what it answers, its full runs (argument lists), its smoke runs, environment.
TABLE = [
    ("set_a_convolution.py", "A1, A2", [[]], [["--quick"]], ()),
    ("set_a_losses.py", "A5", [[]], [["--quick"]], ()),
    ("train_fashion_strides.py", "A3, A4", [[]], [["--quick"]], ()),
    ("train_fashion_strides.py", "A3 on the PyTorch backend",
     [["--stage", "final", "--recipes", "plain"]], [["--quick"]], (("KERAS_BACKEND", "torch"),)),
    ("train_fashion_optimizers.py", "A6", [[]], [["--quick"]], ()),
    ("set_b_convolutions.py", "B2.1", [[]], [["--quick"]], ()),
    ("set_b_theory.py", "B2.2, B2.3, B2.5", [[]], [["--quick"]], ()),
    ("train_cifar10.py", "B2.4, B2.5",
     [["--seeds", *SEEDS], ["--separable", "--seeds", *SEEDS]], [["--quick"]], ()),
    ("train_mnist_deep.py", "C1, C2",
     [["--seed", s] for s in SEEDS] + [["--linear", "--seed", s] for s in SEEDS],
     [["--quick"], ["--quick", "--linear"]], ()),
    ("search_small_mnist.py", "C3",
     [["--family", "shallow"], ["--family", "deep"]],
     [["--family", "shallow", "--quick"], ["--family", "deep", "--quick"]], ()),
    ("train_mnist_overfit.py", "C (over-fitting)", [[]], [["--quick"]], ()),
    ("train_mnist_pairs.py", "C (digit pairs)", [[]], [["--quick"]], ()),
    ("report_set_c.py", "C1-C3 tables and figures", [[]], [[]], ()),
    ("train_scratch.py", "D1-D6", [[]], [["--quick"]], ONE_THREAD),
    ("bench_scratch.py", "D5 (NumPy against Keras)", [[]], [["--quick"]], ONE_THREAD),
    ("error_catalogue.py", "what can go wrong", [[]], [["--results-dir", str(QUICK_ROOT)]], ()),
    ("run_notebooks.py", "the walkthrough notebooks' outputs", [[]], [], ()),
    ("bench.py", "performance (Keras against PyTorch)",
     [["--wait-for-quiet", "30"]], [["--quick"]], ()),
]  # fmt: skip


# Scripts without a smoke run, and why.
NO_QUICK = {
    "run_notebooks.py": "it rewrites the notebooks in docs/notebooks in place",
}


def steps(quick: bool) -> list[Step]:
    """The steps of a full run, or of a quick one."""
    return [
        Step(script, tuple(args), answers, env)
        for script, answers, full, smoke, env in TABLE
        for args in (smoke if quick else full)
    ]


def select(all_steps: list[Step], only, skip) -> list[Step]:
    """The steps whose script is in `only` (all if empty) and not in `skip`."""
    known = {s.script for s in all_steps}
    for name in [*(only or []), *(skip or [])]:
        if name not in known:
            raise ValueError(
                f"no script {name!r} in the table; scripts: {sorted(known)}"
            )
    return [
        s for s in all_steps
        if (not only or s.script in only) and s.script not in (skip or [])
    ]  # fmt: skip


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="every script's smoke mode, writing only under runs/quick",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="SCRIPT",
        help="run only these scripts (file names)",
    )
    parser.add_argument(
        "--skip", nargs="+", metavar="SCRIPT", help="leave these scripts out"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list the commands and stop"
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="go on after a script fails (default: stop at the first failure)",
    )
    parser.add_argument(
        "--tally",
        action="store_true",
        help="run nothing; add up the wall times recorded in the committed results",
    )
    return parser.parse_args(argv)


@dataclasses.dataclass
class Config:
    quick: bool
    only: list | None
    skip: list | None
    keep_going: bool


def tally() -> None:
    root = results_dir()
    times = recorded_times(committed_result_files(root), root)
    times["label"] = "time the committed results took to produce"
    path = write_result("run_all", "recorded", times, config={"root": str(root)})
    print(
        f"{times['label']}: {times['total_hours']:.1f} h over "
        f"{times['files_with_time']} of {times['files']} result files; wrote {path}"
    )


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.tally:
        tally()
        return
    try:
        chosen = select(steps(args.quick), args.only, args.skip)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    if args.quick:
        for name, why in NO_QUICK.items():
            print(f"not in a quick run: {name} ({why})")
    if args.dry_run:
        for index, step in enumerate(chosen, start=1):
            print(f"{index:>2}. {step.command}    # {step.answers}")
        return
    base = REPO_ROOT / (QUICK_ROOT if args.quick else Path("runs"))
    started = time.perf_counter()
    records = run_steps(
        chosen,
        log_dir=base / "run_all" / "logs",
        env={"TFCNN_RESULTS_DIR": str(REPO_ROOT / QUICK_ROOT)} if args.quick else None,
        keep_going=args.keep_going,
    )
    table = summary_table(records)
    print()
    print(markdown_table(table))
    complete = not args.quick and not args.only and not args.skip
    root = None if complete else base
    config = Config(args.quick, args.only, args.skip, args.keep_going)
    wall = time.perf_counter() - started
    data = {"steps": records, "table": table, "total_seconds": wall}
    path = write_result(
        "run_all", "summary", data, config=config, wall_seconds=wall, root=root
    )
    print(f"wrote {path}")
    if any(r["status"] != "ok" for r in records):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
