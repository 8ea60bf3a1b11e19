"""Set C, C1 and C2: the deep MNIST network and its linear counterpart.

A run trains conv5x5x32 - pool - conv5x5x64 - pool - dense1024 - dense10
(ReLU; or, for C2, the same network with identity activations and average
pooling) with Adam at batch 50, recording train (a fixed 2,000-image sample),
validation and test accuracy and loss every 500 iterations, and writes
`docs/results/<c1|c2>/<deep|linear>_<padding>_seed<S>.json`. The report part
reads those runs (nothing is trained there) and writes C1.1's parameter
tables, the `summary.json` of C1.2 and C2 and their curves.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from tfcnn import cli
from tfcnn.analysis import linearise, parameter_table
from tfcnn.models.mnist import build_deep
from tfcnn.plots.curves import plot_curves
from tfcnn.plots.style import new_figure
from tfcnn.results import results_dir, save_figure, set_seed, write_result
from tfcnn.results.bounded import read_json
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
FINAL_KEYS = ("train_accuracy", "val_accuracy", "test_accuracy")
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


@dataclasses.dataclass
class Config:
    """One training run of C1 (deep) or C2 (linear).

    Args:
        linear: train the linearised network (C2). Defaults to False (C1).
        padding: "valid" (Keras' default) or "same". Defaults to "valid".
        iterations: training steps. Defaults to 20,000.
        batch_size: images per step. Defaults to 50.
        optimizer: the optimiser's name. Defaults to "adam".
        learning_rate: Defaults to 1e-4.
        record_every: iterations between records. Defaults to 500.
        val_fraction: share of the training images held out. Defaults to 0.1.
        train_eval_size: training images the "train" metrics use. Defaults to 2,000.
        seed: seed of the weights, the split and the order. Defaults to 0.
        distribute: the `tf.distribute` strategy's name. Defaults to "none".
    """

    linear: bool = False
    padding: str = "valid"
    iterations: int = 20_000
    batch_size: int = 50
    optimizer: str = "adam"
    learning_rate: float = 1e-4
    record_every: int = 500
    val_fraction: float = 0.1
    train_eval_size: int = 2000
    seed: int = 0
    distribute: str = "none"

    def quick(self) -> Config:
        """The smoke run: 1,000 iterations, a record every 250."""
        return dataclasses.replace(self, iterations=1000, record_every=250)

    @property
    def result_id(self) -> str:
        return "c2" if self.linear else "c1"

    @property
    def run_name(self) -> str:
        """The run's file name, e.g. `deep_valid_seed0`."""
        variant = "linear" if self.linear else "deep"
        return f"{variant}_{self.padding}_seed{self.seed}"


SCHEDULE_FIELDS = (
    "iterations",
    "batch_size",
    "optimizer",
    "learning_rate",
    "cosine_decay",
    "record_every",
    "seed",
    "train_eval_size",
)


def train_on_mnist(
    model, config, result_id: str, backup=None, root=None, verbose: int = 1
) -> tuple[dict, Path]:
    """Trains `model` on the MNIST split of `config` and writes the run.

    Args:
        model: the uncompiled network (built after `set_seed(config.seed)`).
        config: a `Config` of this module or of C3's search: its
            `val_fraction`, `run_name` and the schedule (`SCHEDULE_FIELDS`).
        result_id: the results folder's id, e.g. "c1".
        backup: a `TrainingBackup` callback (checkpoints, resume), or None.
        root: the results folder. Defaults to `results_dir()`.
        verbose: 1 prints a line per record, 0 nothing. Defaults to 1.

    Returns:
        `(run, path written)`.
    """
    from tfcnn.data.splits import load_split
    from tfcnn.training.fit import train_and_record

    fields = dataclasses.asdict(config)
    run = train_and_record(
        model,
        load_split("mnist", config.val_fraction, config.seed),
        **{key: fields[key] for key in SCHEDULE_FIELDS if key in fields},
        callbacks=[backup] if backup else [],
        verbose=verbose,
    )
    path = write_result(
        result_id,
        config.run_name,
        run,
        config=config,
        seed=config.seed,
        wall_seconds=run["wall_seconds"],
        root=root,
    )
    return run, path


def train_deep(config: Config, backup=None, root: Path | None = None) -> tuple:
    """Trains one network of C1 or C2 and writes its run.

    Args:
        config: the run's settings.
        backup: a `TrainingBackup` callback (checkpoints, resume), or None.
        root: the results folder. Defaults to `results_dir()`.

    Returns:
        `(run, path written)`.
    """
    set_seed(config.seed)
    model = build_deep(padding=config.padding)
    if config.linear:
        model = linearise(model)
    return train_on_mnist(model, config, config.result_id, backup, root)


def site_reference(config: Config) -> tuple[dict | None, dict | None]:
    """The site's committed run of the same setting and seed, and its summary.

    Args:
        config: the run's settings.

    Returns:
        `(run or None, the network's final accuracies over seeds or None)`;
        the summary only when it was built from runs of the same padding.
    """
    folder = results_dir() / config.result_id

    def read(name: str) -> dict | None:
        path = folder / f"{name}.json"
        return read_json(path) if path.is_file() else None

    run, summary = read(config.run_name), read("summary")
    if summary is None or summary["meta"]["config"]["padding"] != config.padding:
        return run, None
    final = summary["final"]
    return run, final["linear"] if config.linear else final


def comparison_lines(run: dict, config: Config, reference, summary) -> list[str]:
    """This run's final accuracies beside the site's, one line per metric.

    Args:
        run: the run just trained.
        config: its settings.
        reference: the site's run of the same setting and seed, or None.
        summary: the site's final accuracies over seeds, or None.
    """
    final, heads = run["final"], [f"this run (it. {run['final']['iteration']:,})"]
    columns = [lambda key: pct(final[key])]
    if reference is not None:
        at = {row["iteration"]: row for row in reference["history"]}
        last = reference["final"]["iteration"]
        if final["iteration"] in at and final["iteration"] != last:
            same = at[final["iteration"]]
            heads.append(f"site seed {config.seed}, it. {final['iteration']:,}")
            columns.append(lambda key: pct(same[key]))
        site_final = reference["final"]
        heads.append(f"site seed {config.seed}, it. {site_final['iteration']:,}")
        columns.append(lambda key: pct(site_final[key]))
    if summary is not None:
        heads.append(f"site, {summary['test_accuracy']['n']} seeds")
        columns.append(lambda key: pct_pm(summary[key]))
    lines = ["".ljust(16) + "".join(head.ljust(26) for head in heads).rstrip()]
    for key in FINAL_KEYS:
        cells = "".join(column(key).ljust(26) for column in columns)
        lines.append((key.replace("_", " ").ljust(16) + cells).rstrip())
    return lines


def print_outcome(run: dict, path: Path, config: Config, reference, summary) -> None:
    """Prints the final accuracies beside the site's, where the curve is, what next.

    Args:
        run: the run just trained.
        path: the file it was written to.
        config: its settings.
        reference: the site's run of the same setting and seed, or None.
        summary: the site's final accuracies over seeds, or None.
    """
    question = "C2 (linear)" if config.linear else "C1 (deep)"
    print(f"\n{question}, padding {config.padding}, seed {config.seed}:")
    if reference is None and summary is None:
        print(f"  (the site has no run of this setting in {results_dir()})")
    for line in comparison_lines(run, config, reference, summary):
        print("  " + line)
    took = f"  training took {run['train_seconds']:.0f} s"
    if reference:
        site_iterations = reference["final"]["iteration"]
        took += f" (the site's {site_iterations:,} iterations: "
        took += f"{reference['train_seconds']:.0f} s)"
    print(took)
    every = config.record_every
    print(f"\nthe curve (a record every {every} iterations) is `history` in {path}")
    results = path.parent.parent
    if results.resolve() == results_dir().resolve():
        print(
            "next: python scripts/report_set_c.py  # rebuilds the summary and "
            f"curves of {config.result_id} from every seed; then `mkdocs serve`"
        )
    else:
        print(
            f"next: python scripts/report_set_c.py --results-dir {results}  "
            f"# the summary and curves of this run, in {results / config.result_id}"
        )


def report_parameters(root: Path | None = None) -> None:
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
            *(pct(run["final"][key]) for key in FINAL_KEYS),
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


def summarise_reaching(runs: dict, threshold: float) -> dict | None:
    """`summarise` of `reaching`, or None when no run reached `threshold`."""
    hits = reaching(runs, threshold)
    return describe(hits) if hits else None


def comparison_rows(networks: dict, summaries: dict) -> list[list]:
    """C2's table rows (`COMPARISON_COLUMNS`), one per network.

    Args:
        networks: name -> (seed -> run).
        summaries: name -> `final_summary` of its runs.
    """
    rows = []
    for name, runs in networks.items():
        hit = reaching(runs, 0.97)
        rows.append(
            [
                name,
                f"{runs[min(runs)]['params']:,}",
                *(pct_pm(summaries[name][key]) for key in FINAL_KEYS),
                f"{np.mean(hit):,.0f} ({len(hit)}/{len(runs)} seeds)"
                if hit
                else "never",
            ]
        )
    return rows


def wall_minutes(runs: dict) -> dict:
    """`summarise` of the runs' wall time in minutes."""
    return describe(run["meta"]["wall_seconds"] / 60 for run in runs.values())


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
        "iterations_to_98_val": summarise_reaching(deep, 0.98),
        "iterations_to_95_val": summarise_reaching(deep, TARGET),
        "quiet_step": step_time(build_deep(padding=padding), batch_size=50),
        "wall_minutes": wall_minutes(deep),
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
        "wall_minutes": wall_minutes(linear),
        "gap_test_accuracy": summaries["deep"]["test_accuracy"]["mean"]
        - summaries["linear"]["test_accuracy"]["mean"],
        "table": {
            "columns": COMPARISON_COLUMNS,
            "rows": comparison_rows({"deep": deep, "linear": linear}, summaries),
        },
        "linear_seeds": {"columns": SEED_COLUMNS, "rows": seed_rows(linear)},
    }


def plot_deep(runs: dict):
    """Train and test accuracy of the deep network (C1.2).

    Args:
        runs: label -> list of histories, as for `plot_curves`.
    """
    fig, ax = new_figure(width=7, height=4)
    plot_curves(ax, runs, keys=("train_accuracy", "test_accuracy"), ylim=(0.9, 1.001))
    ax.set_title("Deep network on MNIST: accuracy every 500 iterations")
    return fig


def plot_deep_and_linear(runs: dict):
    """Accuracy and (log-scale) loss of the deep and linear networks side by side (C2).

    Args:
        runs: label -> list of histories, as for `plot_curves`.
    """
    fig, axes = new_figure(ncols=2, width=6, height=4)
    plot_curves(
        axes[0], runs, keys=("train_accuracy", "test_accuracy"), ylim=(0.85, 1.001)
    )
    axes[0].set_title("accuracy")
    plot_curves(axes[1], runs, keys=("train_loss", "test_loss"), ylabel="cross-entropy")
    axes[1].set_yscale("log")
    axes[1].set_title("loss")
    return fig


def report_deep_and_linear(padding: str, record=None, root: Path | None = None) -> None:
    """C1.2 and C2: writes `c1/summary.json`, `c2/summary.json` and their curves.

    Without linear runs only C1 is written.

    Args:
        padding: the padding of the runs to read.
        record: the report's configuration, stored in the summaries' metadata.
        root: the results folder. Defaults to `results_dir()`.
    """
    deep = load_runs("c1", f"deep_{padding}", root)
    try:
        linear = load_runs("c2", f"linear_{padding}", root)
    except FileNotFoundError:
        linear = {}
    write_result("c1", "summary", deep_summary(deep, padding), config=record, root=root)
    histories = {DEEP_LABEL: [r["history"] for r in deep.values()]}
    save_figure(plot_deep(histories), "c1", "curves", root)
    if not linear:
        return
    summary = linear_summary(deep, linear)
    write_result("c2", "summary", summary, config=record, root=root)
    histories[LINEAR_LABEL] = [r["history"] for r in linear.values()]
    save_figure(plot_deep_and_linear(histories), "c2", "curves", root)


def main(args: argparse.Namespace) -> None:
    """Trains one network of C1 or C2 and compares it with the site's runs.

    Args:
        args: `--linear`, `--padding`, `--seed`, `--iterations`, `--quick`,
            `--results-dir`, `--distribute` and the resume options.
    """
    from tfcnn.training.devices import use_strategy

    use_strategy(args.distribute)
    config = Config(
        linear=args.linear,
        padding=args.padding,
        seed=args.seed,
        iterations=args.iterations,
        distribute=args.distribute,
    )
    if args.quick:
        config = config.quick()
    backup = cli.training_backup(args, config.result_id, config.run_name)
    reference, summary = site_reference(config)
    run, path = train_deep(config, backup, cli.results_root(args))
    print_outcome(run, path, config, reference, summary)
