"""Training-step time of tfcnn's Keras path against the same networks in plain PyTorch.

For the set C deep network (batch 50, Adam), the set A network (batch 64,
Adam) and the set D network (batch 32, SGD), times milliseconds per training
step of PyTorch (eager, float32, the reference) and of tfcnn's Keras/TensorFlow
path under several settings (steps per execution, XLA, oneDNN, threads, input
pipeline, mixed bfloat16), each in its own process, all side by side in one
run: every round times each variant once, in rotating order. Reports median
and range over rounds, the ratio to PyTorch (per round), the FLOPs of a step
(counted layer by layer, `tfcnn.bench.flops`) and the achieved FLOP/s as a
fraction of the machine's float32 peak (`tfcnn.bench.peak`).

Not a test: the numbers depend on the machine, and need a quiet one (the
script refuses to write the site's results when the 1-minute load average is
above 0.5, unless --allow-busy). Writes docs/results/bench/summary.json and
bench.png.

With --accuracy VARIANT it instead trains the C1 run (deep network, 20,000
steps) under that variant's precision for each seed and compares the final
accuracies with C1's float32 runs: docs/results/bench/accuracy_<variant>*.json.

    python scripts/bench.py                       # the full benchmark (~30 min)
    python scripts/bench.py --quick               # smoke run under runs/quick
    python scripts/bench.py --accuracy keras_bf16 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

from tfcnn.bench.accuracy import compare, deep_run
from tfcnn.bench.flops import training_step_flops
from tfcnn.bench.networks import NETWORKS, get_network
from tfcnn.bench.peak import fp32_peak
from tfcnn.bench.report import (
    bench_figure,
    best_same_numerics,
    effects_table,
    flops_check_table,
    headline,
    overhead_table,
    side_by_side_table,
    summarise_network,
    variants_table,
)
from tfcnn.bench.session import run_benchmark
from tfcnn.bench.variants import BASELINE, REFERENCE, VARIANTS, get_variants
from tfcnn.cli import (
    add_output_arguments,
    non_negative_int,
    positive_float,
    positive_int,
    results_root,
)
from tfcnn.results import read_result, save_figure, write_result

QUIET_LOAD = 0.5


@dataclasses.dataclass
class Config:
    """The benchmark's settings (saved with the result)."""

    networks: tuple = tuple(NETWORKS)
    variants: tuple = tuple(VARIANTS)
    repeats: int = 7
    steps: dict = dataclasses.field(
        default_factory=lambda: {"deep": 200, "set_a": 300, "set_d": 500}
    )
    warmup_steps: int = 100
    target_ratio: float = 0.7
    # C1 and C2 train networks of the deep network's shape: 6 runs x 20,000 steps.
    deep_experiment_steps: int = 6 * 20_000
    quick: bool = False


QUICK = Config(
    variants=("torch", "keras", "keras_bf16"),
    repeats=2,
    steps={"deep": 20, "set_a": 20, "set_d": 20},
    warmup_steps=10,
    quick=True,
)


def wait_for_quiet(seconds: float, poll: float = 15.0) -> None:
    """Waits until the 1-minute load average is at most `QUIET_LOAD`, or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while os.getloadavg()[0] > QUIET_LOAD and time.monotonic() < deadline:
        print(f"load average {os.getloadavg()[0]:.2f}: waiting for a quiet machine",
              flush=True)  # fmt: skip
        time.sleep(poll)


def parse_args(argv=None) -> tuple[Config, Path, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = Config()
    parser.add_argument(
        "--networks",
        nargs="+",
        choices=list(NETWORKS),
        default=list(defaults.networks),
        help="networks to time (default: all)",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        default=None,
        help="settings to time; 'torch' (the reference) and 'keras' (tfcnn as the "
        "experiments run) are always included "
        "(default: all)",
    )
    parser.add_argument(
        "--repeats",
        type=positive_int,
        default=defaults.repeats,
        help=f"rounds (timed passes per variant and network) (default: {defaults.repeats})",
    )
    add_output_arguments(
        parser, "3 variants, 2 rounds of 20 steps, written under runs/quick"
    )
    parser.add_argument(
        "--allow-busy",
        action="store_true",
        help=f"write the site's results even if the load average is above {QUIET_LOAD}",
    )
    parser.add_argument(
        "--wait-for-quiet",
        type=positive_float,
        default=0,
        metavar="MINUTES",
        help=f"wait up to this long for the load average to fall to {QUIET_LOAD} "
        "(e.g. after other jobs) (default: 0)",
    )
    parser.add_argument(
        "--accuracy",
        choices=[n for n, v in VARIANTS.items() if v.framework == "keras"],
        default=None,
        help="instead of timing: train the C1 run under this variant's precision "
        "and compare its accuracy with C1's float32 runs",
    )
    parser.add_argument(
        "--seeds",
        type=non_negative_int,
        nargs="+",
        default=[0, 1, 2],
        help="seeds of the --accuracy runs (default: 0 1 2)",
    )
    args = parser.parse_args(argv)
    config = QUICK if args.quick else Config(repeats=args.repeats)
    variants = args.variants or list(config.variants)
    variants = [v for v in (REFERENCE, BASELINE) if v not in variants] + variants
    config = dataclasses.replace(
        config, networks=tuple(args.networks), variants=tuple(variants)
    )
    root = results_root(args)
    writes_site = not args.quick and args.results_dir is None
    if args.accuracy:  # a training run: the load changes its time, not its result
        return config, root, args
    if writes_site and not args.allow_busy:
        wait_for_quiet(60 * args.wait_for_quiet)
    if writes_site and os.getloadavg()[0] > QUIET_LOAD and not args.allow_busy:
        parser.error(
            f"the 1-minute load average is {os.getloadavg()[0]:.2f} (> {QUIET_LOAD}): "
            "the machine is busy and the times would not be the machine's. Wait for "
            "a quiet machine, or pass --results-dir or --allow-busy."
        )
    return config, root, args


def accuracy_check(name: str, seeds, quick: bool, root: Path) -> None:
    """The C1 runs of `seeds` under variant `name`, then the comparison with C1."""
    variant = VARIANTS[name]
    runs = []
    for seed in seeds:
        out = f"accuracy_{name}_seed{seed}"
        if (root / "bench" / f"{out}.json").exists() and not quick:
            print(f"{out}: done already, read back", flush=True)
            runs.append(read_result("bench", out, root))
            continue
        run = deep_run(variant, seed, iterations=1000 if quick else None)
        write_result("bench", out, run, config={"variant": name, "quick": quick},
                     seed=seed, wall_seconds=run["wall_seconds"], root=root)  # fmt: skip
        print(f"{out}: test accuracy {run['final']['test_accuracy']:.4f}", flush=True)
        runs.append(run)
    reference = [read_result("c1", f"deep_valid_seed{s}") for s in seeds]
    comparison = compare(runs, reference, seeds)
    path = write_result("bench", f"accuracy_{name}", comparison,
                        config={"variant": name, "seeds": list(seeds), "quick": quick}, root=root)  # fmt: skip
    difference = comparison["test_accuracy"]["difference"]
    print(
        f"test accuracy {name} - float32: {100 * difference:+.2f} points; wrote {path}"
    )


def main(argv=None) -> None:
    config, root, args = parse_args(argv)
    if args.accuracy:
        accuracy_check(args.accuracy, args.seeds, args.quick, root)
        return
    started = time.perf_counter()
    load_before = os.getloadavg()
    peak = fp32_peak()
    print(f"fp32 peak: {peak['formula']} ({peak['fma_units_source']})", flush=True)
    nets = [get_network(name) for name in config.networks]
    measured = run_benchmark(
        get_variants(config.variants),
        nets,
        repeats=config.repeats,
        steps=config.steps,
        warmup_steps=config.warmup_steps,
        log_dir=root / "bench" / "logs",
    )
    timings = measured["timings"]
    if REFERENCE in measured["failed"]:
        raise SystemExit(
            f"the PyTorch reference failed: {measured['failed'][REFERENCE]}"
        )
    networks = {}
    for net in nets:
        flops = training_step_flops(net.build(), net.batch_size)
        measured_variants = {
            v: t for v, t in timings[net.name].items() if v not in measured["failed"]
        }
        summary = summarise_network(measured_variants, flops, peak)
        networks[net.name] = {
            "label": net.label,
            "batch_size": net.batch_size,
            "optimizer": net.optimizer,
            "flops": flops,
            "variants": summary,
            "best": best_same_numerics(summary),
            "table": variants_table(summary),
        }
    side_by_side = side_by_side_table(networks, config.target_ratio)
    deep = networks.get("deep")
    result = {
        "peak": peak,
        "networks": networks,
        "timings": timings,
        "failed": measured["failed"],
        "table": side_by_side,
        "effects_table": effects_table(networks, timings),
        "overhead_table": overhead_table(networks) if "deep" in networks else None,
        "target_ratio": config.target_ratio,
        "target_met": {
            name: "yes"
            if net["variants"][net["best"]]["ratio_to_torch"]["median"]
            <= config.target_ratio
            else "no"
            for name, net in networks.items()
        },
        "deep_flops_table": deep["flops"]["table"] if deep else None,
        "deep_flops_check": (
            flops_check_table(get_network("deep").build(), deep["batch_size"])
            if deep
            else None
        ),
        "headline": {name: headline(net) for name, net in networks.items()},
        "deep_experiment_minutes": (
            {
                key: config.deep_experiment_steps
                * deep["variants"][name]["wall_ms"]["median"]
                / 6e4
                for key, name in (
                    ("pytorch", REFERENCE),
                    ("tfcnn_as_run", BASELINE),
                    ("tfcnn_fastest", deep["best"]),
                )
            }
            if deep
            else None
        ),
        "load_average_before": list(load_before),
        "load_average_after": list(os.getloadavg()),
    }
    wall = time.perf_counter() - started
    path = write_result(
        "bench", "summary", result, config=config, wall_seconds=wall, root=root
    )
    save_figure(bench_figure(networks, config.target_ratio), "bench", "bench", root)
    for name, net in networks.items():
        best = net["variants"][net["best"]]
        print(
            f"{name}: fastest float32 tfcnn setting {net['best']} "
            f"{best['wall_ms']['median']:.2f} ms/step = "
            f"{best['ratio_to_torch']['median']:.2f} x PyTorch, "
            f"{100 * best['fraction_of_peak']:.1f} % of peak"
        )
    print(f"wrote {path} in {wall / 60:.1f} min")


if __name__ == "__main__":
    main()
