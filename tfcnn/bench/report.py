"""Summaries of a benchmark run: ratios to PyTorch, FLOP rates, fraction of peak,
tables and the figure.

Ratios to PyTorch are taken per repetition (each variant and PyTorch were
timed within the same round, moments apart) and then summarised by their
median, so that load that drifts between rounds cancels out. "PyTorch's
best" is, per network, the fastest PyTorch setting whose accuracy matches
float32's: after the same training steps from the same start, its test
accuracy is within `ACCURACY_TOLERANCE` of plain float32 PyTorch's. A
bfloat16 setting counts only where the CPU has native bfloat16 arithmetic;
elsewhere its row is reported and marked. tfcnn's bfloat16 settings are held
to a stricter test before they count: full C1 runs (`precision_run`, three
seeds) whose mean validation accuracy is within the same tolerance of C1's
float32 runs.
"""

from __future__ import annotations

import numpy as np

from tfcnn.bench.flops import layer_flops, profiler_flops, training_step_flops
from tfcnn.bench.networks import BenchNetwork
from tfcnn.bench.session import spread
from tfcnn.bench.variants import BASELINE, REFERENCE, VARIANTS
from tfcnn.plots import new_figure

# Largest difference of test accuracy from float32 PyTorch's (1 point) for a
# PyTorch setting to count as keeping float32's accuracy.
ACCURACY_TOLERANCE = 0.01


def summarise_network(
    timings: dict, flops: dict, peak: dict, torch_best: str | None = None
) -> dict:
    """Per variant: wall and CPU ms per step, ratios to PyTorch, GFLOP/s, % of peak.

    Args:
        timings: `{variant: {"wall_ms": [...], "cpu_ms": [...], ...}}` of one
            network (from `run_benchmark`).
        flops: `training_step_flops` of the network.
        peak: `fp32_peak()`.
        torch_best: the PyTorch variant of `ratio_to_torch_best`; None adds
            no such ratio. Defaults to None.
    """
    summary = {}
    for name, entry in timings.items():
        wall = spread(entry["wall_ms"])
        row = {
            "wall_ms": wall,
            "cpu_ms": spread(entry["cpu_ms"]),
            "first_seconds": entry["first_seconds"],
            "final_loss": entry["loss"][-1],
            "gflops_per_second": flops["total"] / (wall["median"] / 1e3) / 1e9,
        }
        row["fraction_of_peak"] = (
            row["gflops_per_second"] * 1e9 / peak["peak_flops_per_second"]
        )
        for key, other in (("torch", REFERENCE), ("torch_best", torch_best)):
            if other in timings:
                row[f"ratio_to_{key}"] = spread(
                    np.divide(entry["wall_ms"], timings[other]["wall_ms"])
                )
                row[f"cpu_ratio_to_{key}"] = spread(
                    np.divide(entry["cpu_ms"], timings[other]["cpu_ms"])
                )
        summary[name] = row
    return summary


def accuracy_agreement(accuracy: dict, tolerance: float = ACCURACY_TOLERANCE) -> dict:
    """How far each PyTorch variant's accuracy run is from float32 PyTorch's.

    Args:
        accuracy: `{variant: {"val_accuracy", "predictions", ...} or
            {"error"}}` of one network (from `run_benchmark`), with the
            float32 reference among them.
        tolerance: the largest difference of validation accuracy that matches.
            Defaults to `ACCURACY_TOLERANCE`.

    Returns:
        Per variant: `val_accuracy`, `difference` (to float32's),
        `same_predictions` (the share of held-out images given float32's
        class) and `matches`; or `{"error", "matches": False}`. Empty when the
        reference has no accuracy run.
    """
    reference = accuracy.get(REFERENCE)
    if reference is None or "error" in reference:
        return {}
    expected = np.asarray(reference["predictions"])
    out = {}
    for name, run in accuracy.items():
        if "error" in run:
            out[name] = {"error": run["error"], "matches": False}
            continue
        difference = run["val_accuracy"] - reference["val_accuracy"]
        out[name] = {
            "val_accuracy": run["val_accuracy"],
            "difference": difference,
            "same_predictions": float(
                np.mean(np.asarray(run["predictions"]) == expected)
            ),
            "matches": bool(abs(difference) <= tolerance),
        }
    return out


def counts_for_best(name: str, agreement: dict, bf16_native: bool) -> bool:
    """Whether PyTorch variant `name` may be PyTorch's best: float32 PyTorch
    always; another setting when its accuracy matches float32's and, for
    bfloat16, the CPU has native bfloat16 arithmetic."""
    if name == REFERENCE:
        return True
    if not VARIANTS[name].same_numerics and not bf16_native:
        return False
    return agreement.get(name, {}).get("matches", False)


def best_pytorch(timings: dict, agreement: dict, bf16_native: bool) -> str | None:
    """The fastest PyTorch variant (median wall time) that `counts_for_best`;
    None when no PyTorch variant ran."""
    candidates = [
        name
        for name in timings
        if VARIANTS[name].framework == "torch"
        and counts_for_best(name, agreement, bf16_native)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda name: np.median(timings[name]["wall_ms"]))


def best_same_numerics(summary: dict) -> str:
    """The fastest Keras variant whose arithmetic is the baseline's (float32)."""
    return best_keeping_accuracy(summary, {}, bf16_native=False)


def keeps_accuracy(check: dict, tolerance: float = ACCURACY_TOLERANCE) -> bool:
    """Whether a C1 accuracy check (`tfcnn.bench.accuracy.compare`) keeps float32's
    mean validation accuracy within `tolerance` (the test set decides nothing)."""
    return abs(check["val_accuracy"]["difference"]) <= tolerance


def best_keeping_accuracy(
    summary: dict, kept: dict[str, bool], bf16_native: bool
) -> str:
    """The fastest Keras variant that is float32 or, on a CPU with native
    bfloat16, whose C1 check `kept` its accuracy."""
    candidates = [
        name
        for name in summary
        if VARIANTS[name].framework == "keras"
        and (VARIANTS[name].same_numerics or (bf16_native and kept.get(name, False)))
    ]
    return min(candidates, key=lambda name: summary[name]["wall_ms"]["median"])


def _ms(value: dict) -> str:
    return f"{value['median']:.2f} ({value['min']:.2f}–{value['max']:.2f})"


def _ratio(value: dict | None) -> str:
    return "" if value is None else _ms(value)


def variant_description(name: str, bf16_native: bool) -> str:
    """The variant's description, marked when it is bfloat16 on a CPU without
    native bfloat16 arithmetic."""
    description = VARIANTS[name].description
    if not VARIANTS[name].same_numerics and not bf16_native:
        return f"{description} (**emulated**: no native bfloat16 on this CPU)"
    return description


def _accuracy_cell(agreement: dict | None) -> str:
    if agreement is None:
        return ""
    if "error" in agreement:
        return f"failed: {agreement['error']}"
    verdict_text = "matches" if agreement["matches"] else "**differs**"
    return (
        f"{100 * agreement['val_accuracy']:.2f} % "
        f"({100 * agreement['difference']:+.2f} points, "
        f"{100 * agreement['same_predictions']:.1f} % same predictions): "
        f"{verdict_text}"
    )


def _c1_check_cell(check: dict | None) -> str:
    if check is None:
        return ""
    verdict_text = "keeps it" if check["keeps"] else "**differs**"
    return (
        f"C1, {check['runs']} seeds: validation {100 * check['val_difference']:+.2f}, "
        f"test {100 * check['test_difference']:+.2f} points: {verdict_text}"
    )


def variants_table(net: dict, bf16_native: bool) -> dict:
    """Every variant of one network: times, ratios to PyTorch, FLOP rate,
    accuracy against float32 (PyTorch's runs, tfcnn's C1 checks); failed and
    skipped variants with the reason.

    Args:
        net: the network's summary (`variants`, `accuracy`, `keras_accuracy`,
            `failed`, `skipped`).
        bf16_native: whether the CPU has native bfloat16 arithmetic.
    """
    rows = [
        [
            f"`{name}`",
            variant_description(name, bf16_native),
            _ms(row["wall_ms"]),
            f"{row['cpu_ms']['median']:.2f}",
            _ratio(row.get("ratio_to_torch")),
            _ratio(row.get("ratio_to_torch_best")),
            f"{row['gflops_per_second']:.1f}",
            f"{100 * row['fraction_of_peak']:.1f} %",
            f"{row['first_seconds']:.1f}",
            f"{row['final_loss']:.4f}",
            _accuracy_cell(net["accuracy"].get(name))
            or _c1_check_cell(net["keras_accuracy"].get(name)),
        ]
        for name, row in net["variants"].items()
    ]
    for outcome in ("failed", "skipped"):
        for name, reason in net[outcome].items():
            rows.append(
                [f"`{name}`", variant_description(name, bf16_native)]
                + [""] * 8
                + [f"{outcome}: {reason}"]
            )
    return {
        "columns": [
            "variant",
            "what it changes",
            "ms / step: median (min–max)",
            "CPU ms / step",
            "× PyTorch float32 (median of rounds)",
            "× PyTorch's best (median of rounds)",
            "GFLOP/s",
            "of fp32 peak",
            "first call (s)",
            "loss after the run",
            "accuracy against float32's",
        ],
        "rows": rows,
    }


def side_by_side_table(networks: dict) -> dict:
    """One row per network: PyTorch float32 and its best setting, tfcnn as run,
    tfcnn's best float32 setting, and their ratio to PyTorch's best."""
    rows = []
    for net in networks.values():
        summary, best, torch_best = net["variants"], net["best"], net["torch_best"]
        ratio = summary[best].get("ratio_to_torch_best")
        rows.append(
            [
                net["label"],
                net["batch_size"],
                f"{net['flops']['total'] / 1e6:,.0f}",
                _ms(summary[REFERENCE]["wall_ms"]) if REFERENCE in summary else "",
                f"{_ms(summary[torch_best]['wall_ms'])} (`{torch_best}`)"
                if torch_best
                else "",
                _ms(summary[BASELINE]["wall_ms"]),
                f"{_ms(summary[best]['wall_ms'])} (`{best}`)",
                _ratio(ratio),
                f"{100 * summary[best]['fraction_of_peak']:.1f} %",
            ]
        )
    return {
        "columns": [
            "network",
            "batch",
            "MFLOP / step",
            "PyTorch float32 ms / step",
            "PyTorch's best ms / step (setting)",
            "tfcnn ms / step (as the experiments run)",
            "tfcnn ms / step (fastest float32 setting)",
            "fastest tfcnn × PyTorch's best",
            "fastest tfcnn, of fp32 peak",
        ],
        "rows": rows,
    }


def kept_table(networks: dict) -> dict:
    """One row per network with C1 checks of tfcnn's bfloat16 variants: the
    fastest setting that keeps accuracy, its check, and its ratio to PyTorch's best."""
    rows = []
    for net in networks.values():
        if not net["keras_accuracy"]:
            continue
        summary, kept, torch_best = net["variants"], net["best_kept"], net["torch_best"]
        rows.append(
            [
                net["label"],
                f"{_ms(summary[kept]['wall_ms'])} (`{kept}`)",
                _c1_check_cell(net["keras_accuracy"].get(kept)) or "float32",
                f"{_ms(summary[torch_best]['wall_ms'])} (`{torch_best}`)",
                _ratio(summary[kept].get("ratio_to_torch_best")),
            ]
        )
    return {
        "columns": [
            "network",
            "tfcnn ms / step (fastest setting that keeps C1's accuracy)",
            "its accuracy against float32's",
            "PyTorch's best ms / step (setting)",
            "× PyTorch's best",
        ],
        "rows": rows,
    }


def verdict(ratios: list[float], margin: float = 0.05) -> str:
    """ "faster"/"slower" when every ratio to the baseline is beyond 1 ± margin,
    "no clear change" when all are within it, "mixed" otherwise."""
    if all(r < 1 - margin for r in ratios):
        return "faster"
    if all(r > 1 + margin for r in ratios):
        return "slower"
    if all(abs(r - 1) <= margin for r in ratios):
        return "no clear change"
    return "mixed"


def effects_table(networks: dict, timings: dict) -> dict:
    """Each setting's step time relative to tfcnn as the experiments run, per network.

    A setting that did not run on a network (failed or skipped) has an empty
    cell there, and its verdict is over the networks it ran on.

    Args:
        networks: the per-network summaries (`label`, `variants`).
        timings: the raw timings of `run_benchmark`, per network and variant.
    """
    names = []
    for net in networks.values():
        names += [
            n
            for n in net["variants"]
            if VARIANTS[n].framework == "keras" and n != BASELINE and n not in names
        ]
    rows = []
    for name in names:
        ratios = {
            net: spread(
                np.divide(
                    timings[net][name]["wall_ms"], timings[net][BASELINE]["wall_ms"]
                )
            )
            for net in networks
            if name in networks[net]["variants"]
            and BASELINE in networks[net]["variants"]
        }
        rows.append(
            [
                f"`{name}`",
                VARIANTS[name].description,
                "yes" if VARIANTS[name].same_numerics else "no (bfloat16)",
                *(_ratio(ratios.get(net)) for net in networks),
                verdict([r["median"] for r in ratios.values()]),
            ]
        )
    return {
        "columns": [
            "variant",
            "what it changes",
            "float32 arithmetic?",
            *(f"× time as run: {net}" for net in networks),
            "effect",
        ],
        "rows": rows,
    }


def bench_figure(networks: dict):
    """Median ms per step of every variant (range as error bars), one panel per
    network, with a line at PyTorch's best."""
    rows = max(len(net["variants"]) for net in networks.values())
    fig, axes = new_figure(ncols=len(networks), width=4.2, height=0.3 * rows + 1.2)
    for ax, (name, net) in zip(np.atleast_1d(axes), networks.items()):
        summary = net["variants"]
        names = list(summary)[::-1]
        medians = [summary[n]["wall_ms"]["median"] for n in names]
        errors = [
            [m - summary[n]["wall_ms"]["min"] for n, m in zip(names, medians)],
            [summary[n]["wall_ms"]["max"] - m for n, m in zip(names, medians)],
        ]
        colours = ["C1" if VARIANTS[n].framework == "torch" else "C0" for n in names]
        ax.barh(names, medians, xerr=errors, color=colours, capsize=2)
        if net["torch_best"]:
            ax.axvline(
                summary[net["torch_best"]]["wall_ms"]["median"],
                color="k",
                lw=0.8,
                ls="--",
                label=f"PyTorch's best ({net['torch_best']})",
            )
            ax.legend(fontsize=7, loc="lower right")
        ax.set_title(f"{name} (batch {net['batch_size']})", fontsize=9)
        ax.set_xlabel("ms per training step")
        ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    return fig


def flops_check_table(model, batch_size: int) -> dict:
    """Our count and TensorFlow's registry, per op type, for one training step."""
    counted = profiler_flops(model, batch_size)
    rows = layer_flops(model, batch_size)
    conv = sum(2 * r.macs for r in rows if r.kind == "Conv2D")
    conv_input = sum(r.backward_input for r in rows if r.kind == "Conv2D")
    dense = sum(2 * r.macs for r in rows if r.kind == "Dense")
    checks = [
        ("Conv2D (forward)", conv, counted["Conv2D"]),
        ("Conv2DBackpropFilter", conv, counted["Conv2DBackpropFilter"]),
        ("Conv2DBackpropInput", conv_input, counted["Conv2DBackpropInput"]),
        ("MatMul (forward and both gradients)", 3 * dense, counted["MatMul"]),
    ]
    return {
        "columns": ["op", "formula (MFLOP)", "TensorFlow's registry (MFLOP)", "ratio"],
        "rows": [
            [op, f"{ours / 1e6:,.1f}", f"{theirs / 1e6:,.1f}", f"{theirs / ours:.2f}"]
            for op, ours, theirs in checks
        ],
    }


def compared(ratio: float, margin: float = 0.05) -> str:
    """ "faster", "slower" or "about as fast" for a ratio of step times to the
    other framework's, beyond or within 1 ± `margin` (default: 0.05): `verdict`
    on the one ratio."""
    word = verdict([ratio], margin)
    return "about as fast" if word == "no clear change" else word


def headline(net: dict) -> dict:
    """The numbers and words the performance page quotes for one network."""
    variants, best, torch_best = net["variants"], net["best"], net["torch_best"]
    fastest, kept = variants[best], variants[net["best_kept"]]
    return {
        "fastest": best,
        "fastest_description": VARIANTS[best].description,
        "fastest_ms": variants[best]["wall_ms"]["median"],
        "pytorch_ms": variants[REFERENCE]["wall_ms"]["median"],
        "pytorch_best": torch_best,
        "pytorch_best_description": VARIANTS[torch_best].description,
        "pytorch_best_ms": variants[torch_best]["wall_ms"]["median"],
        "as_run_ms": variants[BASELINE]["wall_ms"]["median"],
        "fastest_ratio": fastest["ratio_to_torch_best"]["median"],
        "fastest_ratio_to_float32": fastest["ratio_to_torch"]["median"],
        "fastest_against_best": compared(fastest["ratio_to_torch_best"]["median"]),
        "fastest_against_float32": compared(fastest["ratio_to_torch"]["median"]),
        "kept_fastest": net["best_kept"],
        "kept_fastest_description": VARIANTS[net["best_kept"]].description,
        "kept_fastest_ms": kept["wall_ms"]["median"],
        "kept_ratio": kept["ratio_to_torch_best"]["median"],
        "kept_against_best": compared(kept["ratio_to_torch_best"]["median"]),
        "as_run_ratio": variants[BASELINE]["ratio_to_torch_best"]["median"],
        "fastest_gflops": variants[best]["gflops_per_second"],
        "fastest_fraction_of_peak": variants[best]["fraction_of_peak"],
        "pytorch_fraction_of_peak": variants[REFERENCE]["fraction_of_peak"],
        "pytorch_best_fraction_of_peak": variants[torch_best]["fraction_of_peak"],
        "mflop_per_step": net["flops"]["total"] / 1e6,
    }


def overhead_table(networks: dict, reference_network: str = "deep_same") -> dict:
    """Each step split into its arithmetic and the rest, for PyTorch and tfcnn.

    The arithmetic is the step's FLOPs at the rate the same variant reaches on
    `reference_network` (a large network, where fixed costs weigh least);
    the rest of the step time is then (at least) the per-step cost that does
    not grow with the work: launching operations, threads, memory, the
    optimiser's and metrics' small operations. Only the networks smaller
    than the reference (fewer FLOPs per step) are split.

    Args:
        networks: the per-network summaries (`label`, `flops`, `variants`,
            `best`, `torch_best`).
        reference_network: where the FLOP rate is taken. Defaults to "deep_same".
    """
    reference = networks[reference_network]
    rates = reference["variants"]
    rows = []
    for name, net in networks.items():
        if net["flops"]["total"] >= reference["flops"]["total"]:
            continue
        for variant in dict.fromkeys((net["torch_best"], net["best"])):
            if variant not in rates:
                continue
            row = net["variants"][variant]
            arithmetic = (
                net["flops"]["total"]
                / (rates[variant]["gflops_per_second"] * 1e9)
                * 1e3
            )
            total = row["wall_ms"]["median"]
            rows.append(
                [
                    name,
                    f"`{variant}`",
                    f"{total:.2f}",
                    f"{arithmetic:.2f}",
                    f"{total - arithmetic:.2f}",
                    f"{(total - arithmetic) / total:.0%}",
                ]
            )
    return {
        "columns": [
            "network",
            "variant",
            "ms / step",
            f"arithmetic, at the {reference_network} network's FLOP rate (ms)",
            "the rest (ms)",
            "share of the rest",
        ],
        "rows": rows,
    }


def network_summary(
    net: BenchNetwork,
    measured: dict,
    peak: dict,
    bf16_native: bool,
    tolerance: float = ACCURACY_TOLERANCE,
    keras_accuracy: dict | None = None,
) -> dict:
    """One network's entry of the summary: FLOPs, every variant, the fastest.

    Args:
        net: the benchmarked network.
        measured: what `run_benchmark` returned.
        peak: `fp32_peak()`.
        bf16_native: whether the CPU has native bfloat16 arithmetic.
        tolerance: see `accuracy_agreement`. Defaults to `ACCURACY_TOLERANCE`.
        keras_accuracy: the C1 accuracy checks (`compare`) of tfcnn's bfloat16
            variants that speak for this network, by variant. Defaults to
            None (none: only float32 counts).

    Raises:
        RuntimeError: float32 PyTorch, or tfcnn as the experiments run, did
            not run on the network.
    """
    timings = measured["timings"][net.name]
    failed = measured["failed"][net.name]
    for name in (REFERENCE, BASELINE):
        if name not in timings:
            reason = failed.get(name) or measured["skipped"][net.name].get(name)
            raise RuntimeError(f"{net.name}: {name} did not run: {reason}")
    agreement = accuracy_agreement(measured["accuracy"].get(net.name, {}), tolerance)
    torch_best = best_pytorch(timings, agreement, bf16_native)
    flops = training_step_flops(net.build(), net.batch_size)
    summary = summarise_network(timings, flops, peak, torch_best)
    checks = {
        name: {
            "runs": check["val_accuracy"]["variant"]["n"],
            "val_difference": check["val_accuracy"]["difference"],
            "test_difference": check["test_accuracy"]["difference"],
            "keeps": keeps_accuracy(check, tolerance),
        }
        for name, check in (keras_accuracy or {}).items()
        if name in summary
    }
    kept = {name: check["keeps"] for name, check in checks.items()}
    out = {
        "label": net.label,
        "batch_size": net.batch_size,
        "optimizer": net.optimizer,
        "flops": flops,
        "variants": summary,
        "accuracy": agreement,
        "keras_accuracy": checks,
        "failed": failed,
        "skipped": measured["skipped"][net.name],
        "best": best_same_numerics(summary),
        "best_kept": best_keeping_accuracy(summary, kept, bf16_native),
        "torch_best": torch_best,
    }
    out["table"] = variants_table(out, bf16_native)
    return out


def benchmark_summary(
    measured: dict,
    nets: list[BenchNetwork],
    peak: dict,
    bf16: dict,
    *,
    target_ratio: float,
    experiment_steps: int,
    experiment_network: str = "deep_valid",
    reference_network: str = "deep_same",
    tolerance: float = ACCURACY_TOLERANCE,
    keras_accuracy: dict | None = None,
) -> dict:
    """Every table and number of a benchmark run, from its timings.

    Args:
        measured: what `run_benchmark` returned ("timings", "failed",
            "skipped", "accuracy").
        nets: the networks timed.
        peak: `fp32_peak()`.
        bf16: `bf16_support()`, recorded, and whether bfloat16 PyTorch
            settings may be PyTorch's best.
        target_ratio: the ratio to PyTorch's best the fastest setting should reach.
        experiment_steps: training steps of the experiments that use
            networks of the deep network's shape, to turn ms per step into
            minutes.
        experiment_network: the network those experiments train. Defaults to
            "deep_valid" (C1's and C2's).
        reference_network: the network of the FLOP tables and the overhead
            split. Defaults to "deep_same".
        tolerance: see `accuracy_agreement`. Defaults to `ACCURACY_TOLERANCE`.
        keras_accuracy: per network, the C1 accuracy checks of tfcnn's
            bfloat16 variants that speak for it (`network_summary`).
            Defaults to None (none).

    Raises:
        RuntimeError: float32 PyTorch or tfcnn as run failed on a network.
    """
    keras_accuracy = keras_accuracy or {}
    networks = {
        net.name: network_summary(
            net, measured, peak, bf16["native"], tolerance, keras_accuracy.get(net.name)
        )
        for net in nets
    }
    by_name = {net.name: net for net in nets}
    main = networks.get(reference_network)
    trained = networks.get(experiment_network)
    return {
        "peak": peak,
        "bf16": bf16,
        "accuracy_tolerance": tolerance,
        "accuracy_val_images": measured.get("accuracy_val_images"),
        "networks": networks,
        "timings": measured["timings"],
        "failed": measured["failed"],
        "skipped": measured["skipped"],
        "table": side_by_side_table(networks),
        "effects_table": effects_table(networks, measured["timings"]),
        "overhead_table": overhead_table(networks, reference_network) if main else None,
        "target_ratio": target_ratio,
        "kept_table": kept_table(networks),
        "target_met": {
            name: "yes"
            if net["variants"][net["best_kept"]]["ratio_to_torch_best"]["median"]
            <= target_ratio
            else "no"
            for name, net in networks.items()
        },
        "deep_flops_table": main["flops"]["table"] if main else None,
        "deep_flops_check": (
            flops_check_table(by_name[reference_network].build(), main["batch_size"])
            if main
            else None
        ),
        "headline": {name: headline(net) for name, net in networks.items()},
        "deep_experiment_minutes": (
            {
                key: experiment_steps
                * trained["variants"][name]["wall_ms"]["median"]
                / 6e4
                for key, name in (
                    ("pytorch", REFERENCE),
                    ("pytorch_best", trained["torch_best"]),
                    ("tfcnn_as_run", BASELINE),
                    ("tfcnn_fastest", trained["best"]),
                )
            }
            | {"network": experiment_network}
            if trained
            else None
        ),
    }
