"""Set C (C1, C2): the deep network's parameter tables and the deep and linear summaries.

Reads the per-seed runs `docs/results/c1/deep_<padding>_seed<S>.json` and
`docs/results/c2/linear_<padding>_seed<S>.json` (written by
`scripts/train_mnist_deep.py`); nothing is trained here.
"""

from __future__ import annotations

import numpy as np

from tfcnn.analysis import parameter_table
from tfcnn.answers.set_c.figures import plot_deep, plot_deep_and_linear
from tfcnn.models.mnist import build_deep
from tfcnn.results import save_figure, write_result
from tfcnn.results.summary import (
    describe,
    final_summary,
    first_reaching,
    load_runs,
    pct,
    pct_pm,
)
from tfcnn.training.timing import step_time

TARGET = 0.95  # the validation accuracy of C1.2 and of the C3 search
DEEP_LABEL = "deep (ReLU, max-pool)"
LINEAR_LABEL = "linear (identity, average pool)"
SEED_COLUMNS = [
    "seed",
    "train acc. (2,000-image sample)",
    "val. acc.",
    "test acc.",
    "training time (s, shared machine)",
]
COMPARISON_COLUMNS = [
    "network",
    "parameters",
    "train acc.",
    "val. acc.",
    "test acc.",
    "iterations to 97 % val.",
]


def report_parameters(root=None) -> None:
    """C1.1: writes `c1/params_<padding>.json`, the deep network's count with steps.

    Args:
        root: the results folder. Defaults to `results_dir()`.
    """
    for padding in ("same", "valid"):
        model = build_deep(padding=padding)
        write_result(
            "c1",
            f"params_{padding}",
            {"table": parameter_table(model), "total": model.count_params()},
            config={"padding": padding},
            root=root,
        )


def len_train(config: dict) -> int:
    """Training images after the validation split of the 60,000 MNIST images.

    Args:
        config: a run's configuration, with its `val_fraction`.
    """
    return round(60_000 * (1 - config["val_fraction"]))


def seed_rows(runs: dict) -> list[list]:
    """One table row per seed: final accuracies and training seconds (`SEED_COLUMNS`).

    Args:
        runs: seed -> run, as from `load_runs`.
    """
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


def reaching(runs: dict, threshold: float) -> list[int]:
    """The first iterations at which the runs' validation accuracy reached `threshold`.

    Runs that never reached it are left out.

    Args:
        runs: seed -> run.
        threshold: the validation accuracy.
    """
    hits = [
        first_reaching(run["history"], "val_accuracy", threshold)
        for run in runs.values()
    ]
    return [hit["iteration"] for hit in hits if hit]


def comparison_rows(networks: dict, summaries: dict) -> list[list]:
    """C2's table rows (`COMPARISON_COLUMNS`), one per network.

    Args:
        networks: name -> (seed -> run).
        summaries: name -> `final_summary` of its runs.
    """
    rows = []
    for name, runs in networks.items():
        s, hit = summaries[name], reaching(runs, 0.97)
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
    return rows


def deep_summary(deep: dict, padding: str) -> dict:
    """C1.2: the deep network's final accuracies over seeds, timing and seed table.

    Measures the training-step time again (`quiet_step`, batch 50).

    Args:
        deep: seed -> run of the deep network.
        padding: the padding the runs used, to rebuild the network.
    """
    first = deep[min(deep)]
    config_used = first["meta"]["config"]
    return {
        "final": final_summary(deep),
        "iterations": first["final"]["iteration"],
        "epochs": first["final"]["iteration"]
        * config_used["batch_size"]
        / len_train(config_used),
        "iterations_to_98_val": describe(reaching(deep, 0.98)),
        "iterations_to_95_val": describe(reaching(deep, TARGET)),
        "quiet_step": step_time(build_deep(padding=padding), batch_size=50),
        "wall_minutes": describe(r["meta"]["wall_seconds"] / 60 for r in deep.values()),
        "params": first["params"],
        "table": {"columns": SEED_COLUMNS, "rows": seed_rows(deep)},
    }


def linear_summary(deep: dict, linear: dict) -> dict:
    """C2: the linear network's final accuracies beside the deep network's.

    Args:
        deep: seed -> run of the deep network.
        linear: seed -> run of the linear network.
    """
    summaries = {"deep": final_summary(deep), "linear": final_summary(linear)}
    return {
        "final": summaries,
        "wall_minutes": describe(
            r["meta"]["wall_seconds"] / 60 for r in linear.values()
        ),
        "gap_test_accuracy": summaries["deep"]["test_accuracy"]["mean"]
        - summaries["linear"]["test_accuracy"]["mean"],
        "table": {
            "columns": COMPARISON_COLUMNS,
            "rows": comparison_rows({"deep": deep, "linear": linear}, summaries),
        },
        "linear_seeds": {"columns": SEED_COLUMNS, "rows": seed_rows(linear)},
    }


def report_deep_and_linear(config, root=None) -> None:
    """C1.2 and C2: writes `c1/summary.json`, `c2/summary.json` and their curves.

    Without linear runs only C1 is written.

    Args:
        config: the report's configuration (its `padding` picks the runs),
            stored in the summaries' metadata.
        root: the results folder. Defaults to `results_dir()`.
    """
    deep = load_runs("c1", f"deep_{config.padding}", root)
    try:
        linear = load_runs("c2", f"linear_{config.padding}", root)
    except FileNotFoundError:
        linear = {}
    write_result(
        "c1", "summary", deep_summary(deep, config.padding), config=config, root=root
    )
    histories = {DEEP_LABEL: [r["history"] for r in deep.values()]}
    save_figure(plot_deep(histories), "c1", "curves", root)
    if not linear:
        return
    write_result(
        "c2", "summary", linear_summary(deep, linear), config=config, root=root
    )
    histories[LINEAR_LABEL] = [r["history"] for r in linear.values()]
    save_figure(plot_deep_and_linear(histories), "c2", "curves", root)
