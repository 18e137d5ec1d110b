"""The baseline of bench/evaluation.py: a run's held-out prompts answered the way a
plain Tunix script would, with no Tunix RT code in the loop.

It builds the same model as Tunix RT's evaluation process for a full fine-tune of the
built-in `tunix-rt/tiny-gemma3` (Gemma 3, 2 layers, width 128, 4 heads, one KV head,
float32, from the run's seed), restores the run's latest checkpoint with Tunix's
CheckpointManager, and answers the prompts of a `tunix_sft` NDJSON file greedily with
Tunix's Sampler, `--batch` prompts at a time in file order, each batch padded to
`--batch` (so the sampler's shapes stay fixed) and up to `--max-new-tokens` tokens.
From Tunix RT it imports only ByteTokenizer (the same token ids).

Without --checkpoints (bench/serving.py) the model is the built-in one as it is, from
its seed. `--repeat R` answers the prompts R times.

It prints JSON lines: `ready` (model restored), `done` with `answered`, `tokens`
(generated, all batches), `generation_s` (all batches) and `warm_generation_s` /
`warm_answered` / `warm_tokens` (all but the first batch, which compiles), each with
`time`.

    python bench/_bare_tunix_sampler.py --checkpoints DIR --seed S --max-seq-length L \
        --dataset D.jsonl --batch 32 --max-new-tokens N [--limit K] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import jax.numpy as jnp
from flax import nnx
from tunix.generate import sampler as sampler_lib
from tunix.models.gemma3 import model as gemma3
from tunix.sft.checkpoint_manager import CheckpointManager
from tunix_rt_backend.training.tokenizer import ByteTokenizer

LAYERS, DIM, HEADS = 2, 128, 4
END_TURN = "<end_of_turn>"


def mark(event: str, **fields: Any) -> None:
    print(
        json.dumps({"event": event, "time": round(time.time(), 3), **fields}),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoints", type=Path)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--max-seq-length", type=int, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--max-new-tokens", type=int, required=True)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    prompts = [json.loads(line)["prompt"] for line in args.dataset.read_text().splitlines()]
    prompts = prompts[: args.limit] * args.repeat
    tok = ByteTokenizer()
    config = gemma3.ModelConfig(
        num_layers=LAYERS,
        num_embed=tok.vocab_size,
        embed_dim=DIM,
        hidden_dim=4 * DIM,
        num_heads=HEADS,
        head_dim=DIM // HEADS,
        num_kv_heads=1,
        sliding_window_size=2 * args.max_seq_length + 512,
        param_dtype=jnp.float32,
    )
    model = gemma3.Gemma3(config, rngs=nnx.Rngs(params=args.seed))
    step = None
    if args.checkpoints is not None:
        manager = CheckpointManager(root_directory=str(args.checkpoints))
        step, _ = manager.maybe_restore(model)
        manager.close()
    mark("ready", step=step)

    longest = max(len(tok.encode(p)) + 1 for p in prompts)
    prompt_len = 16
    while prompt_len < longest:
        prompt_len *= 2
    sampler = sampler_lib.Sampler(
        transformer=model,
        tokenizer=tok,
        cache_config=sampler_lib.CacheConfig(
            cache_size=prompt_len + args.max_new_tokens,
            num_layers=LAYERS,
            num_kv_heads=1,
            head_dim=DIM // HEADS,
        ),
    )
    eos = [tok.eos_id(), *tok.encode(END_TURN)]
    answered = tokens = first_tokens = 0
    started = warm = time.perf_counter()
    for n, start in enumerate(range(0, len(prompts), args.batch)):
        batch = prompts[start : start + args.batch]
        padded = batch + [batch[-1]] * (args.batch - len(batch))
        out = sampler(
            padded,
            max_generation_steps=args.max_new_tokens,
            max_prompt_length=prompt_len,
            temperature=0.0,
            eos_tokens=eos,
        )
        answered += len(out.text[: len(batch)])
        tokens += sum(len(t) for t in out.tokens[: len(batch)])
        if n == 0:
            warm = time.perf_counter()
            first, first_tokens = len(batch), tokens
    end = time.perf_counter()
    mark(
        "done",
        answered=answered,
        generation_s=round(end - started, 3),
        warm_generation_s=round(end - warm, 3),
        warm_answered=answered - first,
        tokens=tokens,
        warm_tokens=tokens - first_tokens,
    )


if __name__ == "__main__":
    main()
