"""Set C, C3.1-C3.3: the smallest shallow and deep networks that keep 95 % on MNIST.

Each candidate size is trained for each seed with one shared schedule (Adam
3e-3 with cosine decay to 0, batch 128, 6,000 iterations, about 14 epochs),
recording train/validation/test metrics every 250 iterations, one run per file
`docs/results/c3/<family>_<candidate>_seed<S>.json`. The winner of a family is
the smallest candidate whose mean validation accuracy and every seed reach
95 %; test accuracy is only reported. The report part reads the runs (nothing
is trained there, but the winners' step time is measured again on random data)
and writes `c3/summary.json` and the winners' figures.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from tfcnn import cli
from tfcnn.analysis import parameter_table
from tfcnn.answers.set_c.c1_c2_deep import TARGET, train_on_mnist
from tfcnn.models.mnist import build_reduced_deep, build_shallow
from tfcnn.plots.curves import plot_curves
from tfcnn.plots.style import new_figure
from tfcnn.results import results_dir, save_figure, set_seed, write_result
from tfcnn.results.bounded import read_json
from tfcnn.results.summary import describe, final_summary, first_reaching, pct_pm
from tfcnn.training.timing import step_time

# Builder arguments of each candidate, largest first. Shallow: one conv (ReLU),
# one max-pool, one dense layer. Deep: conv-pool-conv-pool-dense-dense, 'valid'.
CANDIDATES = {
    "shallow": {
        "f2_k5_p4": dict(filters=2, kernel_size=5, pool_size=4),
        "f3_k5_p6": dict(filters=3, kernel_size=5, pool_size=6),
        "f5_k5_p8": dict(filters=5, kernel_size=5, pool_size=8),
        "f8_k5_p12": dict(filters=8, kernel_size=5, pool_size=12),
        "f4_k5_p8": dict(filters=4, kernel_size=5, pool_size=8),
    },
    "deep": {
        "f2-4_u8": dict(filters=(2, 4), dense_units=8),
        "f2-4_u6": dict(filters=(2, 4), dense_units=6),
        "f2-3_u8": dict(filters=(2, 3), dense_units=8),
        "f2-4_u4": dict(filters=(2, 4), dense_units=4),
    },
}
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


@dataclasses.dataclass
class Config:
    """One search run: a candidate of a family, trained with one seed.

    Args:
        family: "shallow" (C3.1) or "deep" (C3.2). Defaults to "shallow".
        candidate: the candidate's name, a key of `CANDIDATES[family]`.
        builder_args: its builder's arguments.
        iterations: training steps. Defaults to 6,000.
        batch_size: Defaults to 128.
        optimizer: Defaults to "adam".
        learning_rate: the initial rate, decayed to 0. Defaults to 3e-3.
        cosine_decay: decay the rate over the run. Defaults to True.
        record_every: iterations between records. Defaults to 250.
        val_fraction: share of the training images held out. Defaults to 0.1.
        train_eval_size: training images the "train" metrics use. Defaults to 2,000.
        seed: Defaults to 0.
        distribute: the `tf.distribute` strategy's name. Defaults to "none".
    """

    family: str = "shallow"
    candidate: str = ""
    builder_args: dict = dataclasses.field(default_factory=dict)
    iterations: int = 6000
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 3e-3
    cosine_decay: bool = True
    record_every: int = 250
    val_fraction: float = 0.1
    train_eval_size: int = 2000
    seed: int = 0
    distribute: str = "none"

    def quick(self) -> Config:
        """The smoke run: 500 iterations."""
        return dataclasses.replace(self, iterations=500)

    @property
    def run_name(self) -> str:
        """The run's file name, e.g. `shallow_f2_k5_p4_seed0`."""
        return f"{self.family}_{self.candidate}_seed{self.seed}"


def build_candidate(family: str, builder_args: dict):
    """A search candidate (deep candidates use 'valid' padding).

    Args:
        family: "shallow" or "deep".
        builder_args: the arguments of `build_shallow` or `build_reduced_deep`.
    """
    if family == "shallow":
        return build_shallow(**builder_args)
    return build_reduced_deep(**builder_args, padding="valid")


def train_candidate(config: Config, backup=None, root: Path | None = None) -> dict:
    """Trains one candidate with one seed and writes its run.

    Args:
        config: the run's settings.
        backup: a `TrainingBackup` callback (checkpoints, resume), or None.
        root: the results folder. Defaults to `results_dir()`.
    """
    set_seed(config.seed)
    model = build_candidate(config.family, config.builder_args)
    print(f"{config.run_name}: {model.count_params()} parameters", flush=True)
    run, _ = train_on_mnist(model, config, "c3", backup, root, verbose=0)
    final = run["final"]
    print(
        f"  val {final['val_accuracy']:.4f} test {final['test_accuracy']:.4f} "
        f"in {run['wall_seconds']:.0f} s",
        flush=True,
    )
    return run


def summarise_hits(hits: list, key: str) -> dict | None:
    """`summarise` of `key` over the runs that reached the target, or None."""
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
        run = read_json(path)
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
                "iterations_to_target": summarise_hits(reach, "iteration"),
                "seconds_to_target": summarise_hits(reach, "train_seconds"),
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
    """Rebuilds a search winner and checks it against its runs.

    Args:
        family: "shallow" or "deep".
        winner: a row of `candidates`, with its `builder_args`.

    Raises:
        RuntimeError: the rebuilt model's parameter count is not the run's.
    """
    model = build_candidate(family, winner["builder_args"])
    if model.count_params() != winner["params"]:
        raise RuntimeError(
            f"rebuilt {family} winner has {model.count_params()} parameters, "
            f"the run recorded {winner['params']}"
        )
    return model


def winner_histories(label: str, winner: dict) -> dict:
    """`{label: the winner's histories}`, for the figures."""
    return {label: [r["history"] for r in winner["runs"].values()]}


def plot_winner(runs: dict, target: float):
    """Loss and accuracy of a search winner, with the target accuracy marked (C3).

    Args:
        runs: label -> list of histories (the winner's seeds).
        target: the validation accuracy the search asked for.
    """
    fig, axes = new_figure(ncols=2, width=5.5, height=3.6)
    plot_curves(axes[0], runs, keys=("train_loss", "val_loss"), ylabel="cross-entropy")
    axes[0].set_title("training loss")
    plot_curves(
        axes[1],
        runs,
        keys=("train_accuracy", "val_accuracy", "test_accuracy"),
        ylim=(0.8, 1.0),
    )
    axes[1].axhline(target, color="grey", lw=0.8)
    axes[1].set_title("accuracy")
    return fig


def plot_convergence(runs: dict, target: float):
    """Validation accuracy of the two winners, with the target accuracy marked (C3.3).

    Args:
        runs: label -> list of histories, one group per winner.
        target: the validation accuracy the search asked for.
    """
    fig, ax = new_figure(width=7, height=4)
    plot_curves(ax, runs, keys=("val_accuracy",), ylim=(0.85, 1.0))
    ax.axhline(target, color="grey", lw=0.8)
    ax.set_title("validation accuracy of the two smallest networks")
    return fig


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
        fig = plot_winner(winner_histories(label, winner), target)
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


def report_search(target: float = TARGET, record=None, root=None) -> None:
    """C3.1-C3.3: writes `c3/summary.json` and the winners' figures.

    Args:
        target: the validation accuracy. Defaults to `TARGET` (0.95).
        record: the report's configuration, stored in the summary's metadata.
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
            runs.update(winner_histories(f"{family} ({w['params']} params)", w))
        save_figure(plot_convergence(runs, target), "c3", "convergence", root)
    write_result("c3", "summary", out, config=record, root=root)


def main(args: argparse.Namespace) -> None:
    """Trains the candidates of one family for each seed, skipping finished runs.

    Args:
        args: `--family`, `--candidates`, the seeds, `--quick`, `--results-dir`,
            `--distribute` and the resume options.

    Raises:
        ValueError: a candidate is not one of the family's.
    """
    from tfcnn.training.devices import use_strategy

    known = CANDIDATES[args.family]
    names = args.candidates or list(known)
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ValueError(f"unknown candidates {unknown}; choose from {list(known)}")
    use_strategy(args.distribute)
    root = cli.results_root(args)
    for name in names:
        for seed in cli.seeds_of(args):
            config = Config(
                args.family, name, known[name], seed=seed, distribute=args.distribute
            )
            if args.quick:
                config = config.quick()
            elif (root / "c3" / f"{config.run_name}.json").exists():
                print(f"{config.run_name}: done already, skipped")
                continue
            backup = cli.training_backup(args, "c3", config.run_name)
            train_candidate(config, backup, root)
