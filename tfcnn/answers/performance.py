"""The performance page: tfcnn's Keras training step against the same networks in
plain PyTorch, and whether a faster setting keeps C1's accuracy.

`main` times every variant of `tfcnn.bench.variants` on the networks of
`tfcnn.bench.networks` (`run_benchmark`) and writes bench/summary.json and
bench/bench.png; with `--accuracy VARIANT` it instead trains the C1 run under
that variant's precision for each seed and compares the final accuracies with
C1's float32 runs (bench/accuracy_<variant>*.json).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

from tfcnn import cli
from tfcnn.bench.accuracy import compare, precision_run
from tfcnn.bench.networks import NETWORKS, get_network
from tfcnn.bench.peak import fp32_peak
from tfcnn.bench.report import bench_figure, benchmark_summary
from tfcnn.bench.session import run_benchmark, wait_for_quiet
from tfcnn.bench.variants import BASELINE, REFERENCE, VARIANTS, get_variants
from tfcnn.results import read_result, save_figure, write_result

RESULT_ID = "bench"
# Above this 1-minute load average the machine is busy: its times are not the machine's.
QUIET_LOAD = 0.5
# The C1 run (deep network, 'valid', Adam 1e-4, batch 50, 20,000 steps) and its results.
C1_RUN = {
    "padding": "valid",
    "iterations": 20_000,
    "batch_size": 50,
    "optimizer": "adam",
    "learning_rate": 1e-4,
    "record_every": 500,
    "train_eval_size": 2000,
    "val_fraction": 0.1,
}
C1_RESULT = ("c1", "deep_valid_seed{seed}")


@dataclasses.dataclass
class Config:
    """The benchmark's settings (saved with the result).

    Attributes:
        networks: the networks timed (default: all of `NETWORKS`).
        variants: the settings timed (default: all of `VARIANTS`).
        repeats: rounds, each timing every variant once (default: 7).
        steps: timed training steps per pass, per network.
        warmup_steps: steps of each untimed pass (default: 100).
        target_ratio: the ratio to PyTorch the fastest setting should reach
            (default: 0.7).
        deep_experiment_steps: training steps of C1 and C2, which train
            networks of the deep network's shape (6 runs x 20,000).
    """

    networks: tuple = tuple(NETWORKS)
    variants: tuple = tuple(VARIANTS)
    repeats: int = 7
    steps: dict = dataclasses.field(
        default_factory=lambda: {"deep": 200, "set_a": 300, "set_d": 500}
    )
    warmup_steps: int = 100
    target_ratio: float = 0.7
    deep_experiment_steps: int = 6 * 20_000

    def quick(self) -> Config:
        """The smoke run: 3 variants, 2 rounds of 20 steps."""
        return dataclasses.replace(
            self,
            variants=("torch", "keras", "keras_bf16"),
            repeats=2,
            steps={"deep": 20, "set_a": 20, "set_d": 20},
            warmup_steps=10,
        )


def accuracy_check(name: str, seeds, quick: bool, root: Path) -> dict:
    """The C1 runs of `seeds` under variant `name`, then the comparison with C1.

    A seed whose run is already under `root` is read back (except with `quick`).
    """
    runs = []
    for seed in seeds:
        out = f"accuracy_{name}_seed{seed}"
        if (root / RESULT_ID / f"{out}.json").exists() and not quick:
            print(f"{out}: done already, read back", flush=True)
            runs.append(read_result(RESULT_ID, out, root))
            continue
        settings = dict(C1_RUN, iterations=1000) if quick else C1_RUN
        run = precision_run(VARIANTS[name], seed, **settings)
        write_result(RESULT_ID, out, run, config={"variant": name, "quick": quick},
                     seed=seed, wall_seconds=run["wall_seconds"], root=root)  # fmt: skip
        print(f"{out}: test accuracy {run['final']['test_accuracy']:.4f}", flush=True)
        runs.append(run)
    result_id, pattern = C1_RESULT
    reference = [read_result(result_id, pattern.format(seed=s)) for s in seeds]
    comparison = compare(runs, reference, seeds, reference_label="float32 (C1)")
    path = write_result(RESULT_ID, f"accuracy_{name}", comparison,
                        config={"variant": name, "seeds": list(seeds), "quick": quick},
                        root=root)  # fmt: skip
    difference = comparison["test_accuracy"]["difference"]
    print(
        f"test accuracy {name} - float32: {100 * difference:+.2f} points; wrote {path}"
    )
    return comparison


def time_networks(config: Config, root: Path) -> dict:
    """Runs the benchmark of `config` and writes its summary and figure under `root`."""
    started, load_before = time.perf_counter(), os.getloadavg()
    nets = [get_network(name) for name in config.networks]
    peak = fp32_peak()
    print(f"fp32 peak: {peak['formula']} ({peak['fma_units_source']})", flush=True)
    measured = run_benchmark(
        get_variants(config.variants),
        nets,
        repeats=config.repeats,
        steps=config.steps,
        warmup_steps=config.warmup_steps,
        log_dir=root / RESULT_ID / "logs",
    )
    result = benchmark_summary(
        measured,
        nets,
        peak,
        target_ratio=config.target_ratio,
        experiment_steps=config.deep_experiment_steps,
    )
    result["load_average_before"] = list(load_before)
    result["load_average_after"] = list(os.getloadavg())
    wall = time.perf_counter() - started
    path = write_result(
        RESULT_ID, "summary", result, config=config, wall_seconds=wall, root=root
    )
    figure = bench_figure(result["networks"], config.target_ratio)
    save_figure(figure, RESULT_ID, "bench", root)
    for name, net in result["networks"].items():
        best = net["variants"][net["best"]]
        print(
            f"{name}: fastest float32 tfcnn setting {net['best']} "
            f"{best['wall_ms']['median']:.2f} ms/step = "
            f"{best['ratio_to_torch']['median']:.2f} x PyTorch, "
            f"{100 * best['fraction_of_peak']:.1f} % of peak"
        )
    print(f"wrote {path} in {wall / 60:.1f} min")
    return result


def config_from_args(args: argparse.Namespace) -> Config:
    """The `Config` of `--quick`, `--repeats`, `--networks`, `--variants`; PyTorch
    (the reference) and Keras as the experiments run are always timed."""
    config = Config().quick() if args.quick else Config(repeats=args.repeats)
    variants = args.variants or list(config.variants)
    variants = [v for v in (REFERENCE, BASELINE) if v not in variants] + variants
    networks = tuple(args.networks or config.networks)
    return dataclasses.replace(config, networks=networks, variants=tuple(variants))


def main(args: argparse.Namespace) -> None:
    """The accuracy check with `--accuracy`, else the timing, on a quiet machine only
    when it writes the site's results (unless `--allow-busy`).

    Raises:
        ValueError: the machine is busy and the site's results would be written.
    """
    root = cli.results_root(args)
    if args.accuracy:  # a training run: the load changes its time, not its result
        accuracy_check(args.accuracy, args.seeds, args.quick, root)
        return
    writes_site = not args.quick and args.results_dir is None
    if writes_site and not args.allow_busy:
        if not wait_for_quiet(60 * args.wait_for_quiet, QUIET_LOAD):
            raise ValueError(
                f"the 1-minute load average is {os.getloadavg()[0]:.2f} (> {QUIET_LOAD}):"
                " the machine is busy and the times would not be the machine's. Wait "
                "for a quiet machine, or pass --results-dir or --allow-busy."
            )
    time_networks(config_from_args(args), root)
