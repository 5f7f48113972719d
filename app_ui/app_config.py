"""AppConfig: everything a user sets in the app, made of the engine's own configs; its URL form; the
engine Experiment it stands for.

    cfg, problems = AppConfig.from_query({"mode": "sample", "count": "50", "lr": "0.02"})
    cfg.forget.count, cfg.hyper.lr, cfg.view.speed  # the engine's configs (and the app's ViewConfig) inside
    cfg.to_query()      # {"dataset": "digits", ..., "lr": "0.02", ...}: every setting, seed included
    cfg.updated({"lr": 0.05, "seed": 3})            # change settings by URL key, typed values
    cfg.experiment()    # unlearn_core.Experiment, what the engine runs

Nothing here describes a setting: the URL keys, parsers, bounds and formats come from the `setting(...)`
declarations on the engine's dataclasses (unlearn_core.settings) and on ViewConfig below, so a setting
declared there is in the URL (and in the sidebar, which iterates `app_settings()`) without a line here.

The URL always holds the whole configuration (not only what differs from a default), so a link keeps
reproducing the same run even if a default changes later. A URL value that does not parse, or a key the
app does not know, is ignored with a one-line problem message, never a traceback.

UNLEARN_TRAIN_EPOCHS (environment) shortens the original model's training recipe: the browser test and
the benchmarks use it to stay within their time budgets; users never need it. UNLEARN_TRAIN_SIZE
(environment) trains on that many training images (DataConfig.train_size, the CLI's --train-size): a small
budget for a real dataset (the Fashion-MNIST preset test; a quick look on a slow CPU). Neither is in the URL:
they are the server's, not a link's.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping, NamedTuple

from unlearn_core import DataConfig, Experiment, ForgetConfig, ModelConfig, UnlearnConfig, UserInputError
from unlearn_core.errors import clipped, quoted
from unlearn_core.configs import DATASET_NAMES, MODES, PROBE_SIZE, default_train_config, default_unlearn_config
from unlearn_core.devices import pick_device
from unlearn_core.settings import Setting, check_settings, setting, settings

TRAIN_EPOCHS_ENV = "UNLEARN_TRAIN_EPOCHS"
TRAIN_SIZE_ENV = "UNLEARN_TRAIN_SIZE"
PRESET_KEY = "preset"        # a URL key the sidebar reads (the preset a link opens with); not a setting
# Forget settings that only one mode uses. The other mode's value stays in the URL (switching back
# restores it) but reaches the engine as its default, so it cannot split the model and map caches.
MODE_ONLY = {"forget_class": "class", "count": "sample", "indices": "sample"}


# Display-only settings: how a run is drawn, never what is computed. They are left out of the engine's Experiment
# (and so of every recording's, comparison's and preparation's key), and every page draws them in place (a player
# never moves on the page when one changes): changing one never resets a run, on any page. The player's own speed
# menu and timeline act in the browser alone. tests/test_display_only.py holds every page to it.
DISPLAY_ONLY = ("speed", "trails", "present")


@dataclass(frozen=True)
class ViewConfig:
    """How the app shows a run. Only points and frame_every change what is recorded (the map's probe set and
    how often a step is a map frame: the engine computes the probe's embeddings only at those steps); the rest
    are DISPLAY_ONLY (the recording's key is the engine's Experiment and the map: app_ui/live/recording.py)."""
    points: int = setting(PROBE_SIZE, "Training samples shown in the map (a fifth of them from the forget set, "
                          "at most). More points: a fuller picture, slower frames.", label="Map points",
                          low=20, high=5000, step=100, flag="-")   # below 20 UMAP has nothing to lay out
    frame_every: int = setting(1, "Record the probe embeddings every N optimiser steps (the timeline's "
                               "resolution).", label="Map frame every N steps", low=1, high=1_000_000, step=1,
                               flag="-")
    speed: float = setting(1.0, "The speed the player starts at (1x: two optimiser steps a second; the player's "
                           "own menu changes it while you watch). The engine never waits for it.",
                           label="Start speed", low=0.25, high=4.0, step=0.25, flag="-")
    trails: bool = setting(True, "Draw each forget sample's path from where it started (off: only the hollow "
                           "start circles mark it).", label="Trails", flag="-")
    present: bool = setting(False, "Classroom mode, for a projector: no sidebar and no settings, large text, "
                            "markers and lines; the run's controls, the timeline and the preset's story stay. "
                            "A link with present=1 opens in it.", label="Classroom mode", flag="-")

    def validate(self) -> None:
        check_settings(self)


def _declared(cls, name: str) -> Any:
    """A field carrying `cls.name`'s declaration unchanged (declared once, on the engine's class)."""
    f = next(f for f in fields(cls) if f.name == name)
    return field(default=f.default, metadata=f.metadata)


@dataclass(frozen=True)
class AppConfig:
    data: DataConfig = DataConfig()                  # which dataset
    model: ModelConfig = ModelConfig()               # which model
    forget: ForgetConfig = ForgetConfig()            # what to forget; its seed also seeds the unlearning
    hyper: UnlearnConfig = default_unlearn_config("digits", "class")   # the method's hyperparameters
    view: ViewConfig = ViewConfig()                  # map size and live frame rate
    device: str = _declared(Experiment, "device")    # auto, cpu, cuda, mps
    paper_defaults: bool = setting(False, "On: start from the paper's values. Off: from this dataset's defaults, "
                                   "which differ where the paper's values do not terminate within its round cap.",
                                   label="Paper defaults", url="paper", flag="-")

    @staticmethod
    def defaults(dataset: str = "digits", mode: str = "class", paper: bool = False) -> "AppConfig":
        """The default configuration for a dataset and mode, hyperparameters included."""
        hyper = default_unlearn_config(dataset if dataset in DATASET_NAMES else "digits",
                                       mode if mode in MODES else "class", paper=paper)
        return AppConfig(data=DataConfig(dataset=dataset), forget=ForgetConfig(mode=mode), hyper=hyper,
                         paper_defaults=paper)

    # ---- the engine's view -------------------------------------------------------------------------
    def forget_config(self) -> ForgetConfig:
        unused = {name: getattr(ForgetConfig(), name) for name, mode in MODE_ONLY.items() if mode != self.forget.mode}
        return replace(self.forget, **unused)

    def unlearn_config(self) -> UnlearnConfig:
        return replace(self.hyper, seed=self.forget.seed, probe_every=self.view.frame_every)

    def experiment(self) -> Experiment:
        return Experiment(data=training_data(self.data), forget=self.forget_config(), model=self.model,
                          train=train_recipe(self.data.dataset, _device_type(self.device)),
                          unlearn=self.unlearn_config(), device=self.device)

    def prep_key(self) -> Experiment:
        """What the prepared experiment (data, split, original model) depends on: not the hyperparameters."""
        return replace(self.experiment(), unlearn=None)

    def validate(self) -> None:
        """Raise UserInputError for what can be checked without loading data (the rest: when preparing)."""
        check_settings(self)
        for part in (self.data, self.model, self.forget_config(), self.unlearn_config(), self.view):
            part.validate()

    # ---- settings by URL key ------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """Every setting's value, by URL key."""
        return {s.url: getattr(self._part(section), s.name) for section, s in app_settings()}

    def updated(self, values: Mapping[str, Any]) -> "AppConfig":
        """A copy with settings changed by URL key (typed values, not checked: see validate)."""
        changes: dict[str, dict] = {}
        for section, s in app_settings():
            if s.url in values:
                changes.setdefault(section, {})[s.name] = values[s.url]
        own = changes.pop("", {})
        return replace(self, **own, **{section: replace(self._part(section), **c) for section, c in changes.items()})

    def _part(self, section: str):
        return getattr(self, section) if section else self

    # ---- the URL's view -----------------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        return {s.url: s.format(getattr(self._part(section), s.name)) for section, s in app_settings()}

    @staticmethod
    def from_query(params: Mapping[str, str | list[str]], base: "AppConfig | None" = None
                   ) -> tuple["AppConfig", list[str]]:
        """A configuration from URL parameters, and a one-line message per parameter that was ignored or
        repeated (a list: the key given several times; the last counts, as in st.query_params). Values are
        quoted short (errors.quoted). Missing parameters take `base`'s values (default: the defaults for the
        URL's dataset and mode)."""
        problems: list[str] = []
        by_key = {s.url: s for _, s in app_settings()}
        parsed: dict[str, Any] = {}
        for key, given in params.items():
            text = repeated_last(key, given, problems)
            if key == PRESET_KEY:
                continue
            if key not in by_key:
                problems.append(f"ignored URL parameter {clipped(key)}={quoted(text)}: {unknown_key_reason(key)}")
                continue
            try:
                parsed[key] = by_key[key].parse(text)
            except UserInputError as err:
                problems.append(f"ignored URL parameter {key}={quoted(text)}: {err}")
        start = base if base is not None else AppConfig.defaults(
            parsed.get("dataset", "digits"), parsed.get("mode", "class"), parsed.get("paper", False))
        cfg = start.updated(parsed)
        try:
            cfg.unlearn_config().validate()      # e.g. both loss weights 0: keep the URL's other values
        except UserInputError as err:
            problems.append(f"ignored the URL's hyperparameters: {err}")
            cfg = replace(cfg, hyper=start.hyper)
        return cfg, problems


def repeated_last(key: str, given: str | list[str], problems: list[str]) -> str:
    """A URL key's value; a key given several times (lr=0.02&lr=0.05) is reported, and its last value used."""
    if isinstance(given, str):
        return given
    if len(given) > 1:
        problems.append(f"URL parameter {clipped(key)} is given {len(given)} times "
                        f"({', '.join(quoted(v) for v in given[:3])}{', ...' if len(given) > 3 else ''}): "
                        f"using the last, {quoted(given[-1])}")
    return given[-1] if given else ""


class AppSetting(NamedTuple):
    section: str          # AppConfig's field holding the setting ("" for AppConfig's own settings)
    setting: Setting


# AppConfig's parts, in the order the URL and the sidebar list them.
SECTIONS = (("data", DataConfig), ("model", ModelConfig), ("forget", ForgetConfig), ("", AppConfig),
            ("hyper", UnlearnConfig), ("view", ViewConfig))


def app_settings() -> tuple[AppSetting, ...]:
    """Every setting a user can change in the app (the ones with a URL key), in display order."""
    return tuple(AppSetting(section, s) for section, cls in SECTIONS for s in settings(cls) if s.url != "-")


def unknown_key_reason(key: str) -> str:
    """'unknown key', with the URL key the user probably meant (a field name or CLI flag name counts)."""
    known = app_settings()
    spelled = key.strip().lower().replace("-", "_")
    aliases = {s.url: s.url for _, s in known}
    aliases |= {s.name: s.url for _, s in known} | {s.flag.lstrip("-").replace("-", "_"): s.url for _, s in known
                                                    if s.flag != "-"}
    close = difflib.get_close_matches(spelled, list(aliases), n=1)
    guess = aliases.get(spelled) or (aliases[close[0]] if close else None)
    return f"unknown key; did you mean {guess}?" if guess else "unknown key"


def train_recipe(dataset: str, device_type: str = "cpu"):
    """The dataset's training recipe on this kind of device; UNLEARN_TRAIN_EPOCHS shortens it (tests,
    benchmarks)."""
    epochs = os.environ.get(TRAIN_EPOCHS_ENV)
    if not epochs:
        return default_train_config(dataset, device_type)
    if not epochs.isdigit() or int(epochs) < 1:
        raise UserInputError(f"{TRAIN_EPOCHS_ENV} must be a whole number >= 1, got {epochs!r}")
    return default_train_config(dataset, device_type, epochs=int(epochs))


def training_data(data: DataConfig) -> DataConfig:
    """`data` with UNLEARN_TRAIN_SIZE's training subset, when it is set (DataConfig.train_size)."""
    size = os.environ.get(TRAIN_SIZE_ENV)
    if not size:
        return data
    try:
        return replace(data, train_size=next(s for s in settings(DataConfig) if s.name == "train_size").parse(size))
    except UserInputError as err:
        raise UserInputError(f"{TRAIN_SIZE_ENV}: {err}") from None


def _device_type(device: str) -> str:
    """"cuda", "mps" or "cpu" for a device setting; "cpu" for one this machine lacks (validate() says so)."""
    try:
        return pick_device(device).type
    except UserInputError:
        return "cpu"
