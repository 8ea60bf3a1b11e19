"""Set B, B2.6 (bonus), on a stand-in for the dog breeds: cat against dog.

Trains B2.4's CIFAR-10 network on the eight classes that are neither cat nor
dog for 4 epochs (the pretrained backbone), then learns cat against dog from 100 and 500
labelled images, three seeds each: a logistic regression on the frozen
backbone's features (transfer) against the same network trained from scratch
on the same images. Settings are chosen on validation images; the 2,000
CIFAR-10 test cats and dogs are only reported. Both networks train in
B2.4's precision (`--precision auto`: bfloat16 on a CPU with AMX, float32
elsewhere, where bfloat16 is emulated and several times slower). Writes
`docs/results/b2-6/summary.json`. Full run: about 20 minutes on two cores.

    python scripts/train_transfer_standin.py
    python scripts/train_transfer_standin.py --quick   # a smoke run under runs/quick
"""

from __future__ import annotations

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.script_parser(__doc__)
    cli.add_precision_argument(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_b.b2_6_transfer", parse_args())
