"""Runs the benchmark: one worker process per variant, timed in turn, side by side.

All workers live for the whole run. For every repetition and network, each
variant times `steps` training steps while the others wait (blocked on their
input, using no CPU); the order of the variants rotates from one repetition
to the next, so slow drifts of the machine's load hit all of them alike.
After the timing, each PyTorch variant trains every network from the same
seeded start on real images of its data set and is tested, one at a time, so
that the report can tell which settings keep float32's accuracy.
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
from tfcnn.data.folders import cached_dataset

# Held-out images of the accuracy runs: training images that the run does not
# train on (the test set is never read, so it decides nothing).
ACCURACY_VAL_IMAGES = 2000


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


def write_accuracy_data(
    net: BenchNetwork,
    input_shape,
    path: Path,
    train_images: int,
    val_images: int = ACCURACY_VAL_IMAGES,
    seed: int = 0,
) -> Path:
    """Writes the images of `net`'s accuracy runs as an .npz (uint8 images).

    One seeded draw from the training set of `net.dataset` (read with
    `cached_dataset`): its first `val_images` are held out to compare the
    settings, and up to `train_images` of the rest are trained on (a run of
    more steps goes through them again). A draw, not a leading slice,
    because the CIFAR-10 folders list their images class by class. The test
    set is not read.

    Args:
        net: the network; its data set and `pixel_scale`.
        input_shape: the network's (H, W, C).
        path: the file written.
        train_images: training images drawn, at most all the others.
        val_images: held-out images drawn. Defaults to `ACCURACY_VAL_IMAGES`.
        seed: the seed of the draw. Defaults to 0.

    Raises:
        ValueError: the training set does not have more than `val_images`.
    """
    data = cached_dataset(net.dataset)
    available = len(data.y_train)
    if available <= val_images:
        raise ValueError(
            f"{net.dataset} has {available} training images, too few to hold out "
            f"{val_images} for {net.name}'s accuracy run; hold out fewer."
        )
    order = np.random.default_rng(seed).permutation(available)
    val, train = order[:val_images], order[val_images : val_images + train_images]
    shape = tuple(int(d) for d in input_shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        x_train=data.x_train[train].reshape(-1, *shape),
        y_train=data.y_train[train].astype(np.int64),
        x_val=data.x_train[val].reshape(-1, *shape),
        y_val=data.y_train[val].astype(np.int64),
        pixel_scale=np.float32(net.pixel_scale),
    )
    return path


def skipped_variants(
    variants: list[Variant], steps: int, warmup_steps: int, timed_only=None
) -> dict[str, str]:
    """The variants left out of a network's rounds, and why.

    Args:
        variants: the settings of the run.
        steps: timed steps per pass; a pass must be a whole number of a
            Keras variant's calls of `steps_per_execution` steps (PyTorch's
            loop runs one step per call).
        warmup_steps: steps per untimed pass (the same rule).
        timed_only: the names of the only variants to time on this network.
            Defaults to None (all of them).
    """
    skipped = {
        v.name: f"not timed on this network, to keep the run short (timed here: "
        f"{', '.join(timed_only)})"
        for v in variants
        if timed_only is not None and v.name not in timed_only
    }
    return skipped | {
        v.name: f"{v.steps_per_execution} steps per execution do not divide "
        f"{steps} timed and {warmup_steps} warm-up steps"
        for v in variants
        if v.name not in skipped
        and v.framework == "keras"
        and (steps % v.steps_per_execution or warmup_steps % v.steps_per_execution)
    }


def run_benchmark(
    variants: list[Variant],
    networks: list[BenchNetwork],
    *,
    repeats: int,
    steps: dict[str, int],
    warmup_steps: dict[str, int],
    accuracy_steps: dict[str, int] | None = None,
    timed_only: dict[str, tuple] | None = None,
    log_dir: Path | None = None,
    progress=print,
) -> dict:
    """Times every variant on every network, interleaved, then the accuracy runs.

    Args:
        variants: the settings to compare (one worker process each).
        networks: the networks.
        repeats: timed passes per variant and network.
        steps: training steps per timed pass, per network name; a variant
            whose steps per execution do not divide them is skipped there.
        warmup_steps: steps of each of the two untimed passes (the first
            also traces and compiles), per network name.
        accuracy_steps: training steps of each PyTorch variant's accuracy run,
            per network name; None (or a missing network) runs none.
            Defaults to None.
        timed_only: per network name, the only variants timed there (the others
            are skipped, with the reason); a missing network times them all.
            Defaults to None.
        log_dir: where the workers' logs and the accuracy runs' images go.
            Defaults to /tmp.
        progress: called with one line of text per timing. Defaults to print.

    Returns:
        `{"timings": {network: {variant: {"wall_ms": [...], "cpu_ms": [...],
        "loss": [...], "first_seconds": s}}}, "failed": {network: {variant:
        error}}, "skipped": {network: {variant: reason}}, "accuracy":
        {network: {variant: {"val_accuracy", "predictions", "loss",
        "seconds"} or {"error"}}}}`, one list entry per repetition. A variant
        whose worker fails to start is failed on every network; one that
        fails to prepare a network (e.g. `torch.compile` without a compiler)
        is left out of that network's rounds.
    """
    log_dir = Path(log_dir or "/tmp")
    accuracy_steps = accuracy_steps or {}
    workers, failed_to_start = {}, {}
    failed = {net.name: {} for net in networks}
    skipped = {
        net.name: skipped_variants(
            variants,
            steps[net.name],
            warmup_steps[net.name],
            (timed_only or {}).get(net.name),
        )
        for net in networks
    }
    results = {net.name: {} for net in networks}
    accuracy = {net.name: {} for net in networks}
    try:
        for v in variants:
            workers[v.name] = Worker(v, log_dir / f"tfcnn_bench_{v.name}.log")
        for name, worker in workers.items():
            try:
                worker.receive()
            except WorkerError as error:
                failed_to_start[name] = str(error)
        commands = {}
        for net in networks:
            failed[net.name].update(failed_to_start)
            model = net.build()
            commands[net.name] = command = {
                "network": net.name,
                "specs": layer_specs(model),
                "input_shape": [int(d) for d in model.input_shape[1:]],
                "batch_size": net.batch_size,
                "optimizer": net.optimizer,
                "learning_rate": net.learning_rate,
                "warmup_steps": warmup_steps[net.name],
            }
            for v in variants:
                if v.name in failed[net.name] or v.name in skipped[net.name]:
                    continue
                started = time.perf_counter()
                try:
                    reply = workers[v.name].request(op="prepare", **command)
                except WorkerError as error:  # e.g. a compiler missing: go on without
                    failed[net.name][v.name] = str(error)
                    progress(f"{net.name:>10} {v.name:<19} FAILED: {error}")
                    continue
                results[net.name][v.name] = {
                    "wall_ms": [],
                    "cpu_ms": [],
                    "loss": [],
                    "first_seconds": reply["first_seconds"],
                }
                progress(
                    f"{net.name:>10} {v.name:<19} ready in "
                    f"{time.perf_counter() - started:.1f} s"
                )
        for repeat in range(repeats):
            for net in networks:
                working = [v for v in variants if v.name in results[net.name]]
                shift = repeat % max(1, len(working))
                for v in working[shift:] + working[:shift]:
                    reply = workers[v.name].request(
                        op="time", network=net.name, steps=steps[net.name]
                    )
                    entry = results[net.name][v.name]
                    for key in ("wall_ms", "cpu_ms", "loss"):
                        entry[key].append(reply[key])
                    progress(
                        f"repeat {repeat + 1}/{repeats} {net.name:>10} {v.name:<19} "
                        f"{reply['wall_ms']:8.2f} ms/step (CPU {reply['cpu_ms']:.2f})"
                    )
        for net in networks:
            if net.name not in accuracy_steps:
                continue
            command = commands[net.name]
            data = write_accuracy_data(
                net,
                command["input_shape"],
                log_dir / f"accuracy_{net.name}.npz",
                accuracy_steps[net.name] * net.batch_size,
            )
            for v in variants:
                if v.framework != "torch" or v.name not in results[net.name]:
                    continue
                try:
                    accuracy[net.name][v.name] = reply = workers[v.name].request(
                        op="accuracy",
                        **command,
                        data=str(data),
                        steps=accuracy_steps[net.name],
                    )
                except WorkerError as error:
                    accuracy[net.name][v.name] = {"error": str(error)}
                    progress(f"{net.name:>10} {v.name:<19} accuracy FAILED: {error}")
                    continue
                progress(
                    f"{net.name:>10} {v.name:<19} validation accuracy "
                    f"{reply['val_accuracy']:.4f} after {accuracy_steps[net.name]} "
                    f"steps ({reply['seconds']:.0f} s)"
                )
    finally:
        for worker in workers.values():
            worker.close()
    return {
        "timings": results,
        "failed": failed,
        "skipped": skipped,
        "accuracy": accuracy,
        "accuracy_val_images": ACCURACY_VAL_IMAGES,
    }


def profile_layers(
    net: BenchNetwork,
    variants: list[Variant],
    *,
    repeats: int,
    log_dir: Path | None = None,
    progress=print,
) -> dict:
    """Times each layer of `net` alone (`tfcnn.bench.layer_profile`), per variant.

    Each variant runs in its own worker process; the workers profile one after
    the other, so that they never compete for the cores.

    Args:
        net: the network, profiled at its batch size.
        variants: the settings profiled (a Keras variant and PyTorch ones).
        repeats: timed calls per median.
        log_dir: where the workers' logs go. Defaults to /tmp.
        progress: called with one line of text per variant. Defaults to print.

    Returns:
        `{variant: keras_layer_times or torch_layer_times result}`.

    Raises:
        WorkerError: a worker failed.
    """
    log_dir = Path(log_dir or "/tmp")
    model = net.build()
    command = {
        "network": net.name,
        "specs": layer_specs(model),
        "input_shape": [int(d) for d in model.input_shape[1:]],
        "batch_size": net.batch_size,
        "repeats": repeats,
    }
    profiles = {}
    for v in variants:
        worker = Worker(v, log_dir / f"tfcnn_profile_{v.name}.log")
        try:
            worker.receive()
            started = time.perf_counter()
            profiles[v.name] = worker.request(op="profile", **command)
        finally:
            worker.close()
        progress(f"profiled {net.name} under {v.name} in "
                 f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    return profiles
