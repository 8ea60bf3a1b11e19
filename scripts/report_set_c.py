"""Set C: summaries, tables and figures from the per-seed runs (no training here).

Reads `docs/results/c1`, `c2` and `c3` (written by `train_mnist_deep.py` and
`search_small_mnist.py`) and writes the `summary.json` files, the parameter
tables of C1.1 and the figures that the set C page shows.

    python scripts/report_set_c.py
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from tfcnn import build_deep, build_reduced_deep, build_shallow
from tfcnn.analysis import parameter_table
from tfcnn.plots import new_figure, plot_curves
from tfcnn.report import (
    final_summary,
    first_reaching,
    load_runs,
    pct,
    pct_pm,
    summarise,
)
from tfcnn.results import save_figure, write_result
from tfcnn.timing import step_time

TARGET = 0.95


@dataclasses.dataclass
class Config:
    padding: str = "valid"
    target_accuracy: float = TARGET


def report_parameters() -> None:
    """C1.1: the count for both paddings, with steps."""
    for padding in ("same", "valid"):
        model = build_deep(padding=padding)
        write_result(
            "c1",
            f"params_{padding}",
            {
                "table": parameter_table(model),
                "total": model.count_params(),
            },
            config={"padding": padding},
        )


def len_train(config: dict) -> int:
    """Training images after the validation split (60,000 MNIST images)."""
    return round(60_000 * (1 - config["val_fraction"]))


def seed_rows(runs: dict) -> list[list]:
    return [
        [
            seed,
            pct(run["final"]["train_accuracy"]),
            pct(run["final"]["val_accuracy"]),
            pct(run["final"]["test_accuracy"]),
            f"{run['train_seconds']:.0f}",
        ]
        for seed, run in runs.items()
    ]


SEED_COLUMNS = [
    "seed",
    "train acc. (2,000-image sample)",
    "val. acc.",
    "test acc.",
    "training time (s, shared machine)",
]


def report_deep_and_linear(config: Config) -> None:
    """C1.2 and C2: final accuracies over seeds, and the curves side by side."""
    deep = load_runs("c1", f"deep_{config.padding}")
    summaries = {"deep": final_summary(deep)}
    figure_runs = {"deep (ReLU, max-pool)": [r["history"] for r in deep.values()]}
    try:
        linear = load_runs("c2", f"linear_{config.padding}")
    except FileNotFoundError:
        linear = {}
    first = deep[min(deep)]
    config_used = first["meta"]["config"]

    def iterations_to(threshold: float) -> dict:
        hits = [
            first_reaching(r["history"], "val_accuracy", threshold)
            for r in deep.values()
        ]
        return summarise(hit["iteration"] for hit in hits if hit)

    write_result(
        "c1",
        "summary",
        {
            "final": summaries["deep"],
            "iterations": first["final"]["iteration"],
            "epochs": first["final"]["iteration"]
            * config_used["batch_size"]
            / len_train(config_used),
            "iterations_to_98_val": iterations_to(0.98),
            "iterations_to_95_val": iterations_to(TARGET),
            "quiet_step": step_time(build_deep(padding=config.padding), batch_size=50),
            "wall_minutes": summarise(
                r["meta"]["wall_seconds"] / 60 for r in deep.values()
            ),
            "params": deep[min(deep)]["params"],
            "table": {"columns": SEED_COLUMNS, "rows": seed_rows(deep)},
        },
        config=config,
    )
    fig, ax = new_figure(width=7, height=4)
    plot_curves(
        ax, figure_runs, keys=("train_accuracy", "test_accuracy"), ylim=(0.9, 1.001)
    )
    ax.set_title("Deep network on MNIST: accuracy every 500 iterations")
    save_figure(fig, "c1", "curves")
    if not linear:
        return
    summaries["linear"] = final_summary(linear)
    figure_runs["linear (identity, average pool)"] = [
        r["history"] for r in linear.values()
    ]
    reach = {
        name: [
            first_reaching(r["history"], "val_accuracy", 0.97) for r in runs.values()
        ]
        for name, runs in (("deep", deep), ("linear", linear))
    }
    rows = []
    for name, runs in (("deep", deep), ("linear", linear)):
        s = summaries[name]
        hit = [row["iteration"] for row in reach[name] if row]
        rows.append(
            [
                name,
                f"{runs[min(runs)]['params']:,}",
                pct_pm(s["train_accuracy"]),
                pct_pm(s["val_accuracy"]),
                pct_pm(s["test_accuracy"]),
                f"{np.mean(hit):,.0f} ({len(hit)}/{len(runs)} seeds)"
                if hit
                else "never",
            ]
        )
    write_result(
        "c2",
        "summary",
        {
            "final": summaries,
            "wall_minutes": summarise(
                r["meta"]["wall_seconds"] / 60 for r in linear.values()
            ),
            "gap_test_accuracy": summaries["deep"]["test_accuracy"]["mean"]
            - summaries["linear"]["test_accuracy"]["mean"],
            "table": {
                "columns": [
                    "network",
                    "parameters",
                    "train acc.",
                    "val. acc.",
                    "test acc.",
                    "iterations to 97 % val.",
                ],
                "rows": rows,
            },
            "linear_seeds": {"columns": SEED_COLUMNS, "rows": seed_rows(linear)},
        },
        config=config,
    )
    fig, axes = new_figure(ncols=2, width=6, height=4)
    plot_curves(
        axes[0],
        figure_runs,
        keys=("train_accuracy", "test_accuracy"),
        ylim=(0.85, 1.001),
    )
    axes[0].set_title("accuracy")
    plot_curves(
        axes[1], figure_runs, keys=("train_loss", "test_loss"), ylabel="cross-entropy"
    )
    axes[1].set_yscale("log")
    axes[1].set_title("loss")
    save_figure(fig, "c2", "curves")


def candidates(family: str) -> list[dict]:
    """Per-candidate summaries of the search runs of one family."""
    import json

    from tfcnn.results import results_dir

    groups: dict[str, dict] = {}
    for path in sorted((results_dir() / "c3").glob(f"{family}_*_seed*.json")):
        run = json.loads(path.read_text())
        name = run["meta"]["config"]["candidate"]
        groups.setdefault(name, {})[run["meta"]["seed"]] = run
    rows = []
    for name, runs in groups.items():
        any_run = next(iter(runs.values()))
        reach = [
            first_reaching(r["history"], "val_accuracy", TARGET) for r in runs.values()
        ]
        rows.append(
            {
                "name": name,
                "builder_args": any_run["meta"]["config"]["builder_args"],
                "params": any_run["params"],
                "seeds": sorted(runs),
                **final_summary(runs),
                "reached": sum(1 for r in reach if r),
                "iterations_to_target": summarise([r["iteration"] for r in reach if r])
                if any(reach)
                else None,
                "seconds_to_target": summarise([r["train_seconds"] for r in reach if r])
                if any(reach)
                else None,
                "seconds_per_iteration": summarise(
                    r["train_seconds"] / r["final"]["iteration"] for r in runs.values()
                ),
                "runs": runs,
            }
        )
    return sorted(rows, key=lambda row: -row["params"])


def build_winner(family: str, winner: dict):
    """Rebuilds a search candidate (the search built deep candidates with 'valid' padding)."""
    if family == "shallow":
        return build_shallow(**winner["builder_args"])
    return build_reduced_deep(**winner["builder_args"], padding="valid")


def report_search(config: Config) -> None:
    """C3.1-C3.3: the search tables, the winners' curves and their time to 95 %."""
    out, winners = {}, {}
    for family in ("shallow", "deep"):
        rows = candidates(family)
        if not rows:
            continue
        passing = [
            r
            for r in rows
            if r["val_accuracy"]["mean"] >= TARGET and r["reached"] == len(r["seeds"])
        ]
        winner = min(passing, key=lambda r: r["params"]) if passing else None
        table_rows = [
            [
                ("**" + r["name"] + "**") if r is winner else r["name"],
                f"{r['params']:,}",
                pct_pm(r["val_accuracy"]),
                pct_pm(r["test_accuracy"]),
                f"{r['reached']}/{len(r['seeds'])}",
            ]
            for r in rows
        ]
        out[family] = {
            "table": {
                "columns": [
                    "candidate",
                    "parameters",
                    "val. acc. (chooses)",
                    "test acc. (reported)",
                    "seeds reaching 95 % val.",
                ],
                "rows": table_rows,
            },
            "winner": {k: v for k, v in winner.items() if k != "runs"}
            if winner
            else None,
            "wall_minutes": sum(
                r["meta"]["wall_seconds"] for row in rows for r in row["runs"].values()
            )
            / 60,
        }
        if winner:
            winners[family] = winner
            model = build_winner(family, winner)
            if model.count_params() != winner["params"]:
                raise RuntimeError(
                    f"rebuilt {family} winner has {model.count_params()} parameters, "
                    f"the run recorded {winner['params']}"
                )
            out[family]["winner_params"] = parameter_table(model)
            fig, axes = new_figure(ncols=2, width=5.5, height=3.6)
            runs = {
                f"{family} {winner['name']} ({winner['params']} params)": [
                    r["history"] for r in winner["runs"].values()
                ]
            }
            plot_curves(
                axes[0], runs, keys=("train_loss", "val_loss"), ylabel="cross-entropy"
            )
            axes[0].set_title("training loss")
            plot_curves(
                axes[1],
                runs,
                keys=("train_accuracy", "val_accuracy", "test_accuracy"),
                ylim=(0.8, 1.0),
            )
            axes[1].axhline(TARGET, color="grey", lw=0.8)
            axes[1].set_title("accuracy")
            save_figure(fig, "c3", f"{family}_winner")
    if len(winners) == 2:
        rows = []
        for family, w in winners.items():
            # The search shared the machine with other runs, so its seconds are
            # noisy: the step time is measured again here, on a quiet machine.
            w["quiet_step"] = step_time(build_winner(family, w), batch_size=128)
            ms = w["quiet_step"]["median_ms"]
            its = w["iterations_to_target"]
            rows.append(
                [
                    f"{family} ({w['name']})",
                    f"{w['params']:,}",
                    f"{its['mean']:,.0f} ± {its['std']:,.0f}",
                    f"{ms:.2f}",
                    f"{its['mean'] * ms / 1000:.1f}",
                ]
            )
        out["quiet_step_ms"] = {f: w["quiet_step"] for f, w in winners.items()}
        out["convergence"] = {
            "columns": [
                "network",
                "parameters",
                "iterations to 95 % val.",
                "ms per iteration (batch 128, quiet machine)",
                "seconds to 95 % (iterations × ms)",
            ],
            "rows": rows,
        }
        fig, ax = new_figure(width=7, height=4)
        plot_curves(
            ax,
            {
                f"{f} ({w['params']} params)": [
                    r["history"] for r in w["runs"].values()
                ]
                for f, w in winners.items()
            },
            keys=("val_accuracy",),
            ylim=(0.85, 1.0),
        )
        ax.axhline(TARGET, color="grey", lw=0.8)
        ax.set_title("validation accuracy of the two smallest networks")
        save_figure(fig, "c3", "convergence")
    write_result("c3", "summary", out, config=config)


def report_theory() -> None:
    """CT3 and CT4: the Jacobian of a small example against GradientTape, counts from Keras."""
    import keras
    import tensorflow as tf

    from tfcnn.analysis.conv import correlate1d, filter_jacobian_1d

    signal, k = np.array([3, 1, 4, 1, 5, 9, 2], dtype=np.float64), 3
    jacobian = filter_jacobian_1d(signal, k)
    f = tf.Variable([0.5, -1.0, 2.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        out = tf.nn.conv1d(
            tf.reshape(signal, (1, -1, 1)), tf.reshape(f, (-1, 1, 1)), 1, "VALID"
        )[0, :, 0]
    tape_jacobian = tape.jacobian(out, f).numpy()
    upstream = np.array([1.0, -2.0, 0.5, 0.0, 1.0])
    conv = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(96, 5)])
    dense = keras.Sequential(
        [keras.Input((4 * 4 * 256,)), keras.layers.Dense(4 * 4 * 256)]
    )
    images, classes = 10_000, 1_000
    write_result(
        "ct",
        "checks",
        {
            "signal": [int(v) for v in signal],
            "kernel_size": k,
            "jacobian": {
                "columns": [
                    "output sample n",
                    "∂y[n]/∂f[0]",
                    "∂y[n]/∂f[1]",
                    "∂y[n]/∂f[2]",
                ],
                "rows": [[n, *map(int, row)] for n, row in enumerate(jacobian)],
            },
            "jacobian_max_abs_error_vs_tape": float(
                np.abs(jacobian - tape_jacobian).max()
            ),
            "upstream": upstream.tolist(),
            "jt_g": (jacobian.T @ upstream).tolist(),
            "correlation_signal_upstream": correlate1d(signal, upstream).tolist(),
            "conv96_params": conv.count_params(),
            "dense4096_params": dense.count_params(),
            "constraints": images * classes,
            "independent_constraints": images * (classes - 1),
        },
    )


def main(argv=None) -> None:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    started = time.perf_counter()
    config = Config()
    report_parameters()
    report_deep_and_linear(config)
    report_search(config)
    report_theory()
    print(f"set C report written in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
