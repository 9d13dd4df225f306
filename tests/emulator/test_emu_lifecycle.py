"""Stage scripts and the fake clock, without HTTP."""

from __future__ import annotations

import pytest

from batchstat.emulator import FakeClock, Stage
from batchstat.emulator.lifecycle import Lifecycle


def test_fake_clock() -> None:
    clock = FakeClock(1000.0)
    assert clock() == 1000.0
    clock.advance(2.5)
    assert clock() == 1002.5
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_stage_validation() -> None:
    with pytest.raises(ValueError):
        Stage("running", polls=1, seconds=1)
    with pytest.raises(ValueError):
        Stage("running", polls=0)
    with pytest.raises(ValueError):
        Stage("")


def test_time_stages_end_at_exact_instants_even_unobserved() -> None:
    life = Lifecycle([Stage("a", seconds=1), Stage("b", seconds=2), Stage("c")], started_at=100)
    assert life.status(100.999) == "a"
    assert life.status(103.0) == "c"  # went through b without anyone looking
    assert life.entered_at(500) == 103.0
    assert life.first_entered_at("b", 500) == 101.0


def test_poll_stages_count_polls_and_enter_at_the_poll_time() -> None:
    life = Lifecycle([Stage("a", polls=2), Stage("b", seconds=5), Stage("c")], started_at=0)
    life.record_poll(1)
    assert life.status(1) == "a"
    life.record_poll(3)
    assert life.status(3) == "b" and life.entered_at(3) == 3
    assert life.status(7.9) == "b" and life.status(8) == "c"


def test_last_stage_lasts_forever_whatever_it_says() -> None:
    life = Lifecycle([Stage("a", polls=1)], started_at=0)
    for _ in range(3):
        life.record_poll(10)
    assert life.status(1e9) == "a"


def test_replace_remaining() -> None:
    life = Lifecycle([Stage("a", seconds=10), Stage("b")], started_at=0)
    life.replace_remaining([Stage("x", polls=1), Stage("y")], now=4)
    assert life.status(4) == "x" and life.entered_at(4) == 4
    assert life.status(100) == "x"
    life.record_poll(100)
    assert life.status(100) == "y"
