"""Set A: Fashion-MNIST, strides and optimisers (A1-A6)."""
