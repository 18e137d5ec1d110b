"""Forward passes of a local checkpoint as Tunix RT loads it (training.models), timed:
the model over [rows, length] tokens, compiled once, then `--repeats` times. Prints
one JSON line: load_s, compile_s, tokens_per_s per shape and peak_rss_mb.

    MODEL_DIR=... python bench/_gemma3_forward.py --model google/gemma-3-270m
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import jax
import jax.numpy as jnp
from flax import nnx
from tunix.sft import utils as sft_utils
from tunix_rt_backend.training.models import load_model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    loaded = load_model(args.model, 128, 0)
    load_s = time.perf_counter() - started
    graphdef, params = nnx.split(loaded.model)

    @jax.jit
    def forward(params: object, tokens: jax.Array) -> jax.Array:
        model = nnx.merge(graphdef, params)
        mask = jnp.ones(tokens.shape, dtype=jnp.bool_)
        positions = sft_utils.build_positions_from_mask(mask)
        logits, _ = model(tokens, positions, None, sft_utils.make_causal_attn_mask(mask))
        return logits[:, -1]

    shapes = {}
    for rows, length in ((1, 128), (4, 128)):
        tokens = jax.random.randint(jax.random.key(0), (rows, length), 3, 1000, dtype=jnp.int32)
        began = time.perf_counter()
        forward(params, tokens).block_until_ready()
        compile_s = time.perf_counter() - began
        began = time.perf_counter()
        for _ in range(args.repeats):
            forward(params, tokens).block_until_ready()
        each = (time.perf_counter() - began) / args.repeats
        shapes[f"{rows}x{length}"] = {
            "compile_s": round(compile_s, 2),
            "seconds": round(each, 3),
            "tokens_per_s": round(rows * length / each, 1),
        }
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"load_s": round(load_s, 2), "shapes": shapes, "peak_rss_mb": round(rss)}))


if __name__ == "__main__":
    main()
