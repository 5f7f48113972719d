"""`python -m unlearn_core compare`: several methods x seeds on the same forget set, tabulated."""
from __future__ import annotations

import argparse

from tqdm.auto import tqdm

from ..configs import METHOD_NAMES
from ..files import check_out_path, write_json_atomic
from ..sweep.options import require_ray
from .args import add_experiment_args, experiment_from_args, hyperparameter_overrides, start_engine


def _name_list(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated method names")
    return names


def _seed_list(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(dict.fromkeys(int(part) for part in text.replace(" ", "").split(",") if part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not seeds or min(seeds) < 0 or max(seeds) > 2 ** 31 - 1:
        raise argparse.ArgumentTypeError(f"expected seeds from 0 to {2 ** 31 - 1}, got {text!r}")
    return seeds


def _budget(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of trials >= 1, got {text!r}")
    return int(text)


def tune_first(exp, args, seeds) -> dict:
    """`--tune N`: every method's chosen settings ({} for those kept at their defaults), printed as they come."""
    from ..tuning import tune_methods

    require_ray()            # before training anything: say how to install it, not fail after minutes
    print(f"tuning: {args.tune} trials per method on seed {seeds[0]}, chosen by Avg. Gap on the eval subsets",
          flush=True)
    tuned = tune_methods(exp, args.methods, args.tune, seeds[0], hyperparameter_overrides(args),
                         paper=args.paper_defaults, on_tuned=lambda t: print(f"  {t.note}", flush=True))
    return tuned


def add_compare_command(sub) -> None:
    p = sub.add_parser("compare", help="run several methods x seeds on the same forget set and tabulate them")
    add_experiment_args(p)
    p.add_argument("--methods", type=_name_list, default=METHOD_NAMES,
                   help=f"comma-separated, from {', '.join(METHOD_NAMES)} (default: all)")
    p.add_argument("--seeds", type=_seed_list, default=None,
                   help="comma-separated seeds, e.g. 0,1,2 (default: --seed's value); each seeds the forget set "
                        "draw and the unlearning")
    p.add_argument("--tune", type=_budget, default=None, metavar="N",
                   help="first give every method N trials of its learning rate and own knob on Ray Tune, on the "
                        "first seed, choosing by Avg. Gap on the eval subsets (never the test sets); then run the "
                        "chosen settings over the seeds (unlearn_core/tuning.py)")
    p.add_argument("--out", help="write {\"runs\": [...], \"tuning\": [...]} (one run report per method and seed) "
                                 "to this JSON file")
    p.set_defaults(func=cmd_compare)


def cmd_compare(args) -> int:
    out = check_out_path(args.out)
    start_engine()
    from ..compare import compare_methods, format_table, summarise, winner

    exp = experiment_from_args(args, args.methods[0] if args.methods else None)
    seeds = args.seeds if args.seeds is not None else (args.seed,)
    # The bar starts with the first run, after every configuration was checked: a bad one prints its
    # line on a clean stderr, not glued to a progress bar.
    bars = []

    def on_start(seed, method):
        if not bars:
            bars.append(tqdm(total=len(seeds) * len(args.methods), desc="compare", unit="run"))
        bars[0].set_postfix(seed=seed, method=method)

    def on_run(run):
        bar = bars[0]
        r = run.report
        bar.update(1)
        bar.write(f"seed {r['seed']} {r['method']:<19} {r['steps']:>5} steps {r['seconds']:>8.2f} s  "
                  f"Avg. Gap {100 * r['metrics']['unlearned']['avg_gap']:6.2f}%  {r['stop_reason']}")

    tuned = tune_first(exp, args, seeds) if args.tune else {}
    try:
        runs = compare_methods(exp, args.methods, seeds, hyperparameter_overrides(args), paper=args.paper_defaults,
                               on_run=on_run, on_start=on_start, per_method={m: t.chosen for m, t in tuned.items()})
    finally:
        for bar in bars:
            bar.close()
    reports = [run.report for run in runs]
    first = reports[0]
    print(f"{first['dataset']}/{first['model']}, {first['mode']} mode, {first['forget']['size']} forget samples, "
          f"seeds {','.join(map(str, seeds))}, device {first['device']}"
          + (f", tuned ({args.tune} trials per method)" if tuned else ""))
    rows = summarise(reports)
    print(format_table(rows))
    print(winner(rows)[1])
    if out is not None:
        write_json_atomic(out, {"runs": reports, "tuning": [t.as_dict() for t in tuned.values()]})
        print(f"wrote {out}")
    return 0
