"""Set C (C3.1-C3.3): the search for the smallest networks that reach 95 % validation.

Reads the per-seed runs `docs/results/c3/<family>_<candidate>_seed<S>.json`
(written by `scripts/search_small_mnist.py`); nothing is trained here, but the
winners' step time is measured again on random data.
"""

from __future__ import annotations

import json
from pathlib import Path

from tfcnn.analysis import parameter_table
from tfcnn.answers.set_c.deep_report import TARGET
from tfcnn.answers.set_c.figures import plot_convergence, plot_winner
from tfcnn.models.mnist import build_reduced_deep, build_shallow
from tfcnn.results import results_dir, save_figure, write_result
from tfcnn.results.summary import describe, final_summary, first_reaching, pct_pm
from tfcnn.training.timing import step_time

FAMILIES = ("shallow", "deep")
SEARCH_COLUMNS = [
    "candidate",
    "parameters",
    "val. acc. (chooses)",
    "test acc. (reported)",
    "seeds reaching 95 % val.",
]
CONVERGENCE_COLUMNS = [
    "network",
    "parameters",
    "iterations to 95 % val.",
    "ms per iteration (batch 128, quiet machine)",
    "seconds to 95 % (iterations × ms)",
]


def _summarise_hits(hits: list, key: str) -> dict | None:
    return describe([hit[key] for hit in hits if hit]) if any(hits) else None


def candidates(family: str, target: float = TARGET, root=None) -> list[dict]:
    """Per-candidate summaries of one family's search runs, largest first.

    Args:
        family: "shallow" or "deep".
        target: the validation accuracy to reach. Defaults to `TARGET` (0.95).
        root: the results folder. Defaults to `results_dir()`.

    Returns:
        One dict per candidate: name, builder arguments, parameters, seeds,
        final accuracies (`final_summary`), seeds that reached `target`,
        iterations and seconds to it, seconds per iteration, and its runs.
    """
    groups: dict[str, dict] = {}
    folder = Path(root or results_dir()) / "c3"
    for path in sorted(folder.glob(f"{family}_*_seed*.json")):
        run = json.loads(path.read_text())
        name = run["meta"]["config"]["candidate"]
        groups.setdefault(name, {})[run["meta"]["seed"]] = run
    rows = []
    for name, runs in groups.items():
        any_run = next(iter(runs.values()))
        reach = [
            first_reaching(r["history"], "val_accuracy", target) for r in runs.values()
        ]
        rows.append(
            {
                "name": name,
                "builder_args": any_run["meta"]["config"]["builder_args"],
                "params": any_run["params"],
                "seeds": sorted(runs),
                **final_summary(runs),
                "reached": sum(1 for r in reach if r),
                "iterations_to_target": _summarise_hits(reach, "iteration"),
                "seconds_to_target": _summarise_hits(reach, "train_seconds"),
                "seconds_per_iteration": describe(
                    r["train_seconds"] / r["final"]["iteration"] for r in runs.values()
                ),
                "runs": runs,
            }
        )
    return sorted(rows, key=lambda row: -row["params"])


def choose_winner(rows: list[dict], target: float = TARGET) -> dict | None:
    """The smallest candidate whose mean validation accuracy and every seed reach `target`.

    Args:
        rows: candidates, as from `candidates`.
        target: the validation accuracy. Defaults to `TARGET` (0.95).

    Returns:
        The winning row, or None if no candidate passes.
    """
    passing = [
        r
        for r in rows
        if r["val_accuracy"]["mean"] >= target and r["reached"] == len(r["seeds"])
    ]
    return min(passing, key=lambda r: r["params"]) if passing else None


def search_rows(rows: list[dict], winner: dict | None) -> list[list]:
    """The search table's rows (`SEARCH_COLUMNS`), the winner's name in bold.

    Args:
        rows: candidates, as from `candidates`.
        winner: the row `choose_winner` picked, or None.
    """
    return [
        [
            ("**" + r["name"] + "**") if r is winner else r["name"],
            f"{r['params']:,}",
            pct_pm(r["val_accuracy"]),
            pct_pm(r["test_accuracy"]),
            f"{r['reached']}/{len(r['seeds'])}",
        ]
        for r in rows
    ]


def build_winner(family: str, winner: dict):
    """Rebuilds a search candidate (the search built deep candidates with 'valid' padding).

    Args:
        family: "shallow" or "deep".
        winner: a row of `candidates`, with its `builder_args`.

    Raises:
        RuntimeError: the rebuilt model's parameter count is not the run's.
    """
    if family == "shallow":
        model = build_shallow(**winner["builder_args"])
    else:
        model = build_reduced_deep(**winner["builder_args"], padding="valid")
    if model.count_params() != winner["params"]:
        raise RuntimeError(
            f"rebuilt {family} winner has {model.count_params()} parameters, "
            f"the run recorded {winner['params']}"
        )
    return model


def _histories(label: str, winner: dict) -> dict:
    return {label: [r["history"] for r in winner["runs"].values()]}


def family_summary(
    family: str, rows: list[dict], winner: dict | None, target: float, root=None
) -> dict:
    """One family's table, winner and its parameter table; saves the winner's curves.

    Args:
        family: "shallow" or "deep".
        rows: its candidates, as from `candidates` (not empty).
        winner: the row `choose_winner` picked, or None.
        target: the validation accuracy, marked on the figure.
        root: the results folder. Defaults to `results_dir()`.
    """
    out = {
        "table": {"columns": SEARCH_COLUMNS, "rows": search_rows(rows, winner)},
        "winner": {k: v for k, v in winner.items() if k != "runs"} if winner else None,
        "wall_minutes": sum(
            r["meta"]["wall_seconds"] for row in rows for r in row["runs"].values()
        )
        / 60,
    }
    if winner:
        out["winner_params"] = parameter_table(build_winner(family, winner))
        label = f"{family} {winner['name']} ({winner['params']} params)"
        fig = plot_winner(_histories(label, winner), target)
        save_figure(fig, "c3", f"{family}_winner", root)
    return out


def convergence(winners: dict) -> tuple[dict, dict]:
    """C3.3: the winners' quiet step times and their time to the target.

    The search shared the machine with other runs, so its seconds are noisy:
    the step time (batch 128) is measured again here.

    Args:
        winners: family -> winning row.

    Returns:
        `(family -> step_time, table)`.
    """
    steps, rows = {}, []
    for family, w in winners.items():
        steps[family] = step_time(build_winner(family, w), batch_size=128)
        ms, its = steps[family]["median_ms"], w["iterations_to_target"]
        rows.append(
            [
                f"{family} ({w['name']})",
                f"{w['params']:,}",
                f"{its['mean']:,.0f} ± {its['std']:,.0f}",
                f"{ms:.2f}",
                f"{its['mean'] * ms / 1000:.1f}",
            ]
        )
    return steps, {"columns": CONVERGENCE_COLUMNS, "rows": rows}


def report_search(config, target: float = TARGET, root=None) -> None:
    """C3.1-C3.3: writes `c3/summary.json` and the winners' figures.

    Args:
        config: the report's configuration, stored in the summary's metadata.
        target: the validation accuracy. Defaults to `TARGET` (0.95).
        root: the results folder. Defaults to `results_dir()`.
    """
    out, winners = {}, {}
    for family in FAMILIES:
        rows = candidates(family, target, root)
        if not rows:
            continue
        winner = choose_winner(rows, target)
        out[family] = family_summary(family, rows, winner, target, root)
        if winner:
            winners[family] = winner
    if len(winners) == 2:
        out["quiet_step_ms"], out["convergence"] = convergence(winners)
        runs = {}
        for family, w in winners.items():
            runs.update(_histories(f"{family} ({w['params']} params)", w))
        save_figure(plot_convergence(runs, target), "c3", "convergence", root)
    write_result("c3", "summary", out, config=config, root=root)
