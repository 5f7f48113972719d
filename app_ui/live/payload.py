"""The player's data (docs/PLAYER.md has the format), built from recordings. No Streamlit here.

    data = player_data(prepared, [Lane(rec, "Contrastive", "contrastive")], look, sent, target)
        # what the browser lacks, given `sent` (what it holds, updated to what this payload adds)
    static_part(prepared, look, ("contrastive",))             # the map's fixed parts, sent once a map
    lane_part(rec, "Contrastive", offset=12)                  # frames 12.. of a recording
    idle_lane(prepared, rec, "Contrastive", offset=0)         # before Run: the original model's frame only
    feed_part(prepared, lanes, look, held)                    # the map's id, the lanes' new frames, the captions

Pure functions of the recordings, so tests check what the browser would receive without a browser.
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading
import weakref
from dataclasses import dataclass

import numpy as np

from ..classroom import Presentation
from ..figures import EVAL_CURVES, SAMPLE_THRESHOLD, class_color, method_color
from .prepared_map import PreparedMap
from .recording import Frame, Recording, quantise
from .retrain_target import RetrainTarget
from .story import Moment, RunSoFar, find_moments

PLAYER_VERSION = 1


@dataclass(frozen=True, eq=False)
class Lane:
    rec: Recording
    title: str          # what the lane's map is called ("Contrastive")
    method: str         # its colour on the curves (figures.METHOD_COLORS)


def b64(array: np.ndarray) -> str:
    """Little-endian bytes of `array`, base64 (what the player decodes into a typed array)."""
    return base64.b64encode(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()).decode()


def static_id(prepared: PreparedMap, look: Presentation, lanes: tuple[str, ...]) -> str:
    """Changes whenever the static part would: another map, another style, other lanes."""
    text = json.dumps([id(prepared), look.present, look.trails, lanes])
    return "map-" + hashlib.sha1(text.encode()).hexdigest()[:12]


def static_part(prepared: PreparedMap, look: Presentation, methods: tuple[str, ...]) -> dict:
    split, data = prepared.prep.split, prepared.prep.data
    style = look.style
    if split.mode == "class":
        threshold = {"kind": "constant", "value": 1 / split.num_classes,
                     "label": f"threshold 1/C = {1 / split.num_classes:.3f}"}
    else:
        key, label = SAMPLE_THRESHOLD
        threshold = {"kind": "curve", "key": key, "label": label}
    return {
        "id": static_id(prepared, look, methods),
        "class_names": [str(n) for n in data.class_names],
        "colors": [class_color(c) for c in range(len(data.class_names))],
        "labels": prepared.labels.astype(int).tolist(),
        "is_forget": split.probe_is_forget.astype(int).tolist(),
        "train_index": np.asarray(split.probe).astype(int).tolist(),
        "bounds": [list(map(float, b)) for b in prepared.projection.bounds()],
        "thumbs": prepared.thumbnails,
        "mode": split.mode,
        "num_classes": int(split.num_classes),
        "curves": [{"key": key, "label": label, "color": color} for key, label, color in EVAL_CURVES[split.mode]],
        "threshold": threshold,
        "lane_colors": [method_color(m) for m in methods],
        "style": {"present": look.present, "trails": look.trails, "font": style.font, "point": style.point,
                  "forget_point": style.forget_point, "start_point": style.start_point,
                  "trail_width": style.trail_width, "curve_width": style.curve_width,
                  "map_height": style.map_height, "chart_height": style.accuracy_height, "speed": look.speed},
    }


# Each frame's part is encoded once, whoever asks: five viewers of one recording (or one viewer's resends)
# reuse it. Weak keys: a recording that is forgotten takes its parts with it.
_PARTS: "weakref.WeakKeyDictionary[Frame, dict]" = weakref.WeakKeyDictionary()
_PARTS_LOCK = threading.Lock()


def frame_part(frame: Frame) -> dict:
    with _PARTS_LOCK:
        part = _PARTS.get(frame)
    if part is None:
        part = _encode(frame)
        with _PARTS_LOCK:
            _PARTS[frame] = part
    return part


def _encode(frame: Frame) -> dict:
    part = {"step": frame.step, "round": frame.round, "seconds": round(frame.seconds, 4), "flops": frame.flops,
            "losses": {k: float(v) for k, v in frame.losses.items()}, "eval": frame.eval,
            "embedding": frame.embedding, "fired": frame.fired, "map": None}
    if frame.has_map:
        part["map"] = {"xy": b64(frame.xy.reshape(-1)), "pred": b64(frame.predicted), "conf": b64(frame.confidence)}
    return part


def final_part(rec: Recording) -> dict | None:
    final = rec.final
    if final is None:
        return None
    clean = final.terminated and not (final.utility_guard or {}).get("tripped")
    return {"step": final.step, "outcome": final.outcome.value, "reason": final.stop_reason, "clean": clean}


def lane_part(rec: Recording, title: str, offset: int) -> dict:
    """Frames `offset`.. of `rec` (what the browser lacks), its state and, once stopped, why. Until the
    engine's first Step arrives (seconds on a busy machine), `preview` is the original model's map, so a
    viewer who joins a recording that has just started sees the map, not an empty plot."""
    frames = rec.frames_from(offset)
    preview = frame_part(preview_frame(rec.prepared)) if offset == 0 and not frames else None
    return {"id": rec.id, "title": title, "state": rec.state, "offset": offset,
            "frames": [frame_part(f) for f in frames], "preview": preview, "final": final_part(rec),
            "error": rec.error}


def preview_frame(prepared: PreparedMap) -> Frame:
    """Step 0 as the map shows it before a run: the original model (no curves yet)."""
    probs = prepared.original_probs
    xy = prepared.projection.place(prepared.projection.reference)
    return Frame(step=0, round=0, seconds=0.0, flops=0.0, losses={}, eval=None, embedding=None, fired=None,
                 xy=quantise(xy, prepared.projection.bounds()), predicted=probs.argmax(axis=1).astype(np.uint8),
                 confidence=np.round(100 * probs.max(axis=1)).astype(np.uint8))


def idle_lane(prepared: PreparedMap, rec: Recording, title: str, offset: int) -> dict:
    """A lane nobody has started: the original model's map under an id of its own (the recording's real
    frames, step 0 included with its evaluation, replace it once Run starts the engine)."""
    frames = [preview_frame(prepared)][offset:]
    return {"id": f"idle-{rec.id}", "title": title, "state": "idle", "offset": offset,
            "frames": [frame_part(f) for f in frames], "final": None, "error": None}


def target_part(target: RetrainTarget | None, prepared: PreparedMap) -> dict | None:
    if target is None:
        return None
    return {"rows": target.rows.astype(int).tolist(), "xy": b64(quantise(target.xy, prepared.projection.bounds()).reshape(-1)),
            "pred": target.predicted.astype(int).tolist(), "measures": target.measures}


def run_so_far(rec: Recording) -> RunSoFar:
    is_forget = rec.prep.split.probe_is_forget
    frames = rec.frames_from(0)
    return RunSoFar(evaluated=list(rec.evaluated), final=rec.final,
                    rounds=[(f.step, f.round) for f in frames if f.step > 0],
                    predictions=[(f.step, f.predicted[is_forget]) for f in frames if f.has_map],
                    forget_labels=rec.prepared.labels[is_forget])


def captions_part(look: Presentation, rec: Recording | None) -> list[dict]:
    """The story's captions at the steps of the moments the run has reached, joined where moments coincide;
    the player shows the latest at or before the shown step. Before Run: the start's caption.

    Told in the story's order: a moment that comes earlier than one told before it (a diamond changing colour
    before the second round) is told with it, and while the run goes on, a moment not reached yet holds back
    the captions after it (once the run has stopped, a moment it never reached is left out)."""
    if not look.captions:
        return []
    moments = find_moments(run_so_far(rec)) if rec is not None and rec.frames else {Moment.START: 0}
    finished = rec is not None and rec.done
    by_step: dict[int, list[str]] = {}
    told = 0
    for caption in look.captions:
        if caption.at not in moments:
            if finished:
                continue
            break
        told = max(told, moments[caption.at])
        by_step.setdefault(told, []).append(caption.text)
    return [{"step": step, "text": " ".join(texts)} for step, texts in sorted(by_step.items())]


def lanes_part(prepared: PreparedMap, lanes: list[Lane], held: dict[str, int]) -> list[dict]:
    """Every lane's frames that the browser lacks, given the frames it holds per lane id (`held`)."""
    parts = []
    for lane in lanes:
        rec = lane.rec
        if rec.state == "idle":
            parts.append(idle_lane(prepared, rec, lane.title, held.get(f"idle-{rec.id}", 0)))
        else:
            parts.append(lane_part(rec, lane.title, held.get(rec.id, 0)))
    return parts


def feed_part(prepared: PreparedMap, lanes: list[Lane], look: Presentation, held: dict[str, int]) -> dict:
    """What both a rerun's data and the feed route's answer (feed_route.py) carry: the id of the map the frames
    belong to, every lane's frames the browser lacks (`held`: frames held per lane id), and the captions."""
    return {"static_id": static_id(prepared, look, tuple(lane.method for lane in lanes)),
            "lanes": lanes_part(prepared, lanes, held),
            "captions": captions_part(look, lanes[0].rec if len(lanes) == 1 else None)}


def frames_held(part: dict) -> dict[str, int]:
    """Frames per lane id the browser holds once it has `part` (feed_part's): each lane's offset plus its new frames."""
    return {lane["id"]: lane["offset"] + len(lane["frames"]) for lane in part["lanes"]}


def player_data(prepared: PreparedMap, lanes: list[Lane], look: Presentation, sent: dict,
                target: RetrainTarget | None, plotly_url: str | None = None, feed_url: str | None = None) -> dict:
    """What the browser lacks, given what it has (`sent`, updated to what this payload adds). `feed_url`: where
    the player may fetch new frames without a rerun (feed_route.py), or None."""
    part = feed_part(prepared, lanes, look, sent["lanes"])
    sent["lanes"].update(frames_held(part))
    sent["served"] += 1
    sid = part.pop("static_id")
    data = {"v": PLAYER_VERSION, "served": sent["served"], "plotly_url": plotly_url, "feed_url": feed_url,
            "static": static_part(prepared, look, tuple(lane.method for lane in lanes)) if sent["static"] != sid
            else None, **part, "target": target_part(target, prepared), "standalone": False}
    sent["static"] = sid
    return data
