"""Frames over HTTP: while a run records, the player fetches what it lacks from a route of the app's own server
instead of asking Streamlit to rerun its fragment.

    app = st.App("app.py", routes=feed_routes())   # serve.py: `streamlit run serve.py`
    url = FEEDS.publish(token, source)       # the player's fragment: the URL its browser fetches (it keeps `source`)

Why: every Streamlit rerun, a fragment's too, re-renders the page's elements in the browser, and a recording
player asked for its frames that way about every 400 ms. Five students' pages on one 2-core machine spent most of
both cores so, and starved the engines computing their frames (docs/RESULTS.md, bench.sessions). A fetch answered
here is one small JSON document: the lanes' new frames, their states and the story's captions, built by the same
functions as the fragment's data (payload.py). What only a session's rerun can compute (its retrain target, the
privacy overlay) still comes with the reruns that the run's end and its results bring.

Under `streamlit run app.py` there is no such route: publish() returns None and the player asks by reruns.
"""
from __future__ import annotations

import itertools
import json
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:        # serve.py imports this module at server start: nothing heavy (torch, plotly) on that path
    from ..classroom import Presentation
    from .payload import Lane
    from .prepared_map import PreparedMap

ROUTE = "/unlearn-api/feed/{token}"
MAX_SOURCES = 256            # players published at once (one per open page); the oldest are forgotten first


@dataclass(frozen=True, eq=False)
class FeedSource:
    """What one page's player plays: its map, its lanes (recordings) and how the story is told."""
    prepared: PreparedMap
    lanes: tuple[Lane, ...]
    look: Presentation


class FeedBoard:
    """The published players, by an unguessable token each page's session holds (its player's URL).

    The board holds each source weakly: the session that published it keeps it (player.py puts it in its session
    state), so a session that ends takes its player's recordings and map with it, as the other boards' limits
    expect. It also remembers, per token, how many frames of each lane it has answered with, so that a rerun of
    the page does not send them again (player.py: `sent`)."""

    def __init__(self, max_entries: int = MAX_SOURCES):
        self.served = False            # the route is mounted (serve.py): publish() gives URLs
        self._sources: OrderedDict[str, weakref.ref[FeedSource]] = OrderedDict()
        self._answered: dict[str, dict[str, int]] = {}
        self._max = max_entries
        self._lock = threading.Lock()
        self._answers = itertools.count(1)

    def publish(self, token: str, source: FeedSource) -> str | None:
        """The URL under which `token`'s player fetches `source` (the latest published under it; the caller keeps
        it alive), or None where no route serves it."""
        if not self.served:
            return None
        with self._lock:
            self._sources[token] = weakref.ref(source)
            self._touch(token)
        return ROUTE.format(token=token)

    def answered(self, token: str) -> dict[str, int]:
        """Frames per lane id that the route has answered `token`'s player with."""
        with self._lock:
            return dict(self._answered.get(token, {}))

    def source(self, token: str) -> FeedSource | None:
        with self._lock:
            ref = self._sources.get(token)
            if ref is not None:
                self._touch(token)
        return ref() if ref is not None else None

    def _touch(self, token: str) -> None:
        """Most recently used last; the least recently used and the dead beyond MAX_SOURCES are forgotten."""
        self._sources.move_to_end(token)
        for old in [t for t, ref in self._sources.items() if ref() is None]:
            del self._sources[old]
            self._answered.pop(old, None)
        while len(self._sources) > self._max:
            old, _ = self._sources.popitem(last=False)
            self._answered.pop(old, None)

    def answer(self, request: Request) -> Response:
        """GET ROUTE?have={"lanes": {lane id: frames held}}: the lanes' frames from there, their states, the
        captions, and the map's id (the player ignores an answer for another map than its own). 404 for a token
        this server does not hold (it restarted, or the session ended: the player then asks by reruns)."""
        token = request.path_params["token"]
        source = self.source(token)
        if source is None:
            return JSONResponse({"error": "no such player on this server"}, status_code=404)
        try:
            held = json.loads(request.query_params.get("have", "{}")).get("lanes") or {}
            held = {str(lane): int(count) for lane, count in held.items()}
            if any(count < 0 for count in held.values()):
                raise ValueError("a negative count")
        except (ValueError, TypeError, AttributeError, OverflowError):
            return JSONResponse({"error": 'have must be {"lanes": {"<lane id>": <frames held, 0 or more>}}'},
                                status_code=400)
        from .payload import feed_part, frames_held      # (loaded by the player's page by now)

        part = feed_part(source.prepared, list(source.lanes), source.look, held)
        with self._lock:
            answered = self._answered.setdefault(token, {})
            for lane_id, count in frames_held(part).items():
                answered[lane_id] = max(answered.get(lane_id, 0), count)
        # "served": a new value, so that the player sees its request answered.
        payload = {"served": f"feed-{next(self._answers)}", **part}
        # json.dumps as Streamlit sends the fragment's data (the same frames either way).
        return Response(json.dumps(payload), media_type="application/json", headers={"Cache-Control": "no-store"})

    def routes(self) -> list[Route]:
        """The route for st.App; from now on publish() gives URLs."""
        self.served = True
        # A plain function: Starlette runs it in its thread pool, off the event loop.
        return [Route(ROUTE, lambda request: self.answer(request), methods=["GET"])]


FEEDS = FeedBoard()
feed_routes = FEEDS.routes
