"""The offline trace generators: High Card Duel (UNGAR's game) and arithmetic.

Expectations are computed here independently from the rules in each module's
docstring, not with the modules' own helpers.
"""

from __future__ import annotations

import operator
import random
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tunix_rt_backend.generators import arithmetic, high_card_duel
from tunix_rt_backend.generators.high_card_duel import Card, winner
from tunix_rt_backend.templates.gemma_reasoning import answers_match, render_trace
from tunix_rt_backend.traces.schemas import (
    TRACE_ADAPTER,
    ReasoningTrace,
    duplicate_step_indices,
)

# UNGAR's canonical deck order: suit by suit, within a suit ace, two, ..., king, joker.
CANONICAL_SUITS = ["spades", "hearts", "diamonds", "clubs"]
CANONICAL_RANKS = [
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
]
# Weakest to strongest: two < three < ... < king < ace < joker.
STRENGTH = [*CANONICAL_RANKS[1:13], "ace", "joker"]
DUEL_SEEDS = range(2000)
ARITHMETIC_SEEDS = range(500)
OPERATIONS: dict[str, Callable[[int, int], int]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}
SYMBOLS = {"+": "+", "-": "-", "*": "×"}


def expected_deal(seed: int) -> list[dict[str, str]]:
    deck = [{"suit": suit, "rank": rank} for suit in CANONICAL_SUITS for rank in CANONICAL_RANKS]
    random.Random(seed).shuffle(deck)
    return deck[:2]


def expected_winner(first_rank: str, second_rank: str) -> str:
    first, second = STRENGTH.index(first_rank), STRENGTH.index(second_rank)
    if first == second:
        return "Tie"
    return "Player 1" if first > second else "Player 2"


def cards_of(trace: ReasoningTrace) -> list[dict[str, str]]:
    meta = trace.get("meta")
    assert meta is not None
    cards: list[dict[str, str]] = meta["cards"]
    return cards


def meta_of(trace: ReasoningTrace) -> dict[str, Any]:
    meta = trace.get("meta")
    assert meta is not None
    return meta


@pytest.fixture
def duels() -> list[ReasoningTrace]:
    return high_card_duel.generate(len(DUEL_SEEDS), seed=DUEL_SEEDS[0])


@pytest.fixture
def problems() -> dict[int, list[ReasoningTrace]]:
    return {
        difficulty: arithmetic.generate(len(ARITHMETIC_SEEDS), ARITHMETIC_SEEDS[0], difficulty)
        for difficulty in arithmetic.DIFFICULTIES
    }


# High Card Duel


def test_duel_same_seed_gives_identical_trace() -> None:
    for seed in (0, 1, 42, 2**31 - 1):
        assert high_card_duel.game_trace(seed) == high_card_duel.game_trace(seed)
    assert high_card_duel.generate(5, seed=9) == high_card_duel.generate(5, seed=9)


def test_duel_game_n_of_a_request_uses_seed_plus_n() -> None:
    games = high_card_duel.generate(25, seed=1000)
    assert games == [high_card_duel.game_trace(1000 + n) for n in range(25)]
    assert [meta_of(game)["seed"] for game in games] == list(range(1000, 1025))


def test_duel_deck_is_four_suits_of_ace_to_king_plus_joker() -> None:
    assert list(high_card_duel.SUITS) == CANONICAL_SUITS
    assert list(high_card_duel.RANKS) == CANONICAL_RANKS
    assert len(high_card_duel.SUITS) * len(high_card_duel.RANKS) == 56


def test_duel_deals_from_all_56_cards(duels: list[ReasoningTrace]) -> None:
    dealt = {(card["suit"], card["rank"]) for duel in duels for card in cards_of(duel)}
    assert dealt == {(suit, rank) for suit in CANONICAL_SUITS for rank in CANONICAL_RANKS}


def test_duel_dealt_cards_are_distinct(duels: list[ReasoningTrace]) -> None:
    for duel in duels:
        first, second = cards_of(duel)
        assert first != second, duel


@pytest.mark.parametrize("seed", [0, 1, 7, 42, 12345, 2**31 - 1])
def test_duel_deal_follows_ungar_algorithm(seed: int) -> None:
    """Canonical deck, `random.Random(seed).shuffle`, player 1 gets the first card."""
    expected = expected_deal(seed)
    assert cards_of(high_card_duel.game_trace(seed)) == expected
    assert [card._asdict() for card in high_card_duel.deal(seed)] == expected


def test_duel_deal_is_pinned_for_seed_42() -> None:
    """A game is the same whoever generates it, on any Python."""
    assert cards_of(high_card_duel.game_trace(42)) == [
        {"suit": "diamonds", "rank": "three"},
        {"suit": "hearts", "rank": "ten"},
    ]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (Card("spades", "joker"), Card("hearts", "ace"), "Player 1"),
        (Card("clubs", "ace"), Card("clubs", "king"), "Player 1"),
        (Card("hearts", "king"), Card("spades", "queen"), "Player 1"),
        (Card("diamonds", "three"), Card("hearts", "two"), "Player 1"),
        (Card("spades", "two"), Card("hearts", "ace"), "Player 2"),
        (Card("spades", "ten"), Card("hearts", "jack"), "Player 2"),
        (Card("clubs", "king"), Card("diamonds", "joker"), "Player 2"),
        (Card("spades", "two"), Card("hearts", "two"), "Tie"),
        (Card("spades", "queen"), Card("clubs", "queen"), "Tie"),
        (Card("hearts", "joker"), Card("clubs", "joker"), "Tie"),
    ],
)
def test_duel_winner_on_hand_picked_cards(first: Card, second: Card, expected: str) -> None:
    assert winner(first, second) == expected


def test_duel_winner_follows_joker_ace_king_to_two_for_every_pair() -> None:
    for first_rank in CANONICAL_RANKS:
        for second_rank in CANONICAL_RANKS:
            got = winner(Card("spades", first_rank), Card("hearts", second_rank))
            assert got == expected_winner(first_rank, second_rank), (first_rank, second_rank)


def test_duel_final_answer_agrees_with_the_dealt_cards(duels: list[ReasoningTrace]) -> None:
    for duel in duels:
        first, second = cards_of(duel)
        assert duel["final_answer"] == expected_winner(first["rank"], second["rank"]), duel


def test_duel_all_three_answers_occur(duels: list[ReasoningTrace]) -> None:
    answers = Counter(duel["final_answer"] for duel in duels)
    assert set(answers) == {"Player 1", "Player 2", "Tie"}
    assert all(meta_of(duel)["answers"] == ["Player 1", "Player 2", "Tie"] for duel in duels)


def test_duel_prompt_names_both_dealt_cards(duels: list[ReasoningTrace]) -> None:
    for duel in duels[:200]:
        first, second = cards_of(duel)
        assert duel["prompt"] == (
            f"High Card Duel: Player 1 has the {first['rank']} of {first['suit']}, "
            f"Player 2 has the {second['rank']} of {second['suit']}. Who wins?"
        )


def test_duel_steps_give_ranks_then_one_comparison_then_the_winner(
    duels: list[ReasoningTrace],
) -> None:
    """Short on purpose: a byte-level toy model learns it in about a minute."""
    outcomes = {
        "Player 1": "So Player 1 wins.",
        "Player 2": "So Player 2 wins.",
        "Tie": "So it is a tie.",
    }
    relations = {"Player 1": "lower than", "Player 2": "higher than", "Tie": "equal to"}
    for duel in duels:
        first, second = cards_of(duel)
        one, two = STRENGTH.index(first["rank"]) + 2, STRENGTH.index(second["rank"]) + 2
        answer = duel["final_answer"]
        assert [step["content"] for step in duel["steps"]] == [
            f"Player 1: {first['rank']}, rank {one}.",
            f"Player 2: {second['rank']}, rank {two}, {relations[answer]} {one}.",
            outcomes[answer],
        ]


def test_duel_trace_is_pinned_for_seed_42() -> None:
    completion = render_trace(high_card_duel.game_trace(42)).completion
    assert completion == (
        "Reasoning:\n1. Player 1: three, rank 3.\n"
        "2. Player 2: ten, rank 10, higher than 3.\n3. So Player 2 wins.\n"
        "Answer: Player 2<end_of_turn>"
    )


def test_duel_traces_are_valid_with_unique_step_indices(duels: list[ReasoningTrace]) -> None:
    for duel in duels:
        assert TRACE_ADAPTER.validate_python(duel) == duel
        assert duplicate_step_indices(duel) == []
        indices = [step["i"] for step in duel["steps"]]
        assert len(set(indices)) == len(indices)


def test_duel_final_answer_is_checkable_from_the_rendered_completion(
    duels: list[ReasoningTrace],
) -> None:
    for duel in duels:
        completion = render_trace(duel).completion
        assert answers_match(duel["final_answer"], completion)
        others = {"Player 1", "Player 2", "Tie"} - {duel["final_answer"]}
        assert not any(answers_match(other, completion) for other in others)


# Arithmetic


@pytest.mark.parametrize("difficulty", arithmetic.DIFFICULTIES)
def test_arithmetic_final_answer_is_the_true_result(
    problems: dict[int, list[ReasoningTrace]], difficulty: int
) -> None:
    for problem in problems[difficulty]:
        meta = meta_of(problem)
        a, b = meta["operands"]
        assert problem["final_answer"] == str(OPERATIONS[meta["operator"]](a, b)), problem


def digits(n: int) -> int:
    return len(str(n))


@pytest.mark.parametrize(
    ("difficulty", "op", "fits"),
    [
        (1, "+", lambda a, b: 0 <= a <= 9 and 0 <= b <= 9),
        (2, "+", lambda a, b: digits(a) == 2 and digits(b) == 2),
        (3, "-", lambda a, b: 0 <= b <= a <= 999),
        (4, "*", lambda a, b: digits(a) == 2 and 0 <= b <= 9),
        (5, "*", lambda a, b: digits(a) == 2 and digits(b) == 2),
    ],
    ids=["1-one-digit-sum", "2-two-digit-sum", "3-difference", "4-2x1-product", "5-2x2-product"],
)
def test_arithmetic_operands_match_the_difficulty(
    problems: dict[int, list[ReasoningTrace]],
    difficulty: int,
    op: str,
    fits: Callable[[int, int], bool],
) -> None:
    for problem in problems[difficulty]:
        meta = meta_of(problem)
        a, b = meta["operands"]
        assert meta["operator"] == op, problem
        assert meta["difficulty"] == difficulty
        assert fits(a, b), problem
        assert problem["prompt"] == f"What is {a} {SYMBOLS[op]} {b}?"


def test_arithmetic_subtraction_is_never_negative(
    problems: dict[int, list[ReasoningTrace]],
) -> None:
    for problem in problems[3]:
        assert int(problem["final_answer"]) >= 0, problem


@pytest.mark.parametrize("difficulty", arithmetic.DIFFICULTIES)
def test_arithmetic_same_seed_gives_identical_trace(difficulty: int) -> None:
    for seed in (0, 1, 42, 2**31 - 1):
        trace = arithmetic.problem_trace(difficulty, seed)
        assert trace == arithmetic.problem_trace(difficulty, seed)
        assert meta_of(trace)["seed"] == seed
    assert arithmetic.generate(20, 77, difficulty) == [
        arithmetic.problem_trace(difficulty, 77 + n) for n in range(20)
    ]


def test_arithmetic_problems_are_pinned_for_seed_42() -> None:
    """Seeds are strings hashed with SHA-512 by `random`, so problems do not depend on
    PYTHONHASHSEED: the same seed gives the same problem in every process."""
    pinned = {1: [0, 8], 2: [98, 54], 3: [599, 146], 4: [94, 2], 5: [57, 57]}
    for difficulty, operands in pinned.items():
        assert meta_of(arithmetic.problem_trace(difficulty, 42))["operands"] == operands


@pytest.mark.parametrize("difficulty", arithmetic.DIFFICULTIES)
def test_arithmetic_steps_are_numbered_from_zero_and_valid(
    problems: dict[int, list[ReasoningTrace]], difficulty: int
) -> None:
    for problem in problems[difficulty]:
        assert [step["i"] for step in problem["steps"]] == list(range(len(problem["steps"])))
        assert TRACE_ADAPTER.validate_python(problem) == problem


@pytest.mark.parametrize("difficulty", arithmetic.DIFFICULTIES)
def test_arithmetic_last_step_states_the_result(
    problems: dict[int, list[ReasoningTrace]], difficulty: int
) -> None:
    for problem in problems[difficulty]:
        meta = meta_of(problem)
        a, b = meta["operands"]
        symbol, result = SYMBOLS[meta["operator"]], problem["final_answer"]
        last = problem["steps"][-1]
        assert last["type"] == "result"
        assert last["content"] == f"{a} {symbol} {b} = {result}."


# "7 + 5 + carry 1 = 13", "90 × 2 = 180", "599 - 100 = 499": terms, an operator between
# each two, then the total.
EQUATION = re.compile(r"((?:carry )?\d+(?: [-+×] (?:carry )?\d+)*) = (\d+)")


@pytest.mark.parametrize("difficulty", arithmetic.DIFFICULTIES)
def test_arithmetic_worked_equations_are_true(
    problems: dict[int, list[ReasoningTrace]], difficulty: int
) -> None:
    checked = 0
    for problem in problems[difficulty]:
        for step in problem["steps"][1:]:
            for match in EQUATION.finditer(step["content"]):
                tokens = match.group(1).replace("carry ", "").split(" ")
                total = int(tokens[0])
                for symbol, term in zip(tokens[1::2], tokens[2::2], strict=True):
                    op = {"+": operator.add, "-": operator.sub, "×": operator.mul}[symbol]
                    total = op(total, int(term))
                assert total == int(match.group(2)), step
                checked += 1
    assert checked >= len(problems[difficulty])


@pytest.mark.parametrize("difficulty", arithmetic.DIFFICULTIES)
def test_arithmetic_final_answer_is_checkable_from_the_rendered_completion(
    problems: dict[int, list[ReasoningTrace]], difficulty: int
) -> None:
    for problem in problems[difficulty]:
        completion = render_trace(problem).completion
        assert answers_match(problem["final_answer"], completion)
        assert not answers_match(str(int(problem["final_answer"]) + 1), completion)
