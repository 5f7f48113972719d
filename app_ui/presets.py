"""Presets: one-click stories, read from assets/presets.json.

    for preset in load_presets():
        cfg = preset.apply(current_cfg)          # the preset's settings on its dataset's and mode's defaults
        preset.matches(cfg)                      # True while the configuration still is the preset
        preset.captions                          # its guided story: captions tied to moments (story.py)

A preset's `settings` are URL parameters, so a preset is exactly what a link could say; applying one
keeps the viewing settings (map points, frame rate, device) of the configuration it is applied to.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from .app_config import AppConfig
from .live.story import Caption, Moment

PRESETS_FILE = Path(__file__).resolve().parent.parent / "assets" / "presets.json"
FIRST_PRESET = "forget-digit"      # the Start page's big button; the server's warm-up prepares it (warm_up.py)


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    story: str
    settings: tuple[tuple[str, str], ...]      # URL parameters, as (key, value) pairs (hashable)
    captions: tuple[Caption, ...] = ()         # the guided story, in the order it is told

    def apply(self, current: AppConfig) -> AppConfig:
        params = dict(self.settings)
        base = AppConfig.defaults(params.get("dataset", "digits"), params.get("mode", "class"),
                                  params.get("paper", "0") == "1")
        base = replace(base, view=current.view, device=current.device)
        cfg, problems = AppConfig.from_query(params, base=base)
        if problems:   # a broken presets.json is a bug of the app, not the user's input
            raise ValueError(f"preset {self.id!r}: {'; '.join(problems)}")
        return cfg

    def matches(self, cfg: AppConfig) -> bool:
        # Compared as links, not as objects: after Streamlit re-imports an edited module, a session's
        # AppConfig is of the old class and never == one of the new class, though every value is equal.
        return self.apply(cfg).to_query() == cfg.to_query()


@lru_cache(maxsize=1)
def load_presets() -> tuple[Preset, ...]:
    raw = json.loads(PRESETS_FILE.read_text())
    return tuple(Preset(p["id"], p["title"], p["story"], tuple((k, str(v)) for k, v in p["settings"].items()),
                        tuple(_caption(p["id"], c) for c in p["captions"]))
                 for p in raw["presets"])


def _caption(preset_id: str, raw: dict) -> Caption:
    try:
        return Caption(Moment(raw["at"]), raw["text"])
    except ValueError:   # a broken presets.json is a bug of the app: say where
        raise ValueError(f"preset {preset_id!r}: unknown caption moment {raw['at']!r}; valid: "
                         f"{', '.join(Moment)}") from None


def preset_by_id(preset_id: str) -> Preset | None:
    return next((p for p in load_presets() if p.id == preset_id), None)


def matching_preset(cfg: AppConfig) -> Preset | None:
    return next((p for p in load_presets() if p.matches(cfg)), None)
