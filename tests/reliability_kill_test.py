"""A run killed (SIGKILL) at any moment resumes to the same result, and no write
leaves a partial file where a reader would take it for a whole one.

`tests/killable_run.py` (a tiny training run: a checkpoint after each of its
three chunks, then its result) is started in a fresh process and killed with
SIGKILL at each moment of `MOMENTS` (drawn with a fixed seed), started again
each time (it resumes from its checkpoint, as a script with `--resume`
does), and at last left to finish. Its result is then compared with that of
a run never killed (run alongside, in another process): everything outside
the results file's `meta` block must be equal, bit for bit; that is the
recorded metrics (without their times) and the SHA-256 of the final
weights. `meta` holds wall times and the time of writing, which no two runs
share, so it is left out.

To kill a process *while* it writes a checkpoint or its result, such a run
is started with `TFCNN_PAUSE_BEFORE_RENAME` (see `tfcnn.results`): its
atomic writes of that file then announce themselves on standard error and
wait between writing the temporary file and renaming it into place, and the
test kills the process there.
"""

import json
import os
import queue
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfcnn.results import PAUSE_ENV
from tfcnn.results.bounded import check_npz, read_json

REPO = Path(__file__).resolve().parents[1]
WORKER = REPO / "tests" / "killable_run.py"
# atomic_write's temporary files: `.<file name>.<8 random characters>.tmp`.
TEMP = re.compile(r"\.(.+)\.[a-z0-9_]{8}\.tmp")
# Per kind of moment: the file whose writes pause (and for how many seconds),
# and the line after which the delay is counted (None: the process start).
KINDS = {
    "starting": (None, None),
    "checkpoint write": ("checkpoint.npz:60", r"^renaming .*/checkpoint\.npz$"),
    "result write": ("run.json:60", r"^renaming .*/run\.json$"),
    # Training kills hold the result's write too, so that on a fast machine
    # the run cannot finish before the kill.
    "training": ("run.json:60", r"^ready$"),
}


def draw_moments(seed: int = 20261122, count: int = 3) -> list[tuple[str, float]]:
    """`count` kill moments, (kind, delay in seconds), in a seeded random order:
    always one during a checkpoint write and one during the result's write.

    - "starting": `delay` after the process started (loading TensorFlow);
    - "checkpoint write" / "result write": `delay` after such a write of
      the process announced that its temporary file is complete (the write
      then waits for the kill instead of renaming);
    - "training": `delay` after TensorFlow was loaded (building the model,
      restoring the checkpoint, training, writing).
    """
    rng = random.Random(seed)
    kinds = ["checkpoint write", "result write"]
    # The result is written once a run has trained to its end, so a kill
    # there costs a whole run: one such kill, to stay within a minute.
    kinds += rng.choices(["starting", "checkpoint write", "training"], k=count - 2)
    rng.shuffle(kinds)
    delays = {
        "starting": (0.5, 4.0),
        "checkpoint write": (0.0, 0.5),
        "result write": (0.0, 0.5),
        "training": (0.2, 2.0),
    }
    return [(kind, rng.uniform(*delays[kind])) for kind in kinds]


MOMENTS = draw_moments()


def start(folder: Path, pause: str | None = None):
    """The worker on `folder` (its writes of a file paused as `pause` says),
    and a queue receiving its standard-error lines."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop(PAUSE_ENV, None)
    if pause:
        env[PAUSE_ENV] = pause
    process = subprocess.Popen(
        [sys.executable, str(WORKER), str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue = queue.Queue()

    def forward():
        for line in process.stderr:
            lines.put(line.strip())
        lines.put(None)  # the process closed its standard error

    threading.Thread(target=forward, daemon=True).start()
    return process, lines


def wait_for(lines: queue.Queue, pattern: str) -> None:
    """Waits for a line of the worker matching `pattern`; AssertionError if it ends first."""
    while True:
        line = lines.get(timeout=180)
        if line is None:
            raise AssertionError(f"the run ended before printing {pattern!r}")
        if re.search(pattern, line):
            return


def temporary_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and TEMP.fullmatch(p.name)
    )


class KillTest(tf.test.TestCase):
    def assertNoPartialFile(self, folder: Path):
        """Every file a reader would take (not a temporary file) reads whole."""
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if TEMP.fullmatch(path.name):
                continue
            if path.suffix == ".json":
                self.assertIn("meta", read_json(path), path)
            else:
                self.assertEqual(path.name, "checkpoint.npz")
                check_npz(path)
                with np.load(path) as stored:
                    state = json.loads(str(stored["state"]))
                    arrays = [stored[f"v{i}"] for i in range(len(state["shapes"]))]
                self.assertEqual([list(a.shape) for a in arrays], state["shapes"])

    def test_killed_at_random_moments_the_run_ends_as_if_never_killed(self):
        root = Path(self.get_temp_dir()) / "kills"
        reference, _ = start(root / "reference")
        folder = root / "killed"
        seen = set()
        for kind, delay in MOMENTS:
            before = set(temporary_files(folder))
            pause, after = KINDS[kind]
            process, lines = start(folder, pause)
            if after:
                wait_for(lines, after)
            time.sleep(delay)
            self.assertIsNone(process.poll(), f"the run ended before the kill ({kind})")
            process.kill()  # SIGKILL
            process.wait()
            self.assertNoPartialFile(folder)
            if pause and "renaming" in after:  # killed between write and rename
                paused = pause.rpartition(":")[0]
                new = set(temporary_files(folder)) - before
                self.assertEqual([TEMP.fullmatch(p.name)[1] for p in new], [paused])
            seen.add(kind)
        self.assertContainsSubset({"checkpoint write", "result write"}, seen)
        process, _ = start(folder)
        self.assertEqual(process.wait(timeout=120), 0)
        self.assertEqual(reference.wait(timeout=120), 0)
        result = read_json(folder / "results" / "kill" / "run.json")
        expected = read_json(root / "reference" / "results" / "kill" / "run.json")
        result.pop("meta"), expected.pop("meta")
        self.assertEqual(result, expected)
        self.assertLen(result["history"], 3)
        self.assertFalse(
            (folder / "checkpoints" / "run").exists()
        )  # deleted at the end
        for path in temporary_files(folder):  # only what kills left, never read
            self.assertTrue(path.name.startswith("."), path)


# Writes `<root>/same/<own name>.json` and `<root>/same/shared.json` 20 times
# each, once told to go. The versions and the machine in `meta` are left out
# (they would load TensorFlow); the files are written as any result is.
WRITER = """
import sys
import tfcnn.results
tfcnn.results.versions = tfcnn.results.machine = dict
root, name = sys.argv[1], sys.argv[2]
print("ready", flush=True)
sys.stdin.readline()
for i in range(20):
    for target in (name, "shared"):
        data = {"writer": name, "i": i, "padding": "x" * 500_000}
        tfcnn.results.write_result("same", target, data, root=root)
"""


class ConcurrentWritesTest(tf.test.TestCase):
    def test_two_processes_writing_one_folder_leave_whole_files(self):
        root = Path(self.get_temp_dir()) / "concurrent"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        writers = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, str(root), name],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            for name in ("a", "b")
        ]
        for writer in writers:
            self.assertEqual(writer.stdout.readline().strip(), "ready")
        for writer in writers:  # both start at once
            writer.stdin.write("go\n")
            writer.stdin.flush()
        shared, reads = root / "same" / "shared.json", 0
        while any(writer.poll() is None for writer in writers):
            if shared.exists():  # a reader meanwhile only ever sees whole files
                self.assertEqual(len(read_json(shared)["padding"]), 500_000)
                reads += 1
        self.assertGreater(reads, 0)
        for writer in writers:
            self.assertEqual(writer.wait(timeout=60), 0)
        files = sorted(p.name for p in (root / "same").iterdir())
        self.assertEqual(files, ["a.json", "b.json", "shared.json"])  # no temporary
        for name in ("a", "b"):
            stored = read_json(root / "same" / f"{name}.json")
            self.assertEqual((stored["writer"], stored["i"]), (name, 19))
        last = read_json(shared)
        self.assertEqual((last["i"], len(last["padding"])), (19, 500_000))
