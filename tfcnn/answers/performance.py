"""The performance page: tfcnn's Keras training step against the same networks in
plain PyTorch, and whether a faster setting keeps C1's accuracy.

`main` times every variant of `tfcnn.bench.variants` on the networks of
`tfcnn.bench.networks` (`run_benchmark`, with the PyTorch settings' accuracy
runs), writes bench/summary.json and bench/bench.png, then profiles the deep
'same' network layer by layer (bench/layer_profile.json); `--layer-profile`
runs the profile alone. With `--accuracy VARIANT` it instead trains the C1
run under that variant's precision for each seed and compares the final
accuracies with C1's float32 runs (bench/accuracy_<variant>*.json); a later
timing counts tfcnn's variants of that precision on the deep networks when
their validation accuracy keeps float32's.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

from tfcnn import cli
from tfcnn.bench.accuracy import compare, precision_run
from tfcnn.bench.layer_profile import profile_summary
from tfcnn.bench.networks import NETWORKS, get_network
from tfcnn.bench.peak import bf16_support, fp32_peak
from tfcnn.bench.report import ACCURACY_TOLERANCE, bench_figure, benchmark_summary
from tfcnn.bench.session import profile_layers, run_benchmark, wait_for_quiet
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
        warmup_steps: steps of each untimed pass, per network.
        accuracy_steps: training steps of each PyTorch setting's accuracy
            run, per network (on real training images; then scored on 2,000
            held-out training images, `ACCURACY_VAL_IMAGES`).
        timed_only: per network, the only settings timed there (the others are
            skipped, with the reason): on CIFAR-10, whose step takes seconds,
            PyTorch's four and tfcnn as run, with XLA and with bfloat16.
        accuracy_tolerance: the largest difference of validation accuracy from
            float32 PyTorch's for a PyTorch setting to keep float32's accuracy
            (default: 0.01, one point).
        target_ratio: the ratio to PyTorch's best the fastest setting should
            reach (default: 0.7).
        deep_experiment_steps: training steps of C1 and C2, which train
            networks of the deep network's shape (6 runs x 20,000).
        deep_experiment_network: the network C1 and C2 train (default:
            "deep_valid").
        c1_checked_networks: the networks a C1 accuracy check (`--accuracy`)
            speaks for: C1's network in both paddings.
        profile_network: the network profiled layer by layer (default: "deep_same").
        profile_variants: the settings of the layer profile.
        profile_repeats: timed calls per layer and pass (default: 50).
    """

    networks: tuple = tuple(NETWORKS)
    variants: tuple = tuple(VARIANTS)
    repeats: int = 7
    steps: dict = dataclasses.field(
        default_factory=lambda: {
            "deep_same": 200,
            "deep_valid": 200,
            "set_a": 300,
            "set_d": 500,
            "cifar10": 10,
        }
    )
    warmup_steps: dict = dataclasses.field(
        default_factory=lambda: {
            "deep_same": 100,
            "deep_valid": 100,
            "set_a": 100,
            "set_d": 100,
            "cifar10": 10,
        }
    )
    accuracy_steps: dict = dataclasses.field(
        default_factory=lambda: {
            "deep_same": 500,
            "deep_valid": 500,
            "set_a": 300,
            "set_d": 2000,
            "cifar10": 40,
        }
    )
    timed_only: dict = dataclasses.field(
        default_factory=lambda: {
            "cifar10": (
                "torch",
                "torch_bf16",
                "torch_channels_last",
                "torch_compile",
                "keras",
                "keras_xla",
                "keras_bf16",
            )
        }
    )
    accuracy_tolerance: float = ACCURACY_TOLERANCE
    target_ratio: float = 0.7
    deep_experiment_steps: int = 6 * 20_000
    deep_experiment_network: str = "deep_valid"
    c1_checked_networks: tuple = ("deep_same", "deep_valid")
    profile_network: str = "deep_same"
    profile_variants: tuple = ("keras", "torch", "torch_channels_last")
    profile_repeats: int = 50

    def quick(self) -> Config:
        """The smoke run: 4 variants, 2 rounds of 10 steps (one call of tfcnn's
        10 steps per execution), 20-step accuracy runs (CIFAR-10: 2), 5
        profile calls."""
        every = dict.fromkeys(self.steps, 10)
        return dataclasses.replace(
            self,
            variants=("torch", "torch_bf16", "keras", "keras_bf16"),
            repeats=2,
            steps=every,
            warmup_steps=every,
            accuracy_steps=dict.fromkeys(self.steps, 20) | {"cifar10": 2},
            profile_repeats=5,
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


def c1_checks(variants: list, root: Path) -> dict:
    """The C1 accuracy checks under `root`, for each bfloat16 Keras variant of
    `variants` whose precision one of them ran in (`precision_run` changes
    only that)."""
    by_precision = {
        variant.precision: read_result(RESULT_ID, f"accuracy_{name}", root)
        for name, variant in VARIANTS.items()
        if (root / RESULT_ID / f"accuracy_{name}.json").exists()
    }
    return {
        v.name: by_precision[v.precision]
        for v in variants
        if v.framework == "keras"
        and not v.same_numerics
        and v.precision in by_precision
    }


def time_networks(config: Config, root: Path) -> dict:
    """Runs the benchmark of `config` and writes its summary and figure under `root`."""
    started, load_before = time.perf_counter(), os.getloadavg()
    nets = [get_network(name) for name in config.networks]
    peak, bf16 = fp32_peak(), bf16_support()
    print(f"fp32 peak: {peak['formula']} ({peak['fma_units_source']})", flush=True)
    print(f"bfloat16 hardware: {bf16}", flush=True)
    measured = run_benchmark(
        get_variants(config.variants),
        nets,
        repeats=config.repeats,
        steps=config.steps,
        warmup_steps=config.warmup_steps,
        accuracy_steps=config.accuracy_steps,
        timed_only=config.timed_only,
        log_dir=root / RESULT_ID / "logs",
    )
    result = benchmark_summary(
        measured,
        nets,
        peak,
        bf16,
        target_ratio=config.target_ratio,
        experiment_steps=config.deep_experiment_steps,
        experiment_network=config.deep_experiment_network,
        tolerance=config.accuracy_tolerance,
        keras_accuracy=dict.fromkeys(
            [n for n in config.c1_checked_networks if n in config.networks],
            c1_checks(get_variants(config.variants), root),
        ),
    )
    result["load_average_before"] = list(load_before)
    result["load_average_after"] = list(os.getloadavg())
    wall = time.perf_counter() - started
    path = write_result(
        RESULT_ID, "summary", result, config=config, wall_seconds=wall, root=root
    )
    figure = bench_figure(result["networks"])
    save_figure(figure, RESULT_ID, "bench", root)
    for name, net in result["networks"].items():
        best = net["variants"][net["best"]]
        print(
            f"{name}: fastest float32 tfcnn setting {net['best']} "
            f"{best['wall_ms']['median']:.2f} ms/step = "
            f"{best['ratio_to_torch_best']['median']:.2f} x PyTorch's best "
            f"({net['torch_best']}), {100 * best['fraction_of_peak']:.1f} % of peak"
        )
        if net["best_kept"] != net["best"]:
            kept = net["variants"][net["best_kept"]]
            print(
                f"{name}: fastest setting that keeps C1's accuracy {net['best_kept']} "
                f"{kept['wall_ms']['median']:.2f} ms/step = "
                f"{kept['ratio_to_torch_best']['median']:.2f} x PyTorch's best"
            )
    print(f"wrote {path} in {wall / 60:.1f} min")
    return result


def profile_network_layers(config: Config, root: Path) -> dict:
    """Profiles `config.profile_network` layer by layer; writes bench/layer_profile.json."""
    started, load_before = time.perf_counter(), os.getloadavg()
    net = get_network(config.profile_network)
    peak = fp32_peak()
    profiles = profile_layers(
        net,
        get_variants(config.profile_variants),
        repeats=config.profile_repeats,
        log_dir=root / RESULT_ID / "logs",
    )
    result = profile_summary(profiles, net.build(), net.batch_size, peak)
    result["network"] = net.name
    result["peak"] = peak
    result["load_average_before"] = list(load_before)
    result["load_average_after"] = list(os.getloadavg())
    wall = time.perf_counter() - started
    path = write_result(
        RESULT_ID, "layer_profile", result, config=config, wall_seconds=wall, root=root
    )
    for variant, totals in result["totals"].items():
        print(
            f"{variant}: layers' forward {totals['forward']['wall_ms']:.2f} ms, "
            f"backward {totals['backward']['wall_ms']:.2f} ms"
        )
    print(f"wrote {path} in {wall / 60:.1f} min")
    return result


def config_from_args(args: argparse.Namespace) -> Config:
    """The `Config` of `--quick`, `--repeats`, `--profile-repeats`, `--networks`,
    `--variants`; PyTorch (the reference) and Keras as the experiments run are
    always timed."""
    config = Config().quick() if args.quick else Config(repeats=args.repeats)
    if args.profile_repeats:
        config = dataclasses.replace(config, profile_repeats=args.profile_repeats)
    variants = args.variants or list(config.variants)
    variants = [v for v in (REFERENCE, BASELINE) if v not in variants] + variants
    networks = tuple(args.networks or config.networks)
    return dataclasses.replace(config, networks=networks, variants=tuple(variants))


def main(args: argparse.Namespace) -> None:
    """The accuracy check with `--accuracy`, else the timing and the layer profile
    (only the profile with `--layer-profile`), on a quiet machine only when it
    writes the site's results (unless `--allow-busy`).

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
    config = config_from_args(args)
    if not args.layer_profile:
        time_networks(config, root)
    profile_network_layers(config, root)
