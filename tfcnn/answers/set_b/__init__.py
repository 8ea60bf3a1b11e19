"""Set B: convolutions, losses and CIFAR-10 (B2.1-B2.6)."""
