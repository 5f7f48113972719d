"""The shared sidebar (rendered once, by app.py) and the URL round trip of the configuration.

    cfg = render_sidebar()          # in app.py, before the page runs: widgets -> AppConfig -> URL
    cfg = current_config()          # in a page
    apply_config(new_cfg)           # in an on_click callback (a preset): widgets and URL follow

The configuration lives in st.session_state[CONFIG_KEY] (per session); the widgets are seeded from it
whenever their own state is missing (a widget that was hidden, a preset that was applied), and the URL
is rewritten from it after every change, so opening a link restores the view. A session's first run
reads the URL; values that do not parse are ignored with a warning in the sidebar.
"""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from unlearn_core import UnlearnConfig, UserInputError
from unlearn_core.cli import HYPERPARAMETERS
from unlearn_core.configs import MODES, default_unlearn_config
from unlearn_core.data import DATASETS
from unlearn_core.devices import DEVICE_CHOICES
from unlearn_core.models import MODELS

from .app_config import FPS_CHOICES, MAX_POINTS, MIN_POINTS, AppConfig, parse_indices
from .presets import matching_preset, preset_by_id

CONFIG_KEY = "app_config"
URL_PROBLEMS_KEY = "app_config_url_problems"
W = "cfg."           # prefix of the sidebar's widget keys: W + AppConfig field (or hyperparameter) name

PAPER = UnlearnConfig()
# What each hyperparameter does; the paper's value is appended from UnlearnConfig()'s defaults.
HELP = {
    "tau": "Temperature τ of the similarities s_ij = z_i·z_j/τ: lower sharpens both the pull toward other "
           "classes and the push away from the own class.",
    "lambda_ul": "Weight λ_UL of the contrastive unlearning loss L_UL: how hard the forget samples are pushed "
                 "out of their class's region.",
    "lambda_ce": "Weight λ_CE of cross-entropy on the remaining batch: keeps the remaining samples classified "
                 "and their embeddings in place (set 0 to see what happens without it).",
    "omega": "Remaining batches, i.e. optimiser steps, per forget batch (the paper keeps it at most 4).",
    "lr": "SGD learning rate of the unlearning steps.",
    "momentum": "SGD momentum (no weight decay, as in the reference code).",
    "batch_size": "Forget batch size (the anchors); every remaining batch has the same size.",
    "max_rounds": "Cap on rounds; a round is one pass over the forget set.",
    "max_steps": "Hard cap on optimiser steps, whatever the rounds say (a safety budget).",
    "eval_every": "Evaluate the small eval sets and test termination every N steps (the paper tests once a "
                  "round; the app tests more often to draw the curves).",
}
# Why a dataset's defaults differ from the paper's (measured; see the comment in unlearn_core/configs.py).
WHY_DATASET_DEFAULTS = {
    ("digits", "class"): "at the paper's lr 1e-3 the class-5 forget set needs about 5 rounds, past the paper's cap "
                         "of 3; at 1e-2 every seed terminates within 2 rounds, and λ_CE = 3 keeps remaining-test "
                         "accuracy within 0.6 points of the original's.",
    ("digits", "sample"): "the sample-mode stopping test compares two accuracies that move together; evaluating "
                          "every step with smaller forget batches stops it before utility dips.",
}
FIELD_WIDGETS = ("dataset", "model", "mode", "forget_class", "count", "indices", "seed", "device", "paper_defaults",
                 "points", "frame_every", "fps")


def current_config() -> AppConfig:
    if CONFIG_KEY not in st.session_state:
        _load_from_url()
    return st.session_state[CONFIG_KEY]


def apply_config(cfg: AppConfig) -> None:
    """Make `cfg` the session's configuration. Call it from a callback (before the sidebar renders)."""
    st.session_state[CONFIG_KEY] = cfg
    for name, value in _widget_values(cfg).items():     # set, not deleted: other callbacks may still read them
        st.session_state[W + name] = value


def render_sidebar(pages: list | None = None) -> AppConfig:
    """The sidebar: links to `pages` (st.Page objects) that carry the configuration in their URL, then the
    settings; the URL follows every change. (Streamlit's own menu clears the URL on a page switch, which
    the next run would have to write back as a second history entry, so app.py hides that menu.)"""
    cfg = current_config()
    _seed_widgets(cfg)
    ss = st.session_state
    with st.sidebar:
        nav = st.container()
        for problem in ss.get(URL_PROBLEMS_KEY, []):
            st.warning(problem)
        st.subheader("Experiment")
        st.selectbox("Dataset", list(DATASETS), key=W + "dataset", on_change=_reset_hyperparameters,
                     help="digits ships with scikit-learn and works offline; the others need their files "
                          "(the Unlearn page says how to get them when they are missing).")
        st.selectbox("Model", list(MODELS), key=W + "model",
                     help="cnn: a small CNN that trains on digits in seconds on a CPU. ResNets and ViT-small are "
                          "the paper's models, for the image datasets (slow without a GPU).")
        st.radio("Forget", MODES, key=W + "mode", horizontal=True, on_change=_reset_hyperparameters,
                 format_func={"class": "a class", "sample": "samples"}.get,
                 help="class: forget every training sample of one class (paper's default class: 5). "
                      "sample: forget a random set of training samples (paper: 500 of CIFAR-10).")
        if ss[W + "mode"] == "class":
            st.number_input("Forget class", min_value=0, step=1, key=W + "forget_class",
                            help="The class id whose training samples are forgotten (0 .. C-1).")
        else:
            st.number_input("Forget count", min_value=1, step=10, key=W + "count",
                            help="How many random training samples to forget (drawn with the seed).")
            st.text_input("Chosen samples", key=W + "indices", placeholder="e.g. 3, 17, 42",
                          help="Training indices to forget, comma-separated; when given they replace the "
                               "random draw.")
        st.number_input("Seed", min_value=0, step=1, key=W + "seed",
                        help="Seeds the forget set, the probe set shown in the map and the unlearning's batch order.")
        st.selectbox("Device", DEVICE_CHOICES, key=W + "device",
                     help="auto: CUDA, then MPS, then CPU. Everything here runs on a CPU.")
        with st.expander("Method hyperparameters", expanded=False):
            st.toggle("Paper defaults", key=W + "paper_defaults", on_change=_reset_hyperparameters,
                      help="On: start from the paper's values. Off: from this dataset's defaults, which differ "
                           "where the paper's values do not terminate within its round cap.")
            _defaults_note(ss[W + "dataset"], ss[W + "mode"], ss[W + "paper_defaults"])
            for name in HYPERPARAMETERS:
                _hyperparameter_input(name)
        with st.expander("Map and live view", expanded=False):
            st.number_input("Map points", min_value=MIN_POINTS, max_value=MAX_POINTS, step=100, key=W + "points",
                            help="Training samples shown in the map (a fifth of them from the forget set, at most). "
                                 "More points: a fuller picture, slower frames.")
            st.number_input("Map frame every N steps", min_value=1, step=1, key=W + "frame_every",
                            help="Record the probe embeddings every N optimiser steps (the timeline's resolution).")
            st.select_slider("Frames per second", options=FPS_CHOICES, key=W + "fps",
                             help="While running, the page draws this many frames a second and steps the "
                                  "engine in between.")
    new = _config_from_widgets(cfg)
    if new != cfg:
        st.session_state[CONFIG_KEY] = new
    if pages:
        query = url_query(new)
        with nav:
            for page in pages:
                st.page_link(page, query_params=query, width="stretch")
            st.divider()
    _write_url(new)
    return new


def _load_from_url() -> None:
    params = st.query_params.to_dict()
    base = None
    preset = preset_by_id(params.get("preset", ""))
    if preset is not None:
        base = preset.apply(AppConfig())
    cfg, problems = AppConfig.from_query(params, base=base)
    if "preset" in params and preset is None:
        problems.append(f"ignored URL parameter preset={params['preset']!r}: no such preset")
    st.session_state[CONFIG_KEY] = cfg
    st.session_state[URL_PROBLEMS_KEY] = problems


def _widget_values(cfg: AppConfig) -> dict:
    values = {name: getattr(cfg, name) for name in FIELD_WIDGETS}
    values["indices"] = ", ".join(map(str, cfg.indices))
    values |= {name: getattr(cfg.hyper, name) for name in HYPERPARAMETERS}
    return values


def _seed_widgets(cfg: AppConfig) -> None:
    for name, value in _widget_values(cfg).items():
        if W + name not in st.session_state:
            st.session_state[W + name] = value


def _config_from_widgets(cfg: AppConfig) -> AppConfig:
    ss = st.session_state
    value = lambda name: ss.get(W + name, getattr(cfg, name))  # noqa: E731 - hidden widgets keep cfg's value
    indices = cfg.indices
    if W + "indices" in ss:
        try:
            indices = parse_indices(ss[W + "indices"])
        except ValueError as err:
            st.sidebar.error(f"Chosen samples: {err}")
    hyper = replace(cfg.hyper, **{name: ss.get(W + name, getattr(cfg.hyper, name)) for name in HYPERPARAMETERS})
    return replace(cfg, dataset=value("dataset"), model=value("model"), mode=value("mode"),
                   forget_class=int(value("forget_class")), count=int(value("count")), indices=indices,
                   seed=int(value("seed")), device=value("device"), paper_defaults=bool(value("paper_defaults")),
                   hyper=hyper, points=int(value("points")), frame_every=int(value("frame_every")),
                   fps=float(value("fps")))


def _reset_hyperparameters() -> None:
    """Dataset, mode or the paper toggle changed: the hyperparameters start again from their defaults."""
    ss, cfg = st.session_state, current_config()
    hyper = default_unlearn_config(ss.get(W + "dataset", cfg.dataset), ss.get(W + "mode", cfg.mode),
                                   paper=ss.get(W + "paper_defaults", cfg.paper_defaults))
    for name in HYPERPARAMETERS:
        ss[W + name] = getattr(hyper, name)


def _hyperparameter_input(name: str) -> None:
    paper_value = getattr(PAPER, name)
    kind = type(paper_value)
    label = {"tau": "τ (temperature)", "lambda_ul": "λ_UL", "lambda_ce": "λ_CE", "omega": "ω (steps per forget batch)",
             "lr": "Learning rate", "momentum": "Momentum", "batch_size": "Batch size", "max_rounds": "Max rounds",
             "max_steps": "Max steps", "eval_every": "Evaluate every N steps"}[name]
    help_text = f"{HELP[name]} Paper: {paper_value}."
    if kind is int:
        st.number_input(label, min_value=1, step=1, key=W + name, help=help_text)
    else:
        st.number_input(label, min_value=0.0, step=_float_step(name), format="%g", key=W + name, help=help_text)


def _float_step(name: str) -> float:
    return {"lr": 1e-3, "tau": 0.05, "momentum": 0.05}.get(name, 0.5)


def _defaults_note(dataset: str, mode: str, paper: bool) -> None:
    if paper:
        st.caption("Using the paper's values (METHOD.md).")
        return
    ours = default_unlearn_config(dataset, mode)
    diffs = [f"{name} {getattr(ours, name)} (paper {getattr(PAPER, name)})" for name in HYPERPARAMETERS
             if getattr(ours, name) != getattr(PAPER, name)]
    if diffs:
        st.caption(f"The {dataset} {mode}-mode defaults differ from the paper's: {', '.join(diffs)}. Why: "
                   f"{WHY_DATASET_DEFAULTS.get((dataset, mode), 'see unlearn_core/configs.py.')}")
    else:
        st.caption("These are the paper's values.")


def url_query(cfg: AppConfig) -> dict[str, str]:
    """The URL parameters of a configuration, with the preset's name while it still is one."""
    want = cfg.to_query()
    preset = _safe_matching_preset(cfg)
    if preset is not None:
        want["preset"] = preset.id
    return want


def _write_url(cfg: AppConfig) -> None:
    want = url_query(cfg)
    if st.query_params.to_dict() != want:
        st.query_params.from_dict(want)


def _safe_matching_preset(cfg: AppConfig):
    try:
        return matching_preset(cfg)
    except UserInputError:
        return None
