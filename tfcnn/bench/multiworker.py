"""Data-parallel training over several processes, timed: `--distribute multiworker`.

A worker is `python -m tfcnn.bench.multiworker '<settings as JSON>'`: it
builds one of the benchmark's networks (`tfcnn.bench.networks`), trains it
under `tfcnn.training.devices.use_strategy("multiworker")` when `TF_CONFIG`
is set (else on its own, without a strategy) on the random images of
`tfcnn.bench.worker.random_data`, fed in order at the global batch size, and
prints one JSON line: its steps per second, wall and CPU time and, when asked
for, its final weights. The settings are

    {"network": "set_a", "batch_size": 64, "optimizer": "sgd",
     "learning_rate": 0.01, "warmup_steps": 20, "steps": 200,
     "report_weights": false}

where `batch_size` is the global batch (split across all workers' devices)
and both step counts are multiples of `tfcnn.bench.worker.BATCHES` (no
warm-up with 0: the timed steps then include tracing and connecting).

`run_workers` starts such a cluster on this machine: one process per worker,
each with its own `TF_CONFIG` naming free ports on 127.0.0.1, exactly as
separate machines would run the same command with their own `TF_CONFIG`.
`scaling` times the same training with 1, 2, ... workers.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

from tfcnn.bench.worker import BATCHES, random_data, reserve_stdout

HOST = "127.0.0.1"


def free_ports(count: int) -> list[int]:
    """`count` TCP ports of `HOST` that are free now (the OS picks them)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind((HOST, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_configs(ports: list[int]) -> list[str]:
    """The `TF_CONFIG` of each worker of a cluster on `HOST` at `ports`."""
    cluster = {"worker": [f"{HOST}:{port}" for port in ports]}
    return [
        json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        for index in range(len(ports))
    ]


def run_workers(settings: dict, workers: int, timeout: float = 120.0) -> list[dict]:
    """Runs a cluster of `workers` worker processes on this machine, to the end.

    Args:
        settings: the workers' settings (see the module's docstring).
        workers: the processes, each with its `TF_CONFIG`; 0 runs one process
            without `TF_CONFIG` and without a strategy (the reference).
        timeout: seconds the whole cluster may take. Defaults to 120.

    Returns:
        Each worker's report, in the order of its task index.

    Raises:
        RuntimeError: a worker failed or the cluster took longer than
            `timeout` (all its processes are stopped, and the message ends
            with the failing worker's standard error).
    """
    configs = tf_configs(free_ports(workers)) if workers else [None]
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    command = [sys.executable, "-m", "tfcnn.bench.multiworker", json.dumps(settings)]
    processes = [
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env if config is None else {**env, "TF_CONFIG": config},
        )
        for config in configs
    ]
    deadline = time.monotonic() + timeout
    reports = []
    try:
        for index, process in enumerate(processes):
            try:
                out, err = process.communicate(
                    timeout=max(0.0, deadline - time.monotonic())
                )
            except subprocess.TimeoutExpired:
                raise RuntimeError(
                    f"the {workers}-worker cluster took longer than {timeout:.0f} s"
                ) from None
            if process.returncode:
                raise RuntimeError(
                    f"worker {index} of {workers} failed:\n{err[-3000:]}"
                )
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.communicate()
    return reports


def train_worker(settings: dict) -> dict:
    """Trains as one worker of the cluster in `TF_CONFIG` (or alone without it).

    Args:
        settings: see the module's docstring.

    Returns:
        `{"workers", "replicas", "steps", "steps_per_second", "wall_seconds",
        "cpu_seconds", "loss"}` of the timed steps, and `"weights"` (nested
        lists) when `settings["report_weights"]`.
    """
    from tfcnn.training.devices import multiworker_cluster, use_strategy

    in_cluster = "TF_CONFIG" in os.environ
    distributed = use_strategy("multiworker" if in_cluster else "none")
    from tfcnn.bench.networks import get_network
    from tfcnn.results import set_seed
    from tfcnn.training.fit import compile_classifier

    batch, steps = settings["batch_size"], settings["steps"]
    for count in (steps, settings["warmup_steps"]):
        if count % BATCHES:
            raise ValueError(f"steps must be multiples of {BATCHES}, got {count}.")
    set_seed(0)
    model = get_network(settings["network"]).build()
    compile_classifier(model, settings["optimizer"], settings["learning_rate"])
    x, y = random_data(model.input_shape[1:], batch)

    def train(count: int):
        return model.fit(
            x, y, batch_size=batch, epochs=count // BATCHES, shuffle=False, verbose=0
        )

    if settings["warmup_steps"]:  # traces, compiles and connects the workers
        train(settings["warmup_steps"])
    wall, cpu = time.perf_counter(), time.process_time()
    history = train(steps)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    report = {
        "workers": len(multiworker_cluster()["cluster"]["worker"]) if in_cluster else 1,
        "replicas": distributed.num_replicas_in_sync,
        "steps": steps,
        "steps_per_second": steps / wall,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "loss": float(history.history["loss"][-1]),
    }
    if settings.get("report_weights"):
        report["weights"] = [w.tolist() for w in model.get_weights()]
    return report


def scaling(settings: dict, worker_counts=(1, 2), timeout: float = 300.0) -> dict:
    """The same training timed on clusters of `worker_counts` workers.

    Args:
        settings: the workers' settings (see the module's docstring).
        worker_counts: cluster sizes, each run to the end before the next.
            Defaults to (1, 2).
        timeout: seconds each cluster may take. Defaults to 300.

    Returns:
        `{count: {"steps_per_second", "wall_seconds", "cpu_seconds",
        "replicas", "loss"}}` with the slowest worker's wall time (the
        cluster moves in lockstep) and the CPU time of all workers together.
    """
    measured = {}
    for count in worker_counts:
        reports = run_workers(settings, count, timeout)
        wall = max(r["wall_seconds"] for r in reports)
        measured[str(count)] = {
            "steps_per_second": settings["steps"] / wall,
            "wall_seconds": wall,
            "cpu_seconds": sum(r["cpu_seconds"] for r in reports),
            "replicas": reports[0]["replicas"],
            "loss": reports[0]["loss"],
        }
    return measured


def main() -> None:
    out = reserve_stdout()
    out.write(json.dumps(train_worker(json.loads(sys.argv[1]))) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
