"""Telling a timeline drag from the browser's echo of a value the server set (no Streamlit in here).

    echo = TimelineEcho()
    echo.sent(step)                        # the server sets the slider to `step` (every tick)
    echo.is_echo(value)                    # on_change while playing: an old value coming back, not a drag
    echo.forget()                          # after a drag

The live views move the timeline's handle by setting the slider's value every tick. The browser sends its
widget values back with its rerun requests, and under load it sends values the server set several ticks
earlier, which Streamlit hands to on_change as if the user had dragged them. Taken as drags they paused
the run: with five sessions on 2 cores, two of five runs stopped at step 6 showing step 3 (the server
had set 3, 4, 5, 6) and never reached their stop banner. Echoes seen there lagged 1 to 3 values; the
browser's values do not even arrive in the order they were set (2, then 1), so no ordering rule holds.

The rule: while the run plays (running or replaying), one of the last ECHO_WINDOW values the server set
is an echo; anything else is a drag, after which the window starts afresh. Counted in values, never in
seconds, so a slow machine is no different from a fast one. Its price: while the handle moves, a drag
onto one of the few steps just behind it reads as the handle's own motion (drag further back, or pause
first). Paused or stopped, every change is a drag: the handle is not moving, and ignoring a drag there
would be the worse mistake.
"""
from __future__ import annotations

ECHO_WINDOW = 6     # twice the longest lag seen (3 values, five sessions on 2 cores)


class TimelineEcho:
    def __init__(self) -> None:
        self._sent: list = []      # the last values the server set, oldest first (repeats in a row collapsed)

    def sent(self, value) -> None:
        if not self._sent or self._sent[-1] != value:
            self._sent.append(value)
            del self._sent[:-ECHO_WINDOW]

    def is_echo(self, value) -> bool:
        """True when `value` is one of the last values the server set."""
        return value in self._sent

    def forget(self) -> None:
        """After a drag: the server's next value is the dragged-to step, and older ones cannot be echoed."""
        self._sent.clear()
