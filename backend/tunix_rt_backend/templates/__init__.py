"""Prompt templates: leaf modules that datasets, training, judges and serving share."""
