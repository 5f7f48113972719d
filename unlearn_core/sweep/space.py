"""What a sweep searches, typed, and its translation into a Ray Tune search space.

    spec = SweepSpec(dimensions=(Dimension("lr", low=1e-3, high=1e-1), Dimension("tau", values=(0.5, 0.7))),
                     seeds=(0, 1), samples=8)
    spec.check()                                  # names, bounds (from the settings), trial count
    trial_configs(spec, base)                     # the trials, as Tune will run them (the dry run)
    param_space(spec, base), search_alg(spec)     # for tune.Tuner(param_space=..., TuneConfig(search_alg=...))

The searchable settings, their bounds and their scale (log or linear) are declared once, on UnlearnConfig's
fields (`setting(..., search="log")`); nothing here repeats them. A grid (samples None) crosses the lists;
a random search (samples N) draws N configurations, lists uniformly and ranges on the setting's scale, and
runs each with every seed: `BasicVariantGenerator(constant_grid_search=True)` draws once, then grids over
the seeds, so a configuration's seeds share its draw and the table can average over them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..configs import ForgetConfig, UnlearnConfig
from ..errors import UserInputError
from ..settings import Setting, settings

# A typo in a grid (100 values x 100 values x ...) or in --samples should fail in one line, not launch forever.
MAX_TRIALS = 10_000
SEED = next(s for s in settings(ForgetConfig) if s.name == "seed")    # the experiment's seed: >= 0


def searchable() -> dict[str, Setting]:
    """The settings a sweep can search, by name, in declaration order."""
    return {s.name: s for s in settings(UnlearnConfig) if s.search}


SETTINGS = (*searchable(), "seed")     # what a sweep can search, seed last (a column each in the results table)


@dataclass(frozen=True)
class Dimension:
    """One searched setting: a list of values, or (random search only) a range [low, high]."""
    name: str
    values: tuple = ()            # every value in a grid; one at random per draw in a random search
    low: float | None = None      # a range, drawn on `scale` (int settings draw whole numbers)
    high: float | None = None
    scale: str | None = None      # "log" or "linear"; None: the setting's declared search scale

    @property
    def is_range(self) -> bool:
        return self.low is not None


@dataclass(frozen=True)
class SweepSpec:
    dimensions: tuple[Dimension, ...] = ()
    seeds: tuple[int, ...] = ()   # every configuration runs once per seed; (): the experiment's seed only
    samples: int | None = None    # None: the full grid; N: N random configurations
    sample_seed: int = 0          # seeds the random draws, so a random sweep can be repeated

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def trial_count(self, n_seeds: int | None = None) -> int:
        """Counted, never drawn: a 1000 x 1000 x 1000 grid is one multiplication."""
        seeds = n_seeds or max(len(self.seeds), 1)
        if self.samples is not None:
            return self.samples * seeds
        return math.prod(len(d.values) for d in self.dimensions) * seeds

    def check(self) -> None:
        """Names, values and ranges against the settings' bounds, then the number of trials; UserInputError."""
        known, seen = searchable(), set()
        for d in self.dimensions:
            if d.name not in known:
                raise UserInputError(f"cannot search {d.name!r}; searchable: {', '.join([*known, 'seed'])}")
            if d.name in seen:
                raise UserInputError(f"{d.name} is searched twice; give all its values in one dimension")
            seen.add(d.name)
            _check_dimension(d, known[d.name], random=self.samples is not None)
        for seed in self.seeds:
            SEED.check(seed)
        if self.samples is not None and (not isinstance(self.samples, int) or isinstance(self.samples, bool)
                                         or self.samples < 1):
            raise UserInputError(f"samples must be a whole number >= 1, got {self.samples!r}")
        if not isinstance(self.sample_seed, int) or isinstance(self.sample_seed, bool) or self.sample_seed < 0:
            raise UserInputError(f"sample_seed must be a whole number >= 0, got {self.sample_seed!r}")
        count = self.trial_count()
        if count > MAX_TRIALS:
            raise UserInputError(f"the sweep has {count} trials, more than {MAX_TRIALS}; use fewer values or --samples")


def _check_dimension(d: Dimension, s: Setting, random: bool) -> None:
    if not d.is_range:
        if not d.values:
            raise UserInputError(f"{d.name}: expected at least one value")
        for v in d.values:
            s.check(v)
        return
    if not random:
        raise UserInputError(f"{d.name} is a range: a grid needs lists of values; add --samples N for a random search")
    s.check(d.low)
    s.check(d.high)
    if d.low > d.high:
        raise UserInputError(f"{d.name}: the range's LOW {d.low} > HIGH {d.high}")
    if scale(d) == "log" and d.low <= 0:
        raise UserInputError(f"{d.name}: a log-scale range needs LOW > 0, got {d.low}")


def scale(d: Dimension) -> str:
    return d.scale or searchable()[d.name].search


def _domain(d: Dimension, s: Setting, random: bool):
    from ray import tune

    if not d.is_range:
        return tune.choice(list(d.values)) if random else tune.grid_search(list(d.values))
    if s.kind is int:    # Tune's integer ranges exclude `upper`: one past HIGH keeps HIGH drawable
        return (tune.lograndint if scale(d) == "log" else tune.randint)(int(d.low), int(d.high) + 1)
    return (tune.loguniform if scale(d) == "log" else tune.uniform)(float(d.low), float(d.high))


def param_space(spec: SweepSpec, base: UnlearnConfig) -> dict:
    """Tune's param_space: one entry per searched setting, and `seed` as a grid (base.seed when none)."""
    known, random = searchable(), spec.samples is not None
    space = {d.name: _domain(d, known[d.name], random) for d in spec.dimensions}
    from ray import tune

    space["seed"] = tune.grid_search(list(spec.seeds or (base.seed,)))
    return space


def search_alg(spec: SweepSpec):
    """Tune's default variant generator, drawing once per sample before the seed grid (shared draws)."""
    from ray.tune.search.basic_variant import BasicVariantGenerator

    return BasicVariantGenerator(constant_grid_search=True, random_state=np.random.default_rng(spec.sample_seed))


def trial_configs(spec: SweepSpec, base: UnlearnConfig) -> list[dict]:
    """The trials in Tune's launch order, drawn as Tune draws them (the same generator, seed and order), so
    the dry run lists exactly what runs. Checks the spec and counts the trials before drawing anything, and
    every combination (lambda_ul = lambda_ce = 0) before anything is trained."""
    spec.check()
    from ray.tune.search.variant_generator import generate_variants

    space, rng, configs = {"config": param_space(spec, base)}, np.random.default_rng(spec.sample_seed), []
    for _ in range(spec.samples or 1):
        configs += [resolved["config"] for _, resolved in generate_variants(space, True, rng)]
    for i, overrides in enumerate(configs):
        try:
            replace(base, **overrides).validate()
        except UserInputError as err:
            raise UserInputError(f"trial {i} ({describe(overrides)}): {err}") from None
    return configs


def describe(overrides: dict) -> str:
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in overrides.items())


RANGE_KINDS = {"uniform": "linear", "loguniform": "log"}     # the scales' names in sweep files and --space


def parse_dimension(name: str, raw) -> Dimension | tuple[int, ...]:
    """A dimension from command-line text ("0.5,0.7", "loguniform:1e-4:1e-1", "1e-4:1e-1": the setting's
    scale) or a config file's value (a list, {"loguniform": [LOW, HIGH]}, or the same text). `seed` gives
    the seeds (a list only). Values are parsed and bounded by the setting's own rules."""
    name = name.strip().replace("-", "_")
    if name == "seed":
        if isinstance(raw, dict) or isinstance(raw, str) and ":" in raw:
            raise UserInputError("seed takes a list of values (e.g. seed=0,1,2), not a range")
        return tuple(dict.fromkeys(_parse(SEED, v) for v in _as_list(name, raw)))
    known = searchable()
    if name not in known:
        raise UserInputError(f"cannot search {name!r}; searchable: {', '.join([*known, 'seed'])}")
    s = known[name]
    if isinstance(raw, str) and ":" in raw:
        parts = [p.strip() for p in raw.split(":")]
        kind = parts.pop(0) if parts[0] in RANGE_KINDS else None
        if len(parts) != 2 or not all(parts):
            raise UserInputError(f"{name}={raw}: expected values like 0.1,0.2 or a range like LOW:HIGH "
                                 f"(or uniform:LOW:HIGH, loguniform:LOW:HIGH)")
        raw = {kind or s.search: parts}
    if isinstance(raw, dict):
        if len(raw) != 1 or next(iter(raw)) not in (*RANGE_KINDS, "log", "linear"):
            raise UserInputError(f"{name}: a range is {{loguniform = [LOW, HIGH]}} or {{uniform = [LOW, HIGH]}}, "
                                 f"got {raw!r}")
        kind, bounds = next(iter(raw.items()))
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
            raise UserInputError(f"{name}: {kind} needs [LOW, HIGH], got {bounds!r}")
        low, high = (_parse(s, b) for b in bounds)
        return Dimension(name, low=low, high=high, scale=RANGE_KINDS.get(kind, kind))
    return Dimension(name, values=tuple(dict.fromkeys(_parse(s, v) for v in _as_list(name, raw))))


def _as_list(name: str, raw) -> list:
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    if not isinstance(raw, (list, tuple)) or not raw:
        raise UserInputError(f"{name}: expected a non-empty list of values, got {raw!r}")
    return list(raw)


def _parse(s: Setting, value):
    # A config file's numbers arrive typed; the setting's parser reads their text the same way as argv's.
    if isinstance(value, bool):
        raise UserInputError(f"{s.name}: expected a number, got {value!r}")
    return s.parse(str(value))
