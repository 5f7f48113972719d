"""The shared sidebar (rendered once, by app.py) and the URL round trip of the configuration.

    cfg = render_sidebar(pages)     # in app.py, before the page runs: widgets -> AppConfig -> URL
                                    # (classroom mode draws no sidebar: app_ui.classroom keeps the URL)
    cfg = current_config()          # in a page
    apply_config(new_cfg)           # in an on_click callback (a preset): widgets and URL follow

Every settings widget is generated from its Setting declaration (unlearn_core.settings) by
`setting_widget`: label, help, bounds, step and choices come from the engine's dataclass fields, so a
setting declared there appears here with no line in this file. Widget keys are W + the URL key.

The configuration lives in st.session_state[CONFIG_KEY] (per session); the widgets are seeded from it
whenever their own state is missing (a widget that was hidden, a preset that was applied), and the URL
is rewritten from it after every change, so opening a link restores the view. A session's first run
reads the URL; what does not parse is ignored with a warning in the sidebar. A value typed into a widget
that its Setting refuses is not applied: the widget keeps showing it, with the reason and the value
still in use beneath it. (So number inputs carry no min/max: the browser would refuse an out-of-range
value itself, keep showing it outlined in red and never send it, and the app could not say why.)

Every run writes each widget's value back into its state, so that every run's message carries the value
(Streamlit sends a widget's value to the browser only in a run that set it). Without that, a session's
first run is the only one that sends the seeded values, and Streamlit drops a run's unsent messages when
the next run starts: on a loaded server (five sessions opening a link at once) the browser then built
the widgets at their defaults (class 0, seed 0, tau 0), and the next click sent those back as the user's.
"""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from unlearn_core import UnlearnConfig, UserInputError
from unlearn_core.configs import DATASET_UNLEARN_DEFAULTS_WHY, default_unlearn_config
from unlearn_core.errors import quoted
from unlearn_core.settings import Setting

from .app_config import MODE_ONLY, PRESET_KEY, AppConfig, AppSetting, app_settings, repeated_last
from .dataset_files import render_dataset_files
from .presets import matching_preset, preset_by_id

CONFIG_KEY = "app_config"
URL_PROBLEMS_KEY = "app_config_url_problems"
W = "cfg."           # prefix of the sidebar's widget keys: W + the setting's URL key
# Changing these restarts the hyperparameters from their defaults: they are default_unlearn_config's inputs.
RESETS_HYPERPARAMETERS = ("dataset", "mode", "paper")
PAPER = UnlearnConfig()


def current_config() -> AppConfig:
    if CONFIG_KEY not in st.session_state:
        _load_from_url()
    return st.session_state[CONFIG_KEY]


def apply_config(cfg: AppConfig) -> None:
    """Make `cfg` the session's configuration. Call it from a callback (before the sidebar renders)."""
    st.session_state[CONFIG_KEY] = cfg
    for key, value in _widget_values(cfg).items():     # set, not deleted: other callbacks may still read them
        st.session_state[W + key] = value


def render_sidebar(pages: list | None = None) -> AppConfig:
    """The sidebar: links to `pages` (st.Page objects) that carry the configuration in their URL, then the
    settings; the URL follows every change. (Streamlit's own menu clears the URL on a page switch, which
    the next run would have to write back as a second history entry, so app.py hides that menu.)"""
    cfg = current_config()
    _seed_widgets(cfg)
    values: dict[str, Any] = {}
    with st.sidebar:
        nav = st.container()
        for problem in st.session_state.get(URL_PROBLEMS_KEY, []):
            st.warning(problem)
        st.subheader("Experiment")
        _settings_widgets(cfg, values, "experiment")
        render_dataset_files(cfg.updated(values))
        with st.expander("Method hyperparameters", expanded=False):
            _defaults_note()
            _settings_widgets(cfg, values, "method")
        with st.expander("Map and live view", expanded=False):
            _settings_widgets(cfg, values, "view")
    new = cfg.updated(values)
    if new != cfg:
        st.session_state[CONFIG_KEY] = new
    if pages:
        query = url_query(new)
        with nav:
            for page in pages:
                st.page_link(page, query_params=query, width="stretch")
            st.divider()
    write_url(new)
    return new


# ---- the widgets ------------------------------------------------------------------------------------
def setting_widget(s: Setting, key: str, on_change: Callable[[], None] | None = None) -> None:
    """The widget for one Setting, its state under `key` (seeded by the caller): choices -> radio (up to
    three) or selectbox; bool -> toggle; a tuple of numbers -> comma-separated text; numbers -> number_input,
    unbounded: the caller checks the value against the Setting and says why one is refused (see _accepted)."""
    described = f"{s.help_text()} Allowed: {s.describe_bounds()}." if s.kind in (int, float) else s.help_text()
    common = dict(key=key, help=described, on_change=on_change)
    if s.choices:
        if len(s.choices) <= 3:
            st.radio(s.label, s.choices, horizontal=True, **common)
        else:
            st.selectbox(s.label, s.choices, **common)
    elif s.kind is bool:
        st.toggle(s.label, **common)
    elif s.kind is tuple:
        st.text_input(s.label, placeholder="comma-separated, e.g. 3, 17, 42", **common)
    elif s.kind in (int, float):
        number = int if s.kind is int else float
        st.number_input(s.label, step=number(s.step or 1), format="%d" if number is int else "%g", **common)
    else:
        st.text_input(s.label, **common)


def _group(item: AppSetting) -> str:
    """Which part of the sidebar a setting sits in: the map's, the method's, or the experiment's."""
    if item.section == "view":
        return "view"
    if item.section == "hyper" or item.setting.url == "paper":
        return "method"
    return "experiment"


def _settings_widgets(cfg: AppConfig, values: dict[str, Any], group: str) -> None:
    """Draw the group's widgets and collect their accepted values (by URL key) into `values`."""
    mode = st.session_state.get(W + "mode", cfg.forget.mode)
    current = cfg.values()
    for item in app_settings():
        s = item.setting
        if _group(item) != group or MODE_ONLY.get(s.name, mode) != mode:
            continue
        setting_widget(s, W + s.url, _reset_hyperparameters if s.url in RESETS_HYPERPARAMETERS else None)
        values[s.url] = _accepted(s, st.session_state[W + s.url], current[s.url])


def _accepted(s: Setting, shown: Any, in_use: Any) -> Any:
    """The widget's value if its Setting allows it; otherwise the value in use, with the reason shown."""
    try:
        value = s.parse(shown) if s.kind is tuple else shown
        s.check(value)
        return value
    except UserInputError as err:
        st.error(f"{s.label}: {err}. Not applied; still using {s.format(in_use) or 'none'}.")
        return in_use


def _widget_value(s: Setting, value: Any) -> Any:
    """The value as its widget holds it: a tuple as text; a float setting as a float (number_input refuses
    an int value beside float bounds, and a default such as lr=1 would be one)."""
    if s.kind is tuple:
        return ", ".join(map(str, value))
    return float(value) if s.kind is float else value


def _widget_values(cfg: AppConfig) -> dict[str, Any]:
    current = cfg.values()
    return {s.url: _widget_value(s, current[s.url]) for _, s in app_settings()}


def _seed_widgets(cfg: AppConfig) -> None:
    """Missing widget state from the configuration; present state written back as it is (see the module's
    docstring: the write makes this run's message carry the value, in case an earlier one was dropped)."""
    ss = st.session_state
    for key, value in _widget_values(cfg).items():
        ss[W + key] = ss[W + key] if W + key in ss else value


def _reset_hyperparameters() -> None:
    """Dataset, mode or the paper toggle changed: the hyperparameters start again from their defaults."""
    ss, cfg = st.session_state, current_config()
    hyper = default_unlearn_config(ss.get(W + "dataset", cfg.data.dataset), ss.get(W + "mode", cfg.forget.mode),
                                   paper=ss.get(W + "paper", cfg.paper_defaults))
    for item in app_settings():
        if item.section == "hyper":
            ss[W + item.setting.url] = _widget_value(item.setting, getattr(hyper, item.setting.name))


def _defaults_note() -> None:
    ss = st.session_state
    dataset, mode = ss[W + "dataset"], ss[W + "mode"]
    if ss[W + "paper"]:
        st.caption("Using the paper's values (docs/METHOD.md).")
        return
    ours = default_unlearn_config(dataset, mode)
    diffs = [f"{item.setting.label} {getattr(ours, item.setting.name)} (paper {getattr(PAPER, item.setting.name)})"
             for item in app_settings() if item.section == "hyper"
             and getattr(ours, item.setting.name) != getattr(PAPER, item.setting.name)]
    if diffs:
        st.caption(f"The {dataset} {mode}-mode defaults differ from the paper's: {', '.join(diffs)}. Why: "
                   f"{DATASET_UNLEARN_DEFAULTS_WHY.get((dataset, mode), 'see unlearn_core/configs.py.')}")
    else:
        st.caption("These are the paper's values.")


# ---- the URL ----------------------------------------------------------------------------------------
def _load_from_url() -> None:
    # A repeated key (lr=0.02&lr=0.05) keeps all its values, so that from_query can report it.
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    params = {key: values[0] if len(values) == 1 else values for key, values in params.items()}
    base = None
    preset_id = repeated_last(PRESET_KEY, params.get(PRESET_KEY, ""), [])     # (from_query reports a repeat)
    preset = preset_by_id(preset_id)
    if preset is not None:
        base = preset.apply(AppConfig())
    cfg, problems = AppConfig.from_query(params, base=base)
    if PRESET_KEY in params and preset is None:
        problems.append(f"ignored URL parameter {PRESET_KEY}={quoted(preset_id)}: no such preset")
    st.session_state[CONFIG_KEY] = cfg
    st.session_state[URL_PROBLEMS_KEY] = problems


def url_query(cfg: AppConfig) -> dict[str, str]:
    """The URL parameters of a configuration, with the preset's name while it still is one."""
    want = cfg.to_query()
    preset = _safe_matching_preset(cfg)
    if preset is not None:
        want[PRESET_KEY] = preset.id
    return want


def write_url(cfg: AppConfig) -> None:
    """Rewrite the URL from the configuration when they differ (every run: the sidebar, or classroom mode)."""
    want = url_query(cfg)
    if st.query_params.to_dict() != want:
        st.query_params.from_dict(want)


def _safe_matching_preset(cfg: AppConfig):
    try:
        return matching_preset(cfg)
    except UserInputError:
        return None
