"""Fuzzing the readers: any bytes must read, or raise ValueError, never anything else.

Each target of `TARGETS` writes one input as a file of its kind (an IDX
file, a labels CSV, a results JSON, a checkpoint) and calls the library's
reader on it; an exception other than ValueError (a `KeyError` is allowed
where the reader documents it) is a finding, recorded with the input. An IDX
file that reads is also written back and read again, and must give the same
array.

`main` (behind `scripts/fuzz.py`) runs each target in its own process for
`--seconds`: under atheris (libFuzzer's coverage-guided mutation, starting
from a few valid files, with the readers' modules instrumented), or, when
atheris is not installed, under a plain random driver that mutates the same
valid files without coverage guidance; the results file says which. It writes
the inputs tried and the findings to `<--results-dir>/errors/fuzz.json`.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gzip
import importlib
import importlib.metadata
import inspect
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tfcnn.data import read_idx, write_idx
from tfcnn.data.folders import read_labels_csv
from tfcnn.results.bounded import read_json
from tfcnn.site import render
from tfcnn.site.catalogue import write_errors_result
from tfcnn.training.checkpoints import CHECKPOINT_FILE, TrainingBackup

# Findings kept per target (the first of each kind of exception).
MAX_FINDINGS = 20
# Modules whose code atheris instruments (the readers and what they parse with).
INSTRUMENTED = (
    "tfcnn.data.idx",
    "tfcnn.data.folders",
    "tfcnn.results.bounded",
    "tfcnn.site",
    "tfcnn.training.checkpoints",
    "gzip",
    "csv",
    "json.decoder",
    "zipfile",
    "numpy.lib.format",
    "numpy.lib._npyio_impl",
)


class IdxRoundTripError(AssertionError):
    """An IDX file read, but writing its array back and reading it differs."""


@dataclasses.dataclass(frozen=True)
class Target:
    """One reader under fuzzing: what it reads, valid inputs, and the call.

    `check(data, folder)` writes `data` under `folder` and reads it; it may
    raise only the exceptions in `allowed`.
    """

    what: str
    seeds: Callable[[], list[bytes]]
    check: Callable[[bytes, Path], None]
    allowed: tuple[type[BaseException], ...] = (ValueError,)


def _idx_seeds() -> list[bytes]:
    folder = Path(tempfile.mkdtemp())
    arrays = [np.arange(12, dtype=np.uint8).reshape(3, 4), np.ones(3, np.float64)]
    seeds = []
    for i, array in enumerate(arrays):
        write_idx(folder / f"{i}.gz", array)
        seeds.append(gzip.decompress((folder / f"{i}.gz").read_bytes()))
    return seeds


def check_idx(data: bytes, folder: Path) -> None:
    """Byte 0 odd: the rest gzip-compressed (the IDX parser); even: as it is
    (the gzip reader). A file that reads must survive a write and a read."""
    path = folder / "train-images-idx3-ubyte.gz"
    body = data[1:]
    path.write_bytes(gzip.compress(body, mtime=0) if data[:1] and data[0] % 2 else body)
    array = read_idx(path)
    write_idx(folder / "again.gz", array)
    back = read_idx(folder / "again.gz")
    if back.dtype != array.dtype or back.shape != array.shape:
        raise IdxRoundTripError(
            f"{array.dtype}{array.shape} -> {back.dtype}{back.shape}"
        )
    if back.tobytes() != array.tobytes():
        raise IdxRoundTripError(f"the values of {array.dtype}{array.shape} changed")


def _csv_seeds() -> list[bytes]:
    text = io.StringIO()
    csv.writer(text).writerows([["id", "breed"], ["a1", "pug"], ["b2", "a, b"]])
    return [text.getvalue().encode(), b"\xef\xbb\xbfid,breed\r\nx,y\r\n"]


def check_labels_csv(data: bytes, folder: Path) -> None:
    path = folder / "labels.csv"
    path.write_bytes(data)
    read_labels_csv(path)


def _json_seeds() -> list[bytes]:
    table = {"columns": ["a", "b"], "rows": [[1, 0.5], ["x", None]]}
    values = {"meta": {}, "a": [0.25, None, "x", {"b": 1}], "table": table}
    return [json.dumps(values).encode(), b'{"a": [{"n": 3, "mean": 1, "std": 0}]}']


def check_results_json(data: bytes, folder: Path) -> None:
    """`read_json`, then a page reading a value and a table of it."""
    (folder / "t").mkdir(exist_ok=True)
    (folder / "t" / "run.json").write_bytes(data)
    read_json(folder / "t" / "run.json")
    render("{{ result t/run a.0 .3g }} {{ table t/run }}", folder, "page.md")


_MODEL = []


def _tiny_model():
    """A compiled two-weight model, built once per process."""
    if not _MODEL:
        import keras

        from tfcnn.training.fit import compile_classifier

        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        _MODEL.append(compile_classifier(model))
    return _MODEL[0]


def _checkpoint_seeds() -> list[bytes]:
    folder = Path(tempfile.mkdtemp())
    backup = TrainingBackup(folder / "run")
    model = _tiny_model()
    backup.set_model(model)
    backup.set_params({"steps": 1})
    backup.restore(model, {})
    backup.on_epoch_end(0, {"loss": 1.0})
    return [(folder / "run" / CHECKPOINT_FILE).read_bytes()]


def check_checkpoint(data: bytes, folder: Path) -> None:
    (folder / "run").mkdir(exist_ok=True)
    (folder / "run" / CHECKPOINT_FILE).write_bytes(data)
    TrainingBackup(folder / "run", resume=True).restore(_tiny_model(), {})


TARGETS = {
    "idx": Target("an IDX file (.gz)", _idx_seeds, check_idx),
    "labels_csv": Target("a labels CSV file", _csv_seeds, check_labels_csv),
    "results_json": Target(
        "a results JSON file, and a page reading it",
        _json_seeds,
        check_results_json,
        (ValueError, KeyError),  # MissingResultError is a KeyError
    ),
    "checkpoint": Target("a checkpoint (.npz)", _checkpoint_seeds, check_checkpoint),
}


class Recorder:
    """Runs one target on inputs, counting them and keeping the findings."""

    def __init__(self, target: Target, folder: Path, out: Path, driver: str):
        self.target, self.folder, self.out, self.driver = target, folder, out, driver
        self.inputs, self.findings = 0, {}
        self.started = self.saved = time.monotonic()

    def __call__(self, data: bytes) -> None:
        self.inputs += 1
        if time.monotonic() - self.saved > 2:  # the counts survive a crash
            self.save()
        try:
            self.target.check(data, self.folder)
        except self.target.allowed:
            pass
        except Exception as error:  # noqa: BLE001 - any other exception is a finding
            message = str(error).replace(str(self.folder), "…")
            where = traceback.extract_tb(error.__traceback__)[-1]
            key = f"{type(error).__name__} at {where.filename}:{where.lineno}"
            if key not in self.findings and len(self.findings) < MAX_FINDINGS:
                self.findings[key] = {
                    "error": type(error).__name__,
                    "where": f"{Path(where.filename).name}:{where.lineno}",
                    "message": message[:500],
                    "input": data[:256].hex(),
                }

    def save(self) -> None:
        """Writes the report so far to `out`."""
        self.saved = time.monotonic()
        report = {
            "what": self.target.what,
            "driver": self.driver,
            "inputs": self.inputs,
            "seconds": round(self.saved - self.started, 1),
            "findings": list(self.findings.values()),
        }
        self.out.write_text(json.dumps(report))


def mutate(data: bytes, rng: random.Random) -> bytes:
    """`data` with 1 to 8 random edits: a byte changed, bytes inserted, cut or copied."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randint(0, len(data))
        edit = rng.randrange(4)
        if edit == 0 and at < len(data):
            data[at] = rng.randrange(256)
        elif edit == 1:
            data[at:at] = rng.randbytes(rng.randint(1, 16))
        elif edit == 2:
            del data[at : at + rng.randint(1, 64)]
        else:
            data[at:at] = data[at : at + rng.randint(1, 64)]
    return bytes(data)


def _instrument(names) -> None:
    """Adds atheris' coverage instrumentation to the functions of modules `names`."""
    import atheris

    for name in names:
        module = importlib.import_module(name)
        for value in vars(module).values():
            members = vars(value).values() if inspect.isclass(value) else [value]
            for member in members:
                if inspect.isfunction(member) and member.__module__ == module.__name__:
                    atheris.instrument_func(member)


def run_target(name: str, seconds: float, out: str) -> None:
    """Fuzzes target `name` for `seconds`, writing its report as JSON to `out`."""
    try:
        import atheris
    except ImportError:
        atheris = None
    with tempfile.TemporaryDirectory() as tmp:
        seeds = TARGETS[name].seeds()
        if atheris is None:
            recorder = Recorder(
                TARGETS[name], Path(tmp), Path(out), "random mutation (no coverage)"
            )
            rng = random.Random(0)
            while time.monotonic() - recorder.started < seconds:
                recorder(mutate(rng.choice(seeds), rng))
            recorder.save()
            return
        version = importlib.metadata.version("atheris")
        driver = f"atheris {version} (libFuzzer, coverage-guided)"
        recorder = Recorder(TARGETS[name], Path(tmp), Path(out), driver)
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i, seed in enumerate(seeds):
            (corpus / f"seed{i}").write_bytes(seed)

        def one_input(data: bytes) -> None:
            recorder(data)
            if time.monotonic() - recorder.started >= seconds:
                recorder.save()
                os._exit(0)  # libFuzzer never returns

        _instrument(INSTRUMENTED)
        # An input slower than 10 s, or over 2 GB of memory, stops libFuzzer.
        options = ["-max_len=4096", "-timeout=10", "-rss_limit_mb=2048"]
        atheris.Setup([sys.argv[0], *options, str(corpus)], one_input)
        atheris.Fuzz()


def _fuzz_in_process(name: str, seconds: float) -> dict:
    """`run_target` in a new process; its death (a crash, a libFuzzer limit) is
    a finding, with the last lines it printed."""
    with tempfile.TemporaryDirectory() as tmp:
        out, log = Path(tmp) / "report.json", Path(tmp) / "log.txt"
        call = (
            "from tfcnn.site.fuzzing import run_target; "
            f"run_target({name!r}, {seconds}, {str(out)!r})"
        )
        with open(log, "wb") as stderr:
            done = subprocess.run(
                [sys.executable, "-c", call], stdout=subprocess.DEVNULL, stderr=stderr
            )
        report = json.loads(out.read_text()) if out.exists() else None
        if report is None or done.returncode:
            lines = log.read_text(errors="replace").strip().splitlines()[-5:]
            report = report or {"what": TARGETS[name].what, "inputs": 0, "findings": []}
            report["findings"].append(
                {
                    "error": f"process ended with status {done.returncode}",
                    "message": "\n".join(lines),
                    "input": "",
                }
            )
    return report


def main(args: argparse.Namespace) -> None:
    """Fuzzes every target for `args.seconds`, each in its own process, and
    writes `<args.results_dir>/errors/fuzz.json`.

    Args:
        args: `seconds` per target and `results_dir` (None: `docs/results`).
    """
    started, reports = time.perf_counter(), {}
    for name in TARGETS:
        reports[name] = _fuzz_in_process(name, args.seconds)
        found = len(reports[name]["findings"])
        print(
            f"{name}: {reports[name]['inputs']:,} inputs, {found} findings", flush=True
        )
    rows = [[r["what"], r["inputs"], len(r["findings"])] for r in reports.values()]
    data = {
        "seconds_per_target": args.seconds,
        "driver": ", ".join(
            sorted({r["driver"] for r in reports.values() if "driver" in r})
        ),
        "inputs": sum(r["inputs"] for r in reports.values()),
        "findings": sum(len(r["findings"]) for r in reports.values()),
        "targets": reports,
        "table": {
            "columns": ["what is read", "inputs tried", "findings"],
            "rows": rows,
        },
    }
    path = write_errors_result("fuzz", data, started, args.results_dir)
    print(f"{data['inputs']:,} inputs, {data['findings']} findings; wrote {path}")
