"""Frames over HTTP: while a run records, the player fetches what it lacks from a route of the app's own server
instead of asking Streamlit to rerun its fragment.

    app = st.App("app.py", routes=feed_routes())          # serve.py: `streamlit run serve.py`
    url = publish(token, FeedSource(prepared, lanes, look))   # the player's fragment: the URL its browser fetches

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
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse
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
    """The published players, by an unguessable token each page's session holds (its player's URL)."""

    def __init__(self, max_entries: int = MAX_SOURCES):
        self.served = False            # the route is mounted (serve.py): publish() gives URLs
        self._sources: OrderedDict[str, FeedSource] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()
        self._answers = itertools.count(1)

    def publish(self, token: str, source: FeedSource) -> str | None:
        """The URL under which `token`'s player fetches `source` (the latest published under it), or None
        where no route serves it."""
        if not self.served:
            return None
        with self._lock:
            self._sources[token] = source
            self._sources.move_to_end(token)
            while len(self._sources) > self._max:
                self._sources.popitem(last=False)
        return ROUTE.format(token=token)

    def source(self, token: str) -> FeedSource | None:
        with self._lock:
            return self._sources.get(token)

    def answer(self, request: Request) -> JSONResponse:
        """GET ROUTE?have={"lanes": {lane id: frames held}}: the lanes' frames from there, their states, the
        captions. 404 for a token this server never published (it restarted: the player then asks by reruns)."""
        source = self.source(request.path_params["token"])
        if source is None:
            return JSONResponse({"error": "no such player on this server"}, status_code=404)
        try:
            held = json.loads(request.query_params.get("have", "{}")).get("lanes") or {}
            held = {str(lane): int(count) for lane, count in held.items()}
        except (ValueError, TypeError, AttributeError):
            return JSONResponse({"error": 'have must be {"lanes": {"<lane id>": <frames held>}}'}, status_code=400)
        from .payload import captions_part, lanes_part      # (loaded by the player's page by now)

        lanes = list(source.lanes)
        return JSONResponse({
            "served": f"feed-{next(self._answers)}",      # a new value: the player sees its request answered
            "lanes": lanes_part(source.prepared, lanes, held),
            "captions": captions_part(source.look, lanes[0].rec if len(lanes) == 1 else None)})

    def routes(self) -> list[Route]:
        """The route for st.App; from now on publish() gives URLs."""
        self.served = True
        # A plain function: Starlette runs it in its thread pool, off the event loop.
        return [Route(ROUTE, lambda request: self.answer(request), methods=["GET"])]


FEEDS = FeedBoard()
feed_routes = FEEDS.routes
