"""`python -m tfcnn.data`: which data sets are available, where, and intact or not."""

from __future__ import annotations

import argparse

from tfcnn.data.datasets import LOADERS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tfcnn.data", description="Report the data sets tfcnn can find."
    )
    parser.add_argument(
        "--data-dir", help="folder to search first (else $TFCNN_DATA_DIR, caches)"
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help="allow the online tfds.load fallback",
    )
    args = parser.parse_args(argv)
    missing = 0
    for name, loader in LOADERS.items():
        try:
            ds = loader(data_dir=args.data_dir, download=args.download)
        except (FileNotFoundError, ValueError) as error:
            missing += 1
            print(f"{name}: NOT AVAILABLE\n{error}\n")
            continue
        checks = {True: "match", None: "no SHA256SUMS file"}[ds.checksums_ok]
        print(
            f"{name}: {ds.source}\n"
            f"  train {ds.x_train.shape} test {ds.x_test.shape}, {len(ds.class_names)} classes\n"
            f"  checksums: {checks}\n"
        )
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
