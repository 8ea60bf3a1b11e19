"""Training: compiling, the one fit path, callbacks, metrics, checkpoints, devices and timing."""
