"""Regenerating the site's results: scripts run in sequence, timed, with progress.

`TABLE` lists every script of `scripts/` in the order that regenerates the
site, with its full and its smoke runs; `main` (behind `scripts/run_all.py`)
runs a selection of them. `run_steps` runs a list of `Step`s (a script and
its arguments), each as a child process whose output goes to a log file,
shows which step runs and for how long (one status line, refreshed every few
seconds on a terminal; a line a minute otherwise), and returns the wall time,
CPU time and exit status of each. `recorded_times` adds up the wall times that
the result files themselves record in their `meta`, which is how long the
committed results took to produce, without running anything.

A one-seed run (`--seeds N`, `seed_steps` and `run_seed`) runs every full-size
protocol of `TABLE` with the one seed N, each script writing under
`runs/seed<N>/` (`--results-dir`, and `TFCNN_RESULTS_DIR` for what a script
reads, so that the report and C4 read the C1-C3 runs of that seed). How each
script gets its seed is `SEED_OPTION`; the scripts that have no seed and run as
they are, against runs/seed<N>, are `SEEDLESS`; those left out are
`NOT_IN_A_SEED_RUN`, each with its reason. Only a complete run (no `--only`,
`--skip`, no failed step) writes `docs/results/run_all/seed<N>.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tfcnn.cli import THREADS_ENV
from tfcnn.results import (
    REPO_ROOT,
    RESULTS_ENV,
    result_path,
    results_dir,
    write_result,
)
from tfcnn.results.bounded import read_json
from tfcnn.site import markdown_table

QUICK_ROOT = Path("runs/quick")
RUNS_ROOT = Path("runs")
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
    ("train_fashion_strides.py", "A3 on the JAX backend",
     [["--stage", "final", "--recipes", "plain"]], [["--quick"]], (("KERAS_BACKEND", "jax"),)),
    ("train_fashion_optimizers.py", "A6", [[]], [["--quick"]], ()),
    ("set_b_convolutions.py", "B2.1", [[]], [["--quick"]], ()),
    ("set_b_theory.py", "B2.2, B2.3, B2.5", [[]], [["--quick"]], ()),
    ("train_cifar10.py", "B2.4, B2.5",
     [["--seeds", *SEEDS], ["--separable", "--seeds", *SEEDS]], [["--quick"]], ()),
    ("train_transfer_standin.py", "B2.6 (stand-in)", [[]], [["--quick"]], ()),
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
    ("tensorboard_screenshot.py", "the TensorBoard picture", [[]], [["--quick"]], ()),
    ("fuzz.py", "what can go wrong (fuzzing the readers)", [["--seconds", "120"]],
     [["--seconds", "5", "--results-dir", str(QUICK_ROOT)]], ()),
    ("run_notebooks.py", "the walkthrough notebooks' outputs", [[]], [], ()),
    ("bench.py", "performance (Keras against PyTorch)",
     [["--wait-for-quiet", "30"]], [["--quick"]], ()),
    ("bench_multiworker.py", "performance (past one machine)", [[]], [["--quick"]], ()),
]  # fmt: skip

# Scripts without a smoke run, and why.
NO_QUICK = {
    "run_notebooks.py": "it rewrites the notebooks in docs/notebooks in place",
}

# The option that gives a script its one seed in a one-seed run (`seed_steps`),
# in place of the seed lists of `TABLE`.
SEED_OPTION = {
    "set_a_convolution.py": "--seed",
    "set_a_losses.py": "--seed",
    "train_fashion_strides.py": "--seed",
    "train_fashion_optimizers.py": "--seed",
    "set_b_convolutions.py": "--seed",
    "set_b_theory.py": "--seed",
    "train_cifar10.py": "--seed",
    "train_transfer_standin.py": "--seed",
    "train_mnist_deep.py": "--seed",
    # One seed screens, and no other confirms; C3.3 still times seeds N+1, N+2.
    "search_small_mnist.py": "--seed",
    "train_scratch.py": "--seeds",
    # C4: one draw of 250 images (draw N, seed N), the variant chosen on it
    # alone; it reads C1's run of seed N from runs/seed<N>.
    "train_mnist_overfit.py": "--draws",
    # C5: one seed per size.
    "train_mnist_pairs.py": "--seeds",
}

# Scripts of a one-seed run that take no seed and run as they are, writing
# under runs/seed<N>, and why.
SEEDLESS = {
    "report_set_c.py": "it trains nothing: the C1-C3 tables and figures of the "
    "runs in runs/seed<N>",
    "bench_scratch.py": "no seed option: D5's time per epoch of NumPy against "
    "Keras, in CPU seconds; it reads no other result",
}

# Scripts left out of a one-seed run, and why.
NOT_IN_A_SEED_RUN = {
    "error_catalogue.py": "the error messages of the site, not an answer; no seed",
    "tensorboard_screenshot.py": "a picture of TensorBoard for the reproduce page, "
    "not an answer; it needs Chromium",
    "fuzz.py": "fuzzing the readers for a fixed time, not an answer; no seed",
    "run_notebooks.py": "it rewrites the notebooks in docs/notebooks in place and "
    "has no --results-dir",
    "bench.py": "the performance page's speed of Keras against PyTorch, not an "
    "answer; it waits for a quiet machine and has no seed",
    "bench_multiworker.py": "the performance page's steps per second on 1 and 2 "
    "workers, not an answer; no seed",
}


@dataclasses.dataclass(frozen=True)
class Step:
    """One run of a script.

    Attributes:
        script: the file name in `scripts/`.
        args: its command-line arguments.
        answers: the questions or page it feeds, for the summary.
        env: extra environment variables (e.g. `OMP_NUM_THREADS`).
    """

    script: str
    args: tuple[str, ...] = ()
    answers: str = ""
    env: tuple[tuple[str, str], ...] = ()

    @property
    def command(self) -> str:
        prefix = "".join(f"{k}={v} " for k, v in self.env)
        return f"{prefix}python scripts/{self.script} {' '.join(self.args)}".strip()

    @property
    def slug(self) -> str:
        words = [self.script.removesuffix(".py"), *self.args, *(v for _, v in self.env)]
        return "_".join(w.strip("-").replace("/", "-") for w in words if w)


# Scripts that read what others write in the same run: each of their steps
# starts only after every earlier step of these scripts has ended (a step also
# waits for the earlier steps of its own script, e.g. B2.5's separable network
# reads B2.4's run).
NEEDS = {
    "train_mnist_overfit.py": ("train_mnist_deep.py",),  # C4 starts from C1's runs
    "report_set_c.py": ("train_mnist_deep.py", "search_small_mnist.py"),
}

# Scripts whose steps need not wait for each other (the others' steps run in
# their order), and why.
SIDE_BY_SIDE = {
    "search_small_mnist.py": "each family reads and writes only its own runs "
    "(c3/shallow_*, c3/deep_*); the summary is report_set_c.py's",
}

# Seconds a script gets to end after SIGTERM when the run is interrupted.
STOP_SECONDS = 30

# The record of a step after a failure stopped the run.
NOT_RUN = {"status": "not run", "exit_status": None, "seconds": 0.0, "cpu_seconds": 0.0}


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def _last_line(path: Path, width: int = 60) -> str:
    try:
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - 2000))
            lines = f.read().decode(errors="replace").replace("\r", "\n").splitlines()
    except OSError:
        return ""
    lines = [line.strip() for line in lines if line.strip()]
    return lines[-1][:width] if lines else ""


def _needs(steps: list[Step]) -> list[set[int]]:
    """For each step, the earlier steps it waits for (`NEEDS`, and its own
    script's unless it is `SIDE_BY_SIDE`)."""

    def waits_for(step: Step) -> tuple[str, ...]:
        own = () if step.script in SIDE_BY_SIDE else (step.script,)
        return (*own, *NEEDS.get(step.script, ()))

    return [
        {j for j, earlier in enumerate(steps[:i]) if earlier.script in waits_for(step)}
        for i, step in enumerate(steps)
    ]


def threads_per_job(jobs: int, cores: int | None = None) -> dict[str, str]:
    """The thread cap of each script when `jobs` run at once: `{THREADS_ENV: n}`.

    Two scripts of two threads each on two cores lose time to each other's
    threads; capped at `cores // jobs` (at least 1) they do not. Nothing
    with one job, or when `THREADS_ENV` is already set.

    Args:
        jobs: scripts running at once.
        cores: the CPU cores this process may use. Defaults to those of
            `os.sched_getaffinity`.
    """
    if jobs < 2 or THREADS_ENV in os.environ:
        return {}
    cores = cores or len(os.sched_getaffinity(0))
    return {THREADS_ENV: str(max(1, cores // jobs))}


def run_steps(
    steps: list[Step],
    *,
    log_dir: Path,
    env: dict[str, str] | None = None,
    keep_going: bool = False,
    jobs: int = 1,
    on_step=None,
    poll_seconds: float = 2.0,
    out=None,
) -> list[dict]:
    """Runs `steps` from the repository root, `jobs` at a time, with a progress display.

    Steps start in their order; one starts only when a place is free and the
    earlier steps it waits for (`NEEDS`, and the earlier steps of its own
    script unless it is `SIDE_BY_SIDE`) have ended. With `jobs=1` they run
    one after another; with more, each script's backend threads are capped
    (`threads_per_job`) unless the script is given its own. On
    Ctrl-C (KeyboardInterrupt) the running scripts get SIGTERM (SIGKILL after
    `STOP_SECONDS`) and are recorded as "cut short", with their times so far.

    Args:
        steps: what to run.
        log_dir: each step's output goes to `<log_dir>/<nn>_<slug>.log`.
        env: extra environment variables for every step. Defaults to none.
        keep_going: go on after a failed step (else start nothing more and
            let the running steps end). Defaults to False.
        jobs: steps running at once. Defaults to 1.
        on_step: called with the records of the ended steps (in their order)
            each time one ends, e.g. to save a run's progress. Defaults to None.
        poll_seconds: how often the status line is refreshed. Defaults to 2.
        out: where progress is written. Defaults to `sys.stdout`.

    Returns:
        One dict per step, in the order of `steps`: `command`, `answers`,
        `status` ("ok", "failed (exit N)", "cut short" or "not run"),
        `exit_status` (None if not run), `seconds` (wall), `cpu_seconds`
        (user and system time of the child and of the processes it waited
        for), `log`.

    Raises:
        ValueError: `jobs` is below 1.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}; use --jobs 1 or more.")
    out = out or sys.stdout
    tty = out.isatty()
    log_dir.mkdir(parents=True, exist_ok=True)
    needs = _needs(steps)
    logs = [log_dir / f"{i:02d}_{s.slug}.log" for i, s in enumerate(steps, start=1)]
    records: dict[int, dict] = {}
    running: dict[int, tuple] = {}  # index -> (process, started, log handle)
    waiting = list(range(len(steps)))
    started_all, last_report, stop = time.perf_counter(), 0.0, False

    def end(i: int, wait_status: int, usage, cut_short: bool = False) -> None:
        process, started, handle = running.pop(i)
        handle.close()
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(wait_status)  # reaped here
        cpu_seconds = usage.ru_utime + usage.ru_stime
        if cut_short:
            status = "cut short"
        elif process.returncode == 0:
            status = "ok"
        else:
            status = f"failed (exit {process.returncode})"
        took = f"{_clock(seconds)} (CPU {_clock(cpu_seconds)})"
        line = f"    [{i + 1}] {status} {'after' if cut_short else 'in'} {took}"
        print(f"\r{line:<100}" if tty else line, file=out, flush=True)
        if status.startswith("failed"):
            print(f"    see {logs[i]}", file=out, flush=True)
        records[i] = {
            "command": steps[i].command,
            "answers": steps[i].answers,
            "log": str(logs[i]),
            "status": status,
            "exit_status": process.returncode,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
        }
        if on_step:
            on_step([records[j] for j in sorted(records)])

    try:
        while waiting or running:
            for i in list(waiting):
                if stop or len(running) >= jobs:
                    break
                if needs[i] - records.keys():
                    continue
                waiting.remove(i)
                print(
                    f"[{i + 1}/{len(steps)}] {steps[i].command}", file=out, flush=True
                )
                handle = logs[i].open("w")
                process = subprocess.Popen(
                    [sys.executable, f"scripts/{steps[i].script}", *steps[i].args],
                    cwd=REPO_ROOT,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    env={
                        **os.environ,
                        **threads_per_job(jobs),
                        **dict(steps[i].env),
                        **(env or {}),
                    },
                )
                running[i] = (process, time.perf_counter(), handle)
            if stop and not running:
                break
            time.sleep(poll_seconds)
            for i, (process, _, _) in list(running.items()):
                pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    end(i, wait_status, usage)
                    stop = stop or (records[i]["status"] != "ok" and not keep_going)
            now = time.perf_counter()
            if running and (tty or now - last_report >= 60):
                clocks = ", ".join(
                    f"[{i + 1}] {_clock(now - started)}"
                    for i, (_, started, _) in running.items()
                )
                status = (
                    f"    {clocks} (all: {_clock(now - started_all)}) "
                    f"{_last_line(logs[max(running)])}"
                )
                print(f"\r{status:<100}" if tty else status, end="" if tty else "\n",
                      file=out, flush=True)  # fmt: skip
                last_report = now
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM in `main`: stop, keep the times
        print("\n    interrupted: stopping the running scripts", file=out, flush=True)
        for process, _, _ in running.values():
            process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for i, (process, _, _) in list(running.items()):
            while not (reaped := os.wait4(process.pid, os.WNOHANG))[0]:
                if time.monotonic() > deadline:
                    process.kill()
                    reaped = os.wait4(process.pid, 0)
                    break
                time.sleep(0.05)
            end(i, reaped[1], reaped[2], cut_short=True)
    return [
        records.get(i)
        or {"command": s.command, "answers": s.answers, "log": str(logs[i]), **NOT_RUN}
        for i, s in enumerate(steps)
    ]


def summary_table(records: list[dict]) -> dict:
    """The steps with status, wall and CPU time, and a total row."""
    rows = [
        [f"`{r['command']}`", r["answers"], r["status"], _clock(r["seconds"]),
         _clock(r["cpu_seconds"])]
        for r in records
    ]  # fmt: skip
    wall, cpu = (sum(r[key] for r in records) for key in ("seconds", "cpu_seconds"))
    rows.append(["**total**", "", "", _clock(wall), _clock(cpu)])
    columns = [
        "command",
        "answers",
        "status",
        "wall time (h:mm:ss)",
        "CPU time (h:mm:ss)",
    ]
    return {"columns": columns, "rows": rows}


def seed_table(records: list[dict]) -> dict:
    """The steps of a one-seed run: wall and CPU seconds, exit status, a total row."""
    rows = [
        [f"`{r['command']}`", r["answers"], round(r["seconds"]), round(r["cpu_seconds"]),
         "not run" if r["exit_status"] is None else r["exit_status"]]
        for r in records
    ]  # fmt: skip
    wall, cpu = (sum(r[key] for r in records) for key in ("seconds", "cpu_seconds"))
    rows.append(["**total**", "", round(wall), round(cpu), ""])
    columns = ["script", "answers", "wall (s)", "CPU (s)", "exit status"]
    return {"columns": columns, "rows": rows}


def committed_result_files(root: Path) -> list[Path]:
    """The JSON files under `root` that git tracks (all of them outside a git tree)."""
    listed = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--", "."],
        capture_output=True,
        text=True,
    )
    if listed.returncode:
        return sorted(root.rglob("*.json"))
    return sorted(
        root / name for name in listed.stdout.split("\0") if name.endswith(".json")
    )


def recorded_times(paths: list[Path], root: Path) -> dict:
    """The wall times recorded in the `meta` of result files, per result id.

    A summary file (name containing "summary") is left out when other files of
    the same result id, written by the same script, record times: its time
    would count theirs twice.

    Args:
        paths: the result files.
        root: the results folder (the first folder below it is the result id).

    Returns:
        `{"total_seconds", "files", "files_with_time", "table"}`, the table
        having one row per result id and a total.
    """
    entries = []
    for path in paths:
        meta = read_json(path).get("meta", {})
        script = (meta.get("command") or "").split(" ")[0]
        entries.append(
            {
                "id": path.relative_to(root).parts[0],
                "script": script,
                "summary": "summary" in path.stem,
                "seconds": meta.get("wall_seconds"),
            }
        )
    timed_runs = {
        (e["id"], e["script"]) for e in entries if e["seconds"] and not e["summary"]
    }
    per_id: dict[str, tuple[float, int]] = {}
    for e in entries:
        double = e["summary"] and (e["id"], e["script"]) in timed_runs
        counted = e["seconds"] if e["seconds"] and not double else 0.0
        seconds, files = per_id.get(e["id"], (0.0, 0))
        per_id[e["id"]] = (seconds + counted, files + 1)
    total = sum(seconds for seconds, _ in per_id.values())
    rows = [
        [name, files, f"{seconds / 3600:.2f}"]
        for name, (seconds, files) in sorted(per_id.items())
    ]
    rows.append(["**total**", len(entries), f"{total / 3600:.2f}"])
    return {
        "total_seconds": total,
        "total_hours": total / 3600,
        "files": len(entries),
        "files_with_time": sum(1 for e in entries if e["seconds"]),
        "table": {"columns": ["result", "files", "hours recorded"], "rows": rows},
    }


def steps(quick: bool) -> list[Step]:
    """The steps of a full run (`quick` False) or of a smoke run (`quick` True)."""
    return [
        Step(script, tuple(args), answers, env)
        for script, answers, full, smoke, env in TABLE
        for args in (smoke if quick else full)
    ]


def _without_seed_options(args: list[str]) -> tuple[str, ...]:
    """`args` without `--seed S` and `--seeds S ...` (the values up to the next option)."""
    kept, in_seeds = [], False
    for arg in args:
        if arg in ("--seed", "--seeds"):
            in_seeds = True
        elif not (in_seeds and not arg.startswith("-")):
            kept.append(arg)
            in_seeds = False
    return tuple(kept)


def seed_steps(seed: int) -> list[Step]:
    """The steps of a one-seed run: the full runs of `TABLE` with seed `seed` only.

    Each step drops the table's seeds and gets `SEED_OPTION`'s option with
    `seed` instead (runs that differed only by their seed become one), and
    `--results-dir runs/seed<seed>`; `NOT_IN_A_SEED_RUN` is left out.

    Args:
        seed: the one seed.
    """
    folder = str(RUNS_ROOT / f"seed{seed}")
    chosen = []
    for script, answers, full, _, env in TABLE:
        if script in NOT_IN_A_SEED_RUN:
            continue
        option = SEED_OPTION.get(script)
        seed_args = (option, str(seed)) if option else ()
        for args in dict.fromkeys(_without_seed_options(args) for args in full):
            arguments = (*args, *seed_args, "--results-dir", folder)
            chosen.append(Step(script, arguments, answers, env))
    return chosen


def select(all_steps: list[Step], only=None, skip=None) -> list[Step]:
    """The steps whose script is in `only` (all if None or empty) and not in `skip`.

    Raises:
        ValueError: `only` or `skip` names a script that is not in the table.
    """
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


def tally(root: Path | None = None) -> Path:
    """Prints the wall times recorded by the committed results, and writes them.

    Args:
        root: the folder that receives `run_all/recorded.json`. Defaults to
            `runs/` (pass `docs/results` to refresh the site's copy).

    Returns:
        The path written.
    """
    source = results_dir()
    times = recorded_times(committed_result_files(source), source)
    times["label"] = "time the committed results took to produce"
    # Recorded relative to the repository: no path of this machine in the file.
    config = {"root": os.path.relpath(source, REPO_ROOT)}
    path = write_result(
        "run_all", "recorded", times, config=config, root=root or REPO_ROOT / "runs"
    )
    print(markdown_table(times["table"]))
    print(
        f"{times['label']}: {times['total_hours']:.1f} h over "
        f"{times['files_with_time']} of {times['files']} result files; wrote {path}"
    )
    return path


def run_seed(
    seed: int,
    chosen: list[Step],
    *,
    whole: bool,
    keep_going: bool = False,
    jobs: int = 1,
    out=None,
) -> tuple[Path, dict]:
    """Runs the steps of a one-seed run under runs/seed<seed> and writes their times.

    Every step writes its results under `runs/seed<seed>` (and reads what it
    needs from there). The times go to `docs/results/run_all/seed<seed>.json`
    (through `write_result`, so `$TFCNN_RESULTS_DIR` moves it) when the run is
    complete, else to `runs/seed<seed>/run_all/seed<seed>.json`; that file is
    also rewritten each time a step ends, so a run cut short keeps the times
    of the steps it finished (a complete run removes it: the site's file
    replaces it).

    Args:
        seed: the one seed.
        chosen: the steps, from `seed_steps(seed)`.
        whole: `chosen` is every step of the run (no `--only`, `--skip`).
        keep_going: go on after a failed step. Defaults to False.
        jobs: steps running at once (`run_steps`). Defaults to 1.
        out: where progress is written. Defaults to `sys.stdout`.

    Returns:
        The path written and what it holds: `seed`, `jobs`, `minutes` (wall),
        `cpu_minutes` (the steps' CPU time), `complete` (`whole` and every
        step ok), `ended` (steps ended so far, of `planned`), `steps`, `table`
        (`seed_table`), `left_out` (why).
    """
    base = REPO_ROOT / RUNS_ROOT / f"seed{seed}"
    config = {
        "seed": seed,
        "whole": whole,
        "keep_going": keep_going,
        "jobs": jobs,
        "threads_per_script": os.environ.get(THREADS_ENV)
        or threads_per_job(jobs).get(THREADS_ENV),
    }
    started = time.perf_counter()
    progress = result_path("run_all", f"seed{seed}", base)

    def save(records: list[dict], final: bool) -> tuple[Path, dict]:
        wall = time.perf_counter() - started
        records = [  # no path of this machine in a committed file
            {**r, "log": os.path.relpath(r["log"], REPO_ROOT)} for r in records
        ]
        complete = final and whole and all(r["status"] == "ok" for r in records)
        result = {
            "seed": seed,
            "jobs": jobs,
            "minutes": wall / 60,
            "cpu_minutes": sum(r["cpu_seconds"] for r in records) / 60,
            "complete": complete,
            "ended": sum(r["exit_status"] is not None for r in records),
            "planned": len(chosen),
            "steps": records,
            "table": seed_table(records),
            "left_out": NOT_IN_A_SEED_RUN,
        }
        path = write_result(
            "run_all",
            f"seed{seed}",
            result,
            config=config,
            seed=seed,
            wall_seconds=wall,
            root=None if complete else base,
        )
        if complete:
            progress.unlink(missing_ok=True)
        return path, result

    records = run_steps(
        chosen,
        log_dir=base / "run_all" / "logs",
        env={RESULTS_ENV: str(base)},
        keep_going=keep_going,
        jobs=jobs,
        on_step=lambda ended: save(ended, final=False),
        out=out,
    )
    return save(records, final=True)


def print_commands(chosen: list[Step]) -> None:
    """Prints the commands of `chosen`, numbered, with what each answers."""
    for index, step in enumerate(chosen, start=1):
        print(f"{index:>2}. {step.command}    # {step.answers}")


@contextlib.contextmanager
def sigterm_interrupts():
    """Within: SIGTERM raises KeyboardInterrupt, as Ctrl-C does (main thread only)."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main_one_seed(args: argparse.Namespace) -> None:
    """Runs (or with `--dry-run` lists) the one-seed run of `--seeds N`.

    Raises:
        ValueError: `--quick` is given, or `--only`/`--skip` names a script
            that a one-seed run leaves out.
    """
    if args.quick:
        raise ValueError("--seeds runs the full-size protocols; drop --quick")
    for name in [*(args.only or []), *(args.skip or [])]:
        if name in NOT_IN_A_SEED_RUN:
            raise ValueError(
                f"{name} is not in a one-seed run: {NOT_IN_A_SEED_RUN[name]}"
            )
    chosen = select(seed_steps(args.seeds), args.only, args.skip)
    for name, why in NOT_IN_A_SEED_RUN.items():
        print(f"not in a one-seed run: {name} ({why})")
    if args.dry_run:
        print_commands(chosen)
        return
    whole = not args.only and not args.skip
    with sigterm_interrupts():
        path, result = run_seed(
            args.seeds, chosen, whole=whole, keep_going=args.keep_going, jobs=args.jobs
        )
    print()
    print(markdown_table(result["table"]))
    print(f"wrote {path}" + ("" if result["complete"] else " (an incomplete run)"))
    if any(r["status"] != "ok" for r in result["steps"]):
        raise SystemExit(1)


def main(args: argparse.Namespace) -> None:
    """Runs the steps chosen by `scripts/run_all.py`'s options (or the tally)."""
    if args.tally:
        tally(args.results_dir)
        return
    if args.results_dir is not None:
        raise ValueError(
            "--results-dir goes with --tally; a run writes where each script writes"
        )
    if args.seeds is not None:
        main_one_seed(args)
        return
    chosen = select(steps(args.quick), args.only, args.skip)
    if args.quick:
        for name, why in NO_QUICK.items():
            print(f"not in a quick run: {name} ({why})")
    if args.dry_run:
        print_commands(chosen)
        return
    base = REPO_ROOT / (QUICK_ROOT if args.quick else RUNS_ROOT)
    started = time.perf_counter()
    with sigterm_interrupts():
        records = run_steps(
            chosen,
            log_dir=base / "run_all" / "logs",
            env={RESULTS_ENV: str(REPO_ROOT / QUICK_ROOT)} if args.quick else None,
            keep_going=args.keep_going,
            jobs=args.jobs,
        )
    table = summary_table(records)
    print()
    print(markdown_table(table))
    complete = (
        not args.quick
        and not args.only
        and not args.skip
        and all(r["status"] == "ok" for r in records)
    )
    options = ("quick", "only", "skip", "keep_going", "jobs")
    config = {k: getattr(args, k) for k in options}
    wall = time.perf_counter() - started
    path = write_result(
        "run_all",
        "summary",
        {"steps": records, "table": table, "total_seconds": wall},
        config=config,
        wall_seconds=wall,
        root=None if complete else base,
    )
    print(f"wrote {path}")
    if any(r["status"] != "ok" for r in records):
        raise SystemExit(1)
