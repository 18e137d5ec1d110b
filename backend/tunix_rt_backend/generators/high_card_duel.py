"""High Card Duel (UNGAR's game) as reasoning traces.

The rules are UNGAR's: a 56-card deck (four suits of ace to king plus one joker each)
in canonical order (suit by suit: spades, hearts, diamonds, clubs; within a suit ace,
two, ..., king, joker) is shuffled with `random.Random(seed)` and each player gets one
card, player 1 the first. The higher rank wins (joker > ace > king > ... > two); equal
ranks tie. Game `n` of a request with seed `s` uses seed `s + n`, so a game is the
same whoever generates it.

When the `ungar` package is installed, its own implementation deals the cards. UNGAR
at the commit the seed pins deals from the same 56 cards as this module, but newer
UNGAR revisions leave the jokers out, so the same seed can deal other cards there:
each trace records the engine that dealt it in `meta.engine`.
"""

from __future__ import annotations

import functools
import importlib.metadata
import random
from typing import Any, NamedTuple

from tunix_rt_backend.traces.schemas import ReasoningTrace

SUITS = ("spades", "hearts", "diamonds", "clubs")
RANKS = (
    "ace",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "jack",
    "queen",
    "king",
    "joker",
)
# Comparison values: two..king are 2..13, the ace beats the king, the joker beats all.
RANK_VALUE = {rank: n for n, rank in enumerate(RANKS, 1)} | {"ace": 14, "joker": 15}
ANSWERS = ("Player 1", "Player 2", "Tie")


class Card(NamedTuple):
    suit: str
    rank: str

    @property
    def value(self) -> int:
        return RANK_VALUE[self.rank]

    def __str__(self) -> str:
        return f"the {self.rank} of {self.suit}"


@functools.cache
def ungar_version() -> str | None:
    try:
        return importlib.metadata.version("ungar")
    except importlib.metadata.PackageNotFoundError:
        return None


def deal_builtin(seed: int) -> tuple[Card, Card]:
    deck = [Card(suit, rank) for suit in SUITS for rank in RANKS]
    random.Random(seed).shuffle(deck)
    return deck[0], deck[1]


def deal_ungar(seed: int) -> tuple[Card, Card]:  # pragma: no cover - needs `ungar`
    from ungar.games.high_card_duel import make_high_card_duel_spec

    state: Any = make_high_card_duel_spec().initial_state(seed)
    first, second = (Card(c.suit.name.lower(), c.rank.name.lower()) for c in state.hands)
    return first, second


def deal(seed: int) -> tuple[Card, Card]:
    return deal_ungar(seed) if ungar_version() is not None else deal_builtin(seed)


def winner(first: Card, second: Card) -> str:
    if first.value == second.value:
        return "Tie"
    return "Player 1" if first.value > second.value else "Player 2"


def game_trace(seed: int) -> ReasoningTrace:
    """A deliberately short trace (a byte-level toy model trains on every character):
    each player's rank as a number, player 2's compared with player 1's right where it
    is written, then the winner, which that one word (lower, higher, equal) decides."""
    first, second = deal(seed)
    answer = winner(first, second)
    relation = {"Player 1": "lower than", "Player 2": "higher than", "Tie": "equal to"}[answer]
    outcome = "it is a tie" if answer == "Tie" else f"{answer} wins"
    return {
        "trace_version": "1.0",
        "prompt": f"High Card Duel: Player 1 has {first}, Player 2 has {second}. Who wins?",
        "final_answer": answer,
        "steps": [
            {"i": 0, "type": "observe", "content": f"Player 1: {first.rank}, rank {first.value}."},
            {
                "i": 1,
                "type": "compare",
                "content": (
                    f"Player 2: {second.rank}, rank {second.value}, {relation} {first.value}."
                ),
            },
            {"i": 2, "type": "conclude", "content": f"So {outcome}."},
        ],
        "meta": {
            "source": "ungar",
            "game": "high_card_duel",
            "seed": seed,
            "engine": "builtin" if ungar_version() is None else "ungar",
            "cards": [first._asdict(), second._asdict()],
            "answers": list(ANSWERS),
        },
    }


def generate(count: int, seed: int) -> list[ReasoningTrace]:
    return [game_trace(seed + n) for n in range(count)]
