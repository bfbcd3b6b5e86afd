"""Training: AutoML jobs from a dataset and a target to an evaluated model."""
