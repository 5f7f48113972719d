"""The timeline's echo rule (app_ui/timeline_echo.py): values the browser sends back late are not drags.

Each case replays, value by value, what the live view's script runs see: the server setting the slider each
tick (`sent`) and on_change's question (`take_echo`). That a drag then seeks is the page's
(live_view._on_drag), checked in test_app_live.py."""
from __future__ import annotations

from app_ui.timeline_echo import ECHO_WINDOW, TimelineEcho


def played(steps) -> TimelineEcho:
    echo = TimelineEcho()
    for step in steps:
        echo.sent(step)
    return echo


def test_while_playing_a_value_set_three_ticks_ago_is_an_echo_as_often_as_it_comes():
    """Five sessions on 2 cores: the server had set 3, 4, 5, 6 and the browser sent 3 back, three times."""
    echo = played(range(7))
    assert all(echo.take_echo(3, playing=True) for _ in range(3))
    assert echo.take_echo(6, playing=True)


def test_echoes_out_of_order_are_still_echoes():
    """Seen in Chromium: 2 came back, then 1."""
    echo = played([0, 1, 2])
    assert echo.take_echo(2, playing=True) and echo.take_echo(1, playing=True)


def test_a_step_further_back_than_the_window_is_a_drag():
    echo = played(range(20))
    assert echo.take_echo(20 - ECHO_WINDOW, playing=True)
    assert not echo.take_echo(19 - ECHO_WINDOW, playing=True)


def test_after_a_drag_the_old_values_cannot_be_echoed():
    echo = played(range(20))
    assert not echo.take_echo(2, playing=True)
    echo.sent(2)                      # the server shows the dragged-to step
    assert echo.take_echo(2, playing=False) and not echo.take_echo(18, playing=False)


def test_after_a_stop_a_late_echo_is_taken_once_and_a_second_drag_to_it_moves_the_view():
    """A finished "as fast as possible" play: the server had set ..., 187, 200, 210; 187 came back late."""
    echo = played([150, 165, 180, 187, 200, 210])
    assert echo.take_echo(187, playing=False)          # the late echo: the view stays at 210
    assert not echo.take_echo(187, playing=False)      # the user drags to 187 again: it is a drag


def test_repeats_in_a_row_take_one_place_in_the_window():
    echo = played([1] * 50 + [2])     # a paused run shows the same step tick after tick
    assert echo.take_echo(1, playing=True)


def test_a_fresh_timeline_has_no_echoes():
    assert not TimelineEcho().take_echo(0, playing=False)
