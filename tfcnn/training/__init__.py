"""Training: compiling, the fit path, callbacks, checkpoints, devices and timing."""
