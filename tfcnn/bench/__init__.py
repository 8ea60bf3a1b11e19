"""Benchmarks of training speed: FLOP counts, the CPU's peak, Keras against PyTorch."""
