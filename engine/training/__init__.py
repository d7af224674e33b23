"""Training: run settings, the dataset snapshot, runs, the training process, sweeps."""
