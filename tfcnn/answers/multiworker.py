"""The performance page's "Past one machine": steps per second on 1 and 2 workers.

`main` starts clusters of `--distribute multiworker` workers on this machine
(`tfcnn.bench.multiworker.scaling`: one process per worker, each with its own
`TF_CONFIG` on 127.0.0.1), one cluster size after the other, each training
the set A network at the same global batch, and writes
bench/multiworker.json: per cluster size the steps per second, the wall time
of the timed steps and the CPU time of all workers.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

from tfcnn import cli
from tfcnn.bench.multiworker import scaling
from tfcnn.bench.networks import get_network
from tfcnn.results import write_result

RESULT_ID = "bench"


@dataclasses.dataclass
class Config:
    """The cluster sizes timed and the training each runs (saved with the result).

    Attributes:
        network: the benchmark network trained (default: "set_a").
        worker_counts: cluster sizes, timed one after the other (default: 1, 2).
        steps: timed training steps (default: 200).
        warmup_steps: untimed steps before them, which trace the step and
            connect the workers (default: 20).
    """

    network: str = "set_a"
    worker_counts: tuple = (1, 2)
    steps: int = 200
    warmup_steps: int = 20

    def quick(self) -> Config:
        """The smoke run: 20 timed steps."""
        return dataclasses.replace(self, steps=20)


def main(args: argparse.Namespace) -> None:
    """Times the cluster sizes of `--workers` and writes bench/multiworker.json.

    Args:
        args: `--workers`, `--steps`, `--quick` and `--results-dir`.
    """
    config = Config(worker_counts=tuple(args.workers), steps=args.steps)
    if args.quick:
        config = config.quick()
    network = get_network(config.network)
    settings = {
        "network": network.name,
        "batch_size": network.batch_size,
        "optimizer": network.optimizer,
        "learning_rate": network.learning_rate,
        "warmup_steps": config.warmup_steps,
        "steps": config.steps,
    }
    started, load_before = time.perf_counter(), os.getloadavg()
    workers = scaling(settings, config.worker_counts)
    rows = [
        [
            count,
            entry["replicas"],
            f"{entry['steps_per_second']:.1f}",
            f"{entry['wall_seconds']:.2f}",
            f"{entry['cpu_seconds']:.2f}",
        ]
        for count, entry in workers.items()
    ]
    result = {
        "network": network.label,
        "global_batch": network.batch_size,
        "workers": workers,
        "load_average_before": list(load_before),
        "table": {
            "columns": [
                "workers",
                "replicas",
                "steps / s",
                f"wall s ({config.steps} steps)",
                "CPU s (all workers)",
            ],
            "rows": rows,
        },
    }
    wall = time.perf_counter() - started
    path = write_result(
        RESULT_ID,
        "multiworker",
        result,
        config=config,
        seed=0,
        wall_seconds=wall,
        root=cli.results_root(args),
    )
    for count, entry in workers.items():
        print(f"{count} worker(s): {entry['steps_per_second']:.1f} steps/s")
    print(f"wrote {path}")
