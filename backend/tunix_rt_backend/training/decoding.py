"""Batched decoding for the model process (serve_model.py): a prefill, then a loop of
decoding steps that runs until a given step, so text can be reported between chunks.

The model calls are Tunix 0.1.7's Sampler's own (`_prefill_fn`, `_sample_step`: the
same inputs, masks, positions and cache), so a greedy answer is the token-for-token
answer of evaluation's Sampler; only the choice of the next token is ours: per row,
with its temperature, top-p and random key as traced values. So a new temperature
never compiles anything, and greedy and sampled requests share one batch. Compiled
shapes: (rows, prompt length, cache size).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from flax import nnx
from tunix.generate import sampler as sampler_lib
from tunix.generate import utils as gen_utils
from tunix.sft import utils as sft_utils


class Carry(NamedTuple):
    """The decoding state: `step` is the index of the last token written."""

    step: Any  # int32 scalar
    tokens: Any  # [rows, cache] int32: prompts left-padded, then what is written
    positions: Any  # [rows, cache] int32
    cache: Any
    done: Any  # [rows] bool


class Sampling(NamedTuple):
    temperature: Any  # [rows] float32; 0: greedy
    top_p: Any  # [rows] float32
    keys: Any  # [rows, 2] uint32


def choose(logits: Any, sampling: Sampling, step: Any) -> Any:
    """The next token of each row: the likeliest where its temperature is 0 (as Tunix's
    greedy sampling takes it), else drawn from its nucleus (top-p) at its temperature,
    with its own key folded with the step."""
    greedy = jnp.argmax(logits, axis=-1)

    def draw() -> Any:
        scaled = logits.astype(jnp.float32) / jnp.maximum(sampling.temperature, 1e-6)[:, None]
        ordered = jnp.sort(scaled, axis=-1)[:, ::-1]
        probs = jax.nn.softmax(ordered, axis=-1)
        # Keep the smallest set of likeliest tokens whose mass reaches top_p.
        kept = (jnp.cumsum(probs, axis=-1) - probs) <= sampling.top_p[:, None]
        floor = jnp.min(jnp.where(kept, ordered, jnp.inf), axis=-1)
        masked = jnp.where(scaled >= floor[:, None], scaled, -jnp.inf)
        keys = jax.vmap(lambda key: jax.random.fold_in(key, step))(sampling.keys)
        drawn = jax.vmap(jax.random.categorical)(keys, masked)
        return jnp.where(sampling.temperature > 0, drawn, greedy)

    return jax.lax.cond(jnp.any(sampling.temperature > 0), draw, lambda: greedy)


class Decoder:
    """The model's graph and weights, and the two compiled functions."""

    def __init__(self, model: Any, pad_id: int, eos: list[int], cache_spec: Any) -> None:
        self.graphdef, self.params = nnx.split(model)
        self.pad_id = pad_id
        self.eos = jnp.array(eos)
        self.cache_spec = cache_spec  # LoadedModel: num_layers, num_kv_heads, head_dim
        self.model = model
        self._dtype = self._param_dtype(model)
        self._last_token_only = "decode_only_last_token" in _call_parameters(model)
        self.prefill = jax.jit(self._prefill, static_argnames=("cache_size",))
        self.advance = jax.jit(self._advance, donate_argnums=(1,))
        self.score = jax.jit(self._score, static_argnames=("k",))

    @staticmethod
    def _param_dtype(model: Any) -> Any:
        config = getattr(model, "config", None)
        if config is not None and hasattr(config, "dtype"):
            return config.dtype
        return jax.tree.leaves(nnx.state(model))[0].dtype

    def _init_cache(self, rows: int, cache_size: int) -> Any:
        if hasattr(self.model, "init_cache"):
            return self.model.init_cache(rows, cache_size, self._dtype)
        spec = self.cache_spec
        return sampler_lib._init_cache(
            spec.num_layers, cache_size, rows, spec.num_kv_heads, spec.head_dim, self._dtype
        )

    def _prefill(
        self, params: Any, prompts: Any, live: Any, sampling: Sampling, cache_size: int
    ) -> Carry:
        """Reads the left-padded `prompts` [rows, P] and writes each row's first token
        at index P; rows not `live` (padding) are done from the start."""
        rows, length = prompts.shape
        transformer = nnx.merge(self.graphdef, params)
        input_mask = prompts != self.pad_id
        if hasattr(transformer, "get_attention_mask"):
            mask = transformer.get_attention_mask(prompts, inputs_mask=input_mask)
            mask = jnp.pad(
                mask, (*((0, 0) for _ in range(mask.ndim - 1)), (0, cache_size - length))
            )
        else:
            mask = gen_utils.make_causal_attn_mask(input_mask, cache_size)
        tokens = jnp.full((rows, cache_size), self.pad_id, dtype=jnp.int32)
        tokens = tokens.at[:, :length].set(prompts)
        # Positions as Tunix's sampler counts them: padding before a prompt is not counted.
        everywhere = jnp.ones((rows, cache_size), dtype=jnp.bool_).at[:, :length].set(input_mask)
        positions = gen_utils.build_positions_from_mask(everywhere)
        extra = {"decode_only_last_token": True} if self._last_token_only else {}
        logits, cache = transformer(
            prompts, positions[:, :length], self._init_cache(rows, cache_size), mask, **extra
        )
        step = jnp.int32(length - 1)
        first = choose(logits[:, -1], sampling, step)
        tokens = tokens.at[:, length].set(first)
        done = jnp.logical_not(live) | jnp.isin(first, self.eos)
        return Carry(step + 1, tokens, positions, cache, done)

    def _advance(self, params: Any, carry: Carry, until: Any, sampling: Sampling) -> Carry:
        """Decoding steps until `until` (the index of the last token to write) or until
        every row is done."""
        transformer = nnx.merge(self.graphdef, params)
        rows, cache_size = carry.tokens.shape

        def more(c: Carry) -> Any:
            return (c.step < until) & jnp.any(jnp.logical_not(c.done))

        def one(c: Carry) -> Carry:
            last = c.tokens[:, c.step].reshape((rows, 1))
            position = jnp.expand_dims(c.positions[:, c.step], -1)
            mask = gen_utils.compute_attention_masks(c.step, cache_size, c.tokens == self.pad_id)
            logits, cache = transformer(
                last, positions=position, cache=c.cache, attention_mask=mask
            )
            token = choose(logits[:, -1], sampling, c.step)
            tokens = c.tokens.at[:, c.step + 1].set(token)
            return Carry(c.step + 1, tokens, c.positions, cache, c.done | jnp.isin(token, self.eos))

        return jax.lax.while_loop(more, one, carry)

    def _score(self, params: Any, tokens: Any, mask: Any, k: int) -> Any:
        """One forward pass over `tokens` [1, L] (right-padded, `mask` the real ones):
        log p(token t+1 | tokens up to t) for every t, and the k likeliest there, as
        training computes its loss."""
        model = nnx.merge(self.graphdef, params)
        positions = sft_utils.build_positions_from_mask(mask)
        logits, _ = model(tokens, positions, None, sft_utils.make_causal_attn_mask(mask))
        logp = jax.nn.log_softmax(logits[:, :-1].astype(jnp.float32), axis=-1)
        chosen = jnp.take_along_axis(logp, tokens[:, 1:, None], axis=-1)[..., 0]
        values, indices = jax.lax.top_k(logp, k)
        return chosen[0], values[0], indices[0]


def _call_parameters(model: Any) -> Any:
    import inspect

    return inspect.signature(model.__call__).parameters
