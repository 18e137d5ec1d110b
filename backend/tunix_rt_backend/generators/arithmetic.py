"""Arithmetic problems with worked steps; `difficulty` (1-5) sets the operation and
the size of the numbers:

1. a + b, one digit each      2. a + b, two digits each     3. a - b, 10 to 999 each
4. a x b, two digits by one   5. a x b, two digits each

Problem `n` of a request with seed `s` draws from `random.Random(f"{difficulty}:{s + n}")`.
"""

from __future__ import annotations

import random

from tunix_rt_backend.traces.schemas import ReasoningTrace, TraceStep

DIFFICULTIES = range(1, 6)


def _operands(difficulty: int, rng: random.Random) -> tuple[int, str, int]:
    if difficulty == 1:
        return rng.randint(0, 9), "+", rng.randint(0, 9)
    if difficulty == 2:
        return rng.randint(10, 99), "+", rng.randint(10, 99)
    if difficulty == 3:
        a, b = rng.randint(10, 999), rng.randint(10, 999)
        return max(a, b), "-", min(a, b)
    if difficulty == 4:
        return rng.randint(10, 99), "*", rng.randint(2, 9)
    return rng.randint(10, 99), "*", rng.randint(10, 99)


def _addition_steps(a: int, b: int) -> list[str]:
    """Column by column, ones first, with carries."""
    steps, carry, place = [], 0, 1
    while a >= place or b >= place or carry:
        da, db = a // place % 10, b // place % 10
        total = da + db + carry
        # The ones place always shows both digits (0 + 8), higher places only real ones.
        shown = ((da, a >= place or place == 1), (db, b >= place or place == 1))
        terms = [str(d) for d, present in shown if present]
        terms += [f"carry {carry}"] if carry else []
        step = f"Place {place}: {' + '.join(terms)} = {total}"
        steps.append(step + (f", write {total % 10}, carry 1" if total >= 10 else ""))
        carry, place = total // 10, place * 10
    return steps or ["0 + 0 = 0"]


def _subtraction_steps(a: int, b: int) -> list[str]:
    """Subtract b one place value at a time, largest first."""
    parts = [int(d) * 10**k for k, d in enumerate(reversed(str(b))) if d != "0"][::-1]
    steps = [f"Split {b} into {' + '.join(map(str, parts))}."] if len(parts) > 1 else []
    left = a
    for part in parts:
        steps.append(f"{left} - {part} = {left - part}.")
        left -= part
    return steps


def _multiplication_steps(a: int, b: int) -> list[str]:
    tens, ones = b // 10 * 10, b % 10
    if ones == 0:
        return [f"{a} × {b // 10} = {a * (b // 10)}.", f"{a * (b // 10)} × 10 = {a * b}."]
    if tens == 0:
        high, low = a // 10 * 10, a % 10
        if low == 0:
            return [f"{a // 10} × {b} = {a // 10 * b}.", f"{a // 10 * b} × 10 = {a * b}."]
        return [
            f"Split {a} into {high} + {low}.",
            f"{high} × {b} = {high * b} and {low} × {b} = {low * b}.",
            f"{high * b} + {low * b} = {a * b}.",
        ]
    return [
        f"Split {b} into {tens} + {ones}.",
        f"{a} × {tens} = {a * tens} and {a} × {ones} = {a * ones}.",
        f"{a * tens} + {a * ones} = {a * b}.",
    ]


def problem_trace(difficulty: int, seed: int) -> ReasoningTrace:
    a, op, b = _operands(difficulty, random.Random(f"{difficulty}:{seed}"))
    if op == "+":
        result, work = a + b, _addition_steps(a, b)
    elif op == "-":
        result, work = a - b, _subtraction_steps(a, b)
    else:
        result, work = a * b, _multiplication_steps(a, b)
    symbol = {"+": "+", "-": "-", "*": "×"}[op]
    steps: list[TraceStep] = [{"i": 0, "type": "parse", "content": f"Compute {a} {symbol} {b}."}]
    steps += [{"i": n, "type": "compute", "content": text} for n, text in enumerate(work, 1)]
    steps.append({"i": len(steps), "type": "result", "content": f"{a} {symbol} {b} = {result}."})
    return {
        "trace_version": "1.0",
        "prompt": f"What is {a} {symbol} {b}?",
        "final_answer": str(result),
        "steps": steps,
        "meta": {
            "source": "arithmetic",
            "difficulty": difficulty,
            "seed": seed,
            "operands": [a, b],
            "operator": op,
        },
    }


def generate(count: int, seed: int, difficulty: int) -> list[ReasoningTrace]:
    return [problem_trace(difficulty, seed + n) for n in range(count)]
