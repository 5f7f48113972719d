"""The timeline's echo rule (app_ui/timeline_echo.py): values the browser sends back late are not drags.

Each case replays, value by value, what the live view's script runs see: the server setting the slider each
tick (`sent`) and on_change's question (`is_echo`). That the rule applies only while the run plays, and that
a drag then seeks, is the page's (live_view._on_drag), checked in test_app_live.py."""
from __future__ import annotations

from app_ui.timeline_echo import ECHO_WINDOW, TimelineEcho


def played(steps) -> TimelineEcho:
    echo = TimelineEcho()
    for step in steps:
        echo.sent(step)
    return echo


def test_a_value_set_three_ticks_ago_is_an_echo():
    """Five sessions on 2 cores: the server had set 3, 4, 5, 6 and the browser sent 3 back."""
    echo = played(range(7))
    assert echo.is_echo(3) and echo.is_echo(6)


def test_echoes_out_of_order_are_still_echoes():
    """Seen in Chromium: 2 came back, then 1."""
    echo = played([0, 1, 2])
    assert echo.is_echo(2) and echo.is_echo(1)


def test_a_step_further_back_than_the_window_is_a_drag():
    echo = played(range(20))
    assert not echo.is_echo(19 - ECHO_WINDOW)
    assert echo.is_echo(20 - ECHO_WINDOW)


def test_after_a_drag_the_old_values_cannot_be_echoed():
    echo = played(range(20))
    echo.forget()
    echo.sent(5)                      # the server shows the dragged-to step
    assert echo.is_echo(5) and not echo.is_echo(18)


def test_repeats_in_a_row_take_one_place_in_the_window():
    echo = played([1] * 50 + [2])     # a paused run shows the same step tick after tick
    assert echo.is_echo(1)


def test_a_fresh_timeline_has_no_echoes():
    assert not TimelineEcho().is_echo(0)
