"""Summaries of a benchmark run: ratios to PyTorch, FLOP rates, fraction of peak,
tables and the figure.

Ratios to PyTorch are taken per repetition (each variant and PyTorch were
timed within the same round, moments apart) and then summarised by their
median, so that load that drifts between rounds cancels out.
"""

from __future__ import annotations

import numpy as np

from tfcnn.bench.flops import layer_flops, profiler_flops, training_step_flops
from tfcnn.bench.networks import BenchNetwork
from tfcnn.bench.session import spread
from tfcnn.bench.variants import BASELINE, REFERENCE, VARIANTS
from tfcnn.plots import new_figure


def summarise_network(timings: dict, flops: dict, peak: dict) -> dict:
    """Per variant: wall and CPU ms per step, ratio to PyTorch, GFLOP/s, % of peak.

    Args:
        timings: `{variant: {"wall_ms": [...], "cpu_ms": [...], ...}}` of one
            network (from `run_benchmark`).
        flops: `training_step_flops` of the network.
        peak: `fp32_peak()`.
    """
    summary = {}
    reference = timings.get(REFERENCE)
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
        if reference is not None:
            row["ratio_to_torch"] = spread(
                np.divide(entry["wall_ms"], reference["wall_ms"])
            )
            row["cpu_ratio_to_torch"] = spread(
                np.divide(entry["cpu_ms"], reference["cpu_ms"])
            )
        summary[name] = row
    return summary


def best_same_numerics(summary: dict) -> str:
    """The fastest Keras variant whose arithmetic is the baseline's (float32)."""
    candidates = [
        name
        for name in summary
        if VARIANTS[name].framework == "keras" and VARIANTS[name].same_numerics
    ]
    return min(candidates, key=lambda name: summary[name]["wall_ms"]["median"])


def _ms(value: dict) -> str:
    return f"{value['median']:.2f} ({value['min']:.2f}–{value['max']:.2f})"


def _ratio(value: dict | None) -> str:
    return (
        ""
        if value is None
        else f"{value['median']:.2f} ({value['min']:.2f}–{value['max']:.2f})"
    )


def variants_table(summary: dict) -> dict:
    """Every variant of one network: times, ratio to PyTorch, FLOP rate."""
    rows = [
        [
            f"`{name}`",
            VARIANTS[name].description,
            _ms(row["wall_ms"]),
            f"{row['cpu_ms']['median']:.2f}",
            _ratio(row.get("ratio_to_torch")),
            f"{row['gflops_per_second']:.1f}",
            f"{100 * row['fraction_of_peak']:.1f} %",
            f"{row['first_seconds']:.1f}",
            f"{row['final_loss']:.4f}",
        ]
        for name, row in summary.items()
    ]
    return {
        "columns": [
            "variant",
            "what it changes",
            "ms / step: median (min–max)",
            "CPU ms / step",
            "× PyTorch (median of rounds)",
            "GFLOP/s",
            "of fp32 peak",
            "first call (s)",
            "loss after the run",
        ],
        "rows": rows,
    }


def side_by_side_table(networks: dict, target_ratio: float) -> dict:
    """One row per network: PyTorch, tfcnn as run, tfcnn's best float32 setting."""
    rows = []
    for net in networks.values():
        summary = net["variants"]
        best = net["best"]
        ratio = summary[best].get("ratio_to_torch")
        rows.append(
            [
                net["label"],
                net["batch_size"],
                f"{net['flops']['total'] / 1e6:,.0f}",
                _ms(summary[REFERENCE]["wall_ms"]) if REFERENCE in summary else "",
                _ms(summary[BASELINE]["wall_ms"]),
                f"{_ms(summary[best]['wall_ms'])} (`{best}`)",
                _ratio(ratio),
                ""
                if ratio is None
                else ("yes" if ratio["median"] <= target_ratio else "no"),
                f"{100 * summary[best]['fraction_of_peak']:.1f} %",
            ]
        )
    return {
        "columns": [
            "network",
            "batch",
            "MFLOP / step",
            "PyTorch ms / step",
            "tfcnn ms / step (as the experiments run)",
            "tfcnn ms / step (fastest float32 setting)",
            "fastest tfcnn × PyTorch",
            f"≤ {target_ratio} × PyTorch?",
            "fastest tfcnn, of fp32 peak",
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

    Args:
        networks: the per-network summaries (`label`, `variants`).
        timings: the raw timings of `run_benchmark`, per network and variant.
    """
    names = [
        n
        for n in next(iter(networks.values()))["variants"]
        if VARIANTS[n].framework == "keras" and n != BASELINE
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
        }
        rows.append(
            [
                f"`{name}`",
                VARIANTS[name].description,
                "yes" if VARIANTS[name].same_numerics else "no (bfloat16)",
                *(_ratio(ratios[net]) for net in networks),
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


def bench_figure(networks: dict, target_ratio: float):
    """Median ms per step of every variant (range as error bars), one panel per network."""
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
        if REFERENCE in summary:
            ax.axvline(
                target_ratio * summary[REFERENCE]["wall_ms"]["median"],
                color="k",
                lw=0.8,
                ls="--",
                label=f"{target_ratio} × PyTorch",
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


def headline(net: dict) -> dict:
    """The numbers the performance page quotes for one network."""
    variants, best = net["variants"], net["best"]
    return {
        "fastest": best,
        "fastest_description": VARIANTS[best].description,
        "fastest_ms": variants[best]["wall_ms"]["median"],
        "pytorch_ms": variants[REFERENCE]["wall_ms"]["median"],
        "as_run_ms": variants[BASELINE]["wall_ms"]["median"],
        "fastest_ratio": variants[best]["ratio_to_torch"]["median"],
        "as_run_ratio": variants[BASELINE]["ratio_to_torch"]["median"],
        "fastest_gflops": variants[best]["gflops_per_second"],
        "fastest_fraction_of_peak": variants[best]["fraction_of_peak"],
        "pytorch_fraction_of_peak": variants[REFERENCE]["fraction_of_peak"],
        "mflop_per_step": net["flops"]["total"] / 1e6,
    }


def overhead_table(networks: dict, reference_network: str = "deep") -> dict:
    """Each step split into its arithmetic and the rest, for PyTorch and tfcnn.

    The arithmetic is the step's FLOPs at the rate the same variant reaches on
    `reference_network` (the largest network, where fixed costs weigh least);
    the rest of the step time is then (at least) the per-step cost that does
    not grow with the work: launching operations, threads, memory, the
    optimiser's and metrics' small operations.

    Args:
        networks: the per-network summaries (`label`, `flops`, `variants`, `best`).
        reference_network: where the FLOP rate is taken. Defaults to "deep".
    """
    rates = networks[reference_network]["variants"]
    rows = []
    for name, net in networks.items():
        if name == reference_network:
            continue
        for variant in (REFERENCE, net["best"]):
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


def network_summary(net: BenchNetwork, timings: dict, peak: dict) -> dict:
    """One network's entry of the summary: its FLOPs, every variant, the fastest.

    Args:
        net: the benchmarked network.
        timings: `{variant: timings}` of the variants that ran on it.
        peak: `fp32_peak()`.
    """
    flops = training_step_flops(net.build(), net.batch_size)
    summary = summarise_network(timings, flops, peak)
    return {
        "label": net.label,
        "batch_size": net.batch_size,
        "optimizer": net.optimizer,
        "flops": flops,
        "variants": summary,
        "best": best_same_numerics(summary),
        "table": variants_table(summary),
    }


def benchmark_summary(
    measured: dict,
    nets: list[BenchNetwork],
    peak: dict,
    *,
    target_ratio: float,
    experiment_steps: int,
    reference_network: str = "deep",
) -> dict:
    """Every table and number of a benchmark run, from its timings.

    Args:
        measured: what `run_benchmark` returned ("timings", "failed").
        nets: the networks timed.
        peak: `fp32_peak()`.
        target_ratio: the ratio to PyTorch the fastest setting should reach.
        experiment_steps: training steps of the experiments that use
            `reference_network`, to turn ms per step into minutes.
        reference_network: the network of the FLOP tables and the overhead
            split. Defaults to "deep".

    Raises:
        RuntimeError: the PyTorch reference failed.
    """
    timings, failed = measured["timings"], measured["failed"]
    if REFERENCE in failed:
        raise RuntimeError(f"the PyTorch reference failed: {failed[REFERENCE]}")
    networks = {
        net.name: network_summary(
            net,
            {v: t for v, t in timings[net.name].items() if v not in failed},
            peak,
        )
        for net in nets
    }
    by_name = {net.name: net for net in nets}
    main = networks.get(reference_network)
    return {
        "peak": peak,
        "networks": networks,
        "timings": timings,
        "failed": failed,
        "table": side_by_side_table(networks, target_ratio),
        "effects_table": effects_table(networks, timings),
        "overhead_table": overhead_table(networks, reference_network) if main else None,
        "target_ratio": target_ratio,
        "target_met": {
            name: "yes"
            if net["variants"][net["best"]]["ratio_to_torch"]["median"] <= target_ratio
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
                * main["variants"][name]["wall_ms"]["median"]
                / 6e4
                for key, name in (
                    ("pytorch", REFERENCE),
                    ("tfcnn_as_run", BASELINE),
                    ("tfcnn_fastest", main["best"]),
                )
            }
            if main
            else None
        ),
    }
