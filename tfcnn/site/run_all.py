"""Regenerating the site's results: scripts run in sequence, timed, with progress.

`run_steps` runs a list of `Step`s (a script and its arguments), each as a
child process whose output goes to a log file, shows which step runs and for
how long (one status line, refreshed every few seconds on a terminal; a line
a minute otherwise), and returns the wall time and exit status of each.
`recorded_times` adds up the wall times that the result files themselves
record in their `meta`, which is how long the committed results took to
produce, without running anything.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tfcnn.results import REPO_ROOT


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


def run_steps(
    steps: list[Step],
    *,
    log_dir: Path,
    env: dict[str, str] | None = None,
    keep_going: bool = False,
    poll_seconds: float = 2.0,
    out=None,
) -> list[dict]:
    """Runs `steps` in order from the repository root, with a progress display.

    Args:
        steps: what to run.
        log_dir: each step's output goes to `<log_dir>/<nn>_<slug>.log`.
        env: extra environment variables for every step. Defaults to none.
        keep_going: go on after a failed step (else stop there). Defaults to False.
        poll_seconds: how often the status line is refreshed. Defaults to 2.
        out: where progress is written. Defaults to `sys.stdout`.

    Returns:
        One dict per step: `command`, `answers`, `status` ("ok", "failed
        (exit N)" or "not run"), `seconds`, `log`.
    """
    out = out or sys.stdout
    tty = out.isatty()
    log_dir.mkdir(parents=True, exist_ok=True)
    records, started_all, stop = [], time.perf_counter(), False
    for index, step in enumerate(steps, start=1):
        log = log_dir / f"{index:02d}_{step.slug}.log"
        record = {"command": step.command, "answers": step.answers, "log": str(log)}
        if stop:
            records.append({**record, "status": "not run", "seconds": 0.0})
            continue
        head = f"[{index}/{len(steps)}] {step.command}"
        print(head, file=out, flush=True)
        started, last_report = time.perf_counter(), 0.0
        with log.open("w") as handle:
            process = subprocess.Popen(
                [sys.executable, f"scripts/{step.script}", *step.args],
                cwd=REPO_ROOT,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env={**os.environ, **dict(step.env), **(env or {})},
            )
            while process.poll() is None:
                time.sleep(poll_seconds)
                now = time.perf_counter()
                if tty or now - last_report >= 60:
                    status = (
                        f"    {_clock(now - started)} (all: {_clock(now - started_all)}) "
                        f"{_last_line(log)}"
                    )
                    print(f"\r{status:<100}" if tty else status, end="" if tty else "\n",
                          file=out, flush=True)  # fmt: skip
                    last_report = now
        seconds = time.perf_counter() - started
        ok = process.returncode == 0
        status = "ok" if ok else f"failed (exit {process.returncode})"
        end = "\r" if tty else ""
        print(f"{end}    {status} in {_clock(seconds)}{'':<60}", file=out, flush=True)
        if not ok:
            print(f"    see {log}", file=out, flush=True)
            stop = not keep_going
        records.append({**record, "status": status, "seconds": seconds})
    return records


def summary_table(records: list[dict]) -> dict:
    """The steps with status and wall time, and a total row."""
    rows = [
        [f"`{r['command']}`", r["answers"], r["status"], _clock(r["seconds"])]
        for r in records
    ]
    rows.append(["**total**", "", "", _clock(sum(r["seconds"] for r in records))])
    return {
        "columns": ["command", "answers", "status", "wall time (h:mm:ss)"],
        "rows": rows,
    }


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
        meta = json.loads(path.read_text()).get("meta", {})
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
