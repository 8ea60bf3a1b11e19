"""Runs the benchmark: one worker process per variant, timed in turn, side by side.

All workers live for the whole run. For every repetition and network, each
variant times `steps` training steps while the others wait (blocked on their
input, using no CPU); the order of the variants rotates from one repetition
to the next, so slow drifts of the machine's load hit all of them alike.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tfcnn.bench.networks import BenchNetwork, layer_specs
from tfcnn.bench.variants import Variant


class WorkerError(RuntimeError):
    """A worker process failed; the message names its log file."""


class Worker:
    """A `tfcnn.bench.worker` process running one variant.

    Args:
        variant: the settings of the process.
        log_path: where its stderr goes. Defaults to a file in /tmp.
    """

    def __init__(self, variant: Variant, log_path: Path | None = None):
        self.variant = variant
        self.log_path = Path(log_path or f"/tmp/tfcnn_bench_{variant.name}.log")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tfcnn.bench.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env={**os.environ, **variant.environment()},
        )
        # Answered once the framework is imported: `receive` waits for it, so
        # that all workers can start at once.
        self.send(variant=dataclasses.asdict(variant))

    def send(self, **command) -> None:
        """Sends one command (answered in order)."""
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def request(self, **command) -> dict:
        """Sends one command and waits for its answer."""
        self.send(**command)
        return self.receive()

    def receive(self) -> dict:
        """The answer to the oldest command not yet answered."""
        line = self.process.stdout.readline()
        if not line:
            raise WorkerError(
                f"worker {self.variant.name} exited; see {self.log_path} for why."
            )
        reply = json.loads(line)
        if "error" in reply:
            raise WorkerError(
                f"worker {self.variant.name}: {reply['error']} (log: {self.log_path})"
            )
        return reply

    def close(self) -> None:
        """Asks the process to stop and waits for it."""
        if self.process.poll() is None:
            try:
                self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.process.stdin.flush()
            except BrokenPipeError:
                pass
            self.process.wait(timeout=60)
        self._log.close()


def wait_for_quiet(seconds: float, quiet_load: float = 0.5, poll: float = 15.0) -> bool:
    """Waits until the 1-minute load average is at most `quiet_load`, or `seconds` pass.

    Args:
        seconds: the longest wait.
        quiet_load: the load average of a quiet machine. Defaults to 0.5.
        poll: seconds between looks. Defaults to 15.

    Returns:
        Whether the machine is quiet now.
    """
    deadline = time.monotonic() + seconds
    while os.getloadavg()[0] > quiet_load and time.monotonic() < deadline:
        print(f"load average {os.getloadavg()[0]:.2f}: waiting for a quiet machine",
              flush=True)  # fmt: skip
        time.sleep(poll)
    return os.getloadavg()[0] <= quiet_load


def spread(values) -> dict:
    """`{"median", "min", "max", "n"}` of a list of numbers."""
    values = np.asarray(values, dtype=np.float64)
    return {
        "median": float(np.median(values)),
        "min": float(values.min()),
        "max": float(values.max()),
        "n": int(values.size),
    }


def run_benchmark(
    variants: list[Variant],
    networks: list[BenchNetwork],
    *,
    repeats: int,
    steps: dict[str, int],
    warmup_steps: int = 20,
    log_dir: Path | None = None,
    progress=print,
) -> dict:
    """Times every variant on every network, interleaved.

    Args:
        variants: the settings to compare (one worker process each).
        networks: the networks.
        repeats: timed passes per variant and network.
        steps: training steps per timed pass, per network name (a multiple
            of every variant's steps per execution).
        warmup_steps: steps of each of the two untimed passes (the first
            also traces and compiles). Defaults to 20.
        log_dir: where the workers' logs go. Defaults to /tmp.
        progress: called with one line of text per timing. Defaults to print.

    Returns:
        `{"timings": {network: {variant: {"wall_ms": [...], "cpu_ms": [...],
        "loss": [...], "first_seconds": s}}}, "failed": {variant: error}}`,
        one list entry per repetition; a variant whose worker fails (to start
        or to prepare a network) is left out of all rounds and named in
        "failed".
    """
    for net in networks:
        for v in variants:
            for n in (steps[net.name], warmup_steps):
                if n % v.steps_per_execution:
                    raise ValueError(
                        f"{n} steps are not a multiple of {v.name}'s "
                        f"{v.steps_per_execution} steps per execution."
                    )
    log_dir = Path(log_dir or "/tmp")
    workers, failed = {}, {}
    try:
        for v in variants:
            workers[v.name] = Worker(v, log_dir / f"tfcnn_bench_{v.name}.log")
        for name, worker in workers.items():
            try:
                worker.receive()
            except WorkerError as error:
                failed[name] = str(error)
        results = {net.name: {} for net in networks}
        for net in networks:
            model = net.build()
            command = {
                "network": net.name,
                "specs": layer_specs(model),
                "input_shape": [int(d) for d in model.input_shape[1:]],
                "batch_size": net.batch_size,
                "optimizer": net.optimizer,
                "learning_rate": net.learning_rate,
                "warmup_steps": warmup_steps,
            }
            for v in variants:
                if v.name in failed:
                    continue
                started = time.perf_counter()
                try:
                    reply = workers[v.name].request(op="prepare", **command)
                except WorkerError as error:  # e.g. a compiler missing: go on without
                    failed[v.name] = str(error)
                    progress(f"{net.name:>6} {v.name:<17} FAILED: {error}")
                    continue
                results[net.name][v.name] = {
                    "wall_ms": [],
                    "cpu_ms": [],
                    "loss": [],
                    "first_seconds": reply["first_seconds"],
                }
                progress(
                    f"{net.name:>6} {v.name:<17} ready in "
                    f"{time.perf_counter() - started:.1f} s"
                )
        working = [v for v in variants if v.name not in failed]
        for repeat in range(repeats):
            for net in networks:
                shift = repeat % len(working)
                for v in working[shift:] + working[:shift]:
                    reply = workers[v.name].request(
                        op="time", network=net.name, steps=steps[net.name]
                    )
                    entry = results[net.name][v.name]
                    for key in ("wall_ms", "cpu_ms", "loss"):
                        entry[key].append(reply[key])
                    progress(
                        f"repeat {repeat + 1}/{repeats} {net.name:>6} {v.name:<17} "
                        f"{reply['wall_ms']:8.2f} ms/step (CPU {reply['cpu_ms']:.2f})"
                    )
    finally:
        for worker in workers.values():
            worker.close()
    return {"timings": results, "failed": failed}
