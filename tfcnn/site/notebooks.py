"""Running the walkthrough notebooks in place, so that the site shows fresh outputs.

`execute` runs every cell of a notebook in a fresh Python kernel, from the
notebook's folder, stops at the first cell that raises, and drops
TensorFlow's start-up messages on stderr (oneDNN, CUDA, CPU-instruction
notices) from the saved outputs; any other stderr output is kept. This is
`jupyter nbconvert --to notebook --execute --inplace` plus that clean-up; the
site does not execute notebooks when it is built.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from tfcnn.results import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "docs" / "notebooks"
START_UP_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog"
    r"|[IEW]\d{4} \d\d:\d\d:\d+\.\d+ "  # absl/TSL log lines
    r"|To enable the following instructions: "
    r"|.*TqdmWarning: IProgress not found"
    r"|\s*from \.autonotebook import tqdm)"
)


def is_start_up_noise(output) -> bool:
    """A stderr stream output made only of TensorFlow/absl start-up lines."""
    if output.get("output_type") != "stream" or output.get("name") != "stderr":
        return False
    lines = [line for line in output.get("text", "").splitlines() if line.strip()]
    return all(START_UP_NOISE.match(line) for line in lines)


def execute(path: Path, timeout: int = 600) -> float:
    """Runs the notebook at `path` in place, without its start-up noise.

    Args:
        path: the notebook.
        timeout: seconds one cell may take before the run fails. Defaults to 600.

    Returns:
        The wall time in seconds.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - started
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not is_start_up_noise(o)]
    nbformat.write(notebook, path)
    return seconds


def main(args: argparse.Namespace) -> None:
    """Runs `args.notebooks` (default: every notebook of docs/notebooks) in place."""
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no notebooks found in {NOTEBOOKS}")
    for path in paths:
        print(f"running {path} ...", flush=True)
        print(f"  done in {execute(path, args.timeout):.0f} s", flush=True)
