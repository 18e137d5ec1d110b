"""Hyperparameter tuning on Ray Tune: studies whose every trial is a real training run."""
