"""Set C: a study of CNNs on MNIST (C1-C5 and the theory items CT)."""
