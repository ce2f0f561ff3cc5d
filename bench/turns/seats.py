"""Seats: one conversation each, a seeded teacher after another, six exchanges per interview."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from bench.turns.workload import EXCHANGES_PER_INTERVIEW, TEACHERS


@dataclass
class Seat:
    """One conversation slot: its current teacher and how many exchanges it has had."""

    teachers: Iterator[int]
    teacher: int = 0
    step: int = EXCHANGES_PER_INTERVIEW

    def advance(self) -> None:
        """On to the next exchange, taking the next teacher once an interview has had its six."""
        if self.step == EXCHANGES_PER_INTERVIEW:
            try:
                self.teacher = next(self.teachers)
            except StopIteration:
                raise RuntimeError(
                    f"all {TEACHERS} seeded interviews used; raise TEACHERS"
                ) from None
            self.step = 0
        self.step += 1


@dataclass
class Seats:
    """The seats of each side at each concurrency, kept across slices, sharing the teachers."""

    teachers: Iterator[int]
    taken: dict[tuple[str, int], list[Seat]] = field(default_factory=dict)

    def of(self, side: str, conversations: int) -> list[Seat]:
        """`side`'s seats for `conversations` at once (made on first use)."""
        key = (side, conversations)
        if key not in self.taken:
            self.taken[key] = [Seat(self.teachers) for _ in range(conversations)]
        return self.taken[key]
