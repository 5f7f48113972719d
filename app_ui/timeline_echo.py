"""Telling a timeline drag from the browser's echo of a value the server set (no Streamlit in here).

    echo = TimelineEcho()
    echo.sent(step)                        # the server sets the slider to `step` (every tick)
    echo.take_echo(value, playing)         # on_change: True for an old value coming back, not a drag

The live views move the timeline's handle by setting the slider's value every tick. The browser sends its
widget values back with its rerun requests, and under load it sends values the server set several ticks
earlier, which Streamlit hands to on_change as if the user had dragged them. Taken as drags they paused
the run: with five sessions on 2 cores, two of five runs stopped at step 6 showing step 3 (the server
had set 3, 4, 5, 6) and never reached their stop banner. Echoes seen there lagged 1 to 3 values; the
browser's values do not even arrive in the order they were set (2, then 1), so no ordering rule holds.

The rule: one of the last ECHO_WINDOW values the server set is an echo; anything else is a drag, after
which the window starts afresh. Counted in values, never in seconds, so a slow machine is no different
from a fast one. While the run plays, an echo may come back several times (seen: three times). Once it is
paused or stopped, each value in the window is taken for an echo once, then dropped from it: late echoes
still arrive just after a run stops (seen in "as fast as possible": a finished side-by-side play jumped
back from step 210 to 187), but a user who drags onto one of the last steps shown and sees nothing
happen drags again, and that second drag moves the view. Its price: while the handle moves, a drag onto
one of the few steps just behind it reads as the handle's own motion (drag further back, or pause
first), and after a stop the first drag onto one of the last few steps set is ignored.
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

    def take_echo(self, value, playing: bool) -> bool:
        """True when `value` is an echo (see the module's rule); False for a drag, which empties the window
        (the server's next value is the dragged-to step, and older ones cannot come back as echoes)."""
        if value not in self._sent:
            self._sent.clear()
            return False
        if not playing:
            self._sent.remove(value)
        return True
