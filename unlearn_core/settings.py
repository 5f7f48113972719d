"""Declare a setting once, beside its dataclass field; everything else is generated from it.

    @dataclass(frozen=True)
    class UnlearnConfig:
        tau: float = setting(0.7, "Temperature of the similarities.", label="τ", low=0, low_open=True, step=0.05)

    for s in settings(UnlearnConfig):          # the CLI's flags, the sidebar's widgets, the URL keys,
        s.flag, s.url, s.label, s.help_text()  # the sweep's searchable dimensions
        value = s.parse("0.5")                 # text (argv, URL) -> value, or UserInputError (one line)
        s.check(value)                         # bounds and choices, or UserInputError
    check_settings(cfg)                        # every declared field of a config instance

A new hyperparameter is one `setting(...)` line on its dataclass: the CLI flag, the sidebar widget, the URL
key, the validation and (with `search=...`) the sweep dimension follow from it.
"""
from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any

from .errors import UserInputError, quoted

META_KEY = "setting"
# Larger integers than this are refused before they reach numpy or torch (seeds must fit 32 bits there).
INT_LIMIT = 2 ** 31 - 1


@dataclass(frozen=True)
class Setting:
    """How one configuration field is described, bounded, parsed and shown."""
    help: str                          # one or two sentences: what it does, for --help and the widget's tooltip
    label: str = ""                    # the widget's label (default: the field name)
    low: float | None = None           # smallest allowed value (numbers)
    low_open: bool = False             # True: the value must be > low, not >= low
    high: float | None = None          # largest allowed value (numbers)
    step: float | None = None          # the widget's step (numbers)
    choices: tuple[str, ...] = ()      # allowed values (text settings with a fixed set)
    paper: Any = None                  # the paper's value, shown beside the default; None: the paper has none
    flag: str = ""                     # CLI flag (default: --name-with-dashes); "-" for no flag
    url: str = ""                      # URL key (default: the field name); "-" for no URL key
    search: str | None = None          # sweep scale of a searchable number: "log" or "linear"; None: not searched
    # filled in by settings(): the field's name, kind and default
    name: str = ""
    kind: type = object
    default: Any = None

    def help_text(self) -> str:
        """The help with the paper's value, when the paper gives one."""
        return self.help + (f" Paper: {self.paper}." if self.paper is not None else "")

    def describe_bounds(self) -> str:
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {_number_text(self.low)}")
        if self.high is not None:
            parts.append(f"<= {_number_text(self.high)}")
        return " and ".join(parts) or f"a {self.kind.__name__}"

    def check(self, value) -> None:
        """Raise UserInputError (one line) unless `value` is allowed."""
        what = self.flag.lstrip("-") or self.name
        if self.kind is tuple:
            bad = [v for v in value if not (_is_int(v) and 0 <= v <= INT_LIMIT)]
            if bad:
                raise UserInputError(f"{what} must be whole numbers from 0 to {INT_LIMIT}, got {quoted(bad[0])}")
            return
        if self.kind in (int, float):
            ok = (_is_int(value) if self.kind is int else _is_number(value)) and math.isfinite(value)
            if ok and self.kind is int:
                ok = abs(value) <= INT_LIMIT
            if ok and self.low is not None:
                ok = value > self.low if self.low_open else value >= self.low
            if ok and self.high is not None:
                ok = value <= self.high
            if not ok:
                raise UserInputError(f"{what} must be {'a whole number' if self.kind is int else 'a number'} "
                                     f"{self.describe_bounds()}, got {quoted(value)}")
            return
        if self.kind is bool and not isinstance(value, bool):
            raise UserInputError(f"{what} must be true or false, got {quoted(value)}")
        if self.choices and value not in self.choices:
            raise UserInputError(f"unknown {what} {quoted(value)}; valid: {', '.join(self.choices)}")

    def parse(self, text: str):
        """Text from a command line or a URL -> a checked value; UserInputError (one line) otherwise."""
        text = str(text).strip()
        what = self.flag.lstrip("-") or self.name
        try:
            if self.kind is int:
                value = int(text)
            elif self.kind is float:
                value = float(text)
            elif self.kind is bool:
                value = {"1": True, "true": True, "yes": True, "on": True,
                         "0": False, "false": False, "no": False, "off": False}[text.lower()]
            elif self.kind is tuple:
                value = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
            else:
                value = text
        except (ValueError, KeyError, OverflowError):
            expected = {int: "a whole number", float: "a number", bool: "1 or 0",
                        tuple: "comma-separated whole numbers"}.get(self.kind, "text")
            raise UserInputError(f"{what} expects {expected}, got {quoted(text)}") from None
        self.check(value)
        return value

    def format(self, value) -> str:
        """A value as text that parse() reads back unchanged (URL values, commands)."""
        if self.kind is tuple:
            return ",".join(map(str, value))
        if self.kind is bool:
            return "1" if value else "0"
        if self.kind is float:
            return _number_text(value)
        return str(value)


def setting(default, help: str, **described) -> Any:
    """A dataclass field with its Setting; use as `name: type = setting(default, "what it does", ...)`."""
    return field(default=default, metadata={META_KEY: Setting(help=help, **described)})


def settings(cls_or_instance) -> tuple[Setting, ...]:
    """The declared settings of a config dataclass, in field order, with name, kind and default filled in."""
    found = []
    for f in fields(cls_or_instance):
        declared = f.metadata.get(META_KEY)
        if declared is None:
            continue
        default = None if f.default is MISSING else f.default
        kind = _kind(f.type, default)
        found.append(replace(declared, name=f.name, kind=kind, default=default,
                             label=declared.label or f.name,
                             flag=declared.flag or "--" + f.name.replace("_", "-"),
                             url=declared.url or f.name))
    return tuple(found)


def check_settings(cfg) -> None:
    """Check every declared field of a config instance; UserInputError names the first bad one."""
    for s in settings(cfg):
        value = getattr(cfg, s.name)
        if value is None and s.default is None:
            continue                      # an optional setting left unset (e.g. data_dir)
        s.check(value)


def _kind(annotation, default) -> type:
    """The setting's value type, from the annotation text (`from __future__ import annotations`)."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    for name, kind in (("tuple", tuple), ("bool", bool), ("int", int), ("float", float), ("str", str)):
        if text.startswith(name):
            return kind
    return type(default)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_text(value) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value))
