"""Training: the run manifest, data preparation and the training process.

`python -m tunix_rt_backend.training` is the training process (one OS process per
run). Only `trainer.py` and `models.py` import JAX/Tunix; everything else here is
plain Python so the service can validate runs without the `tunix` extra.
"""
