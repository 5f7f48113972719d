"""`python -m unlearn_core compare`: several methods x seeds on the same forget set, tabulated."""
from __future__ import annotations

import argparse
import sys

from tqdm.auto import tqdm

from ..compare_file import compare_file, finished_pairs, planned_pairs, read_compare_file
from ..configs import METHOD_NAMES, config_dict
from ..errors import UserInputError
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
                                 "to this JSON file, rewritten after every finished run: \"complete\" is false until "
                                 "the last run, and \"planned\" lists every seed and method, so an interrupted "
                                 "comparison keeps the runs it finished; an existing file is overwritten (without "
                                 "--resume)")
    p.add_argument("--resume", action="store_true",
                   help="continue the comparison in --out (which must be set): the runs already in it are kept and "
                        "not run again, only the missing seed x method pairs run, and the table covers all of them. "
                        "Give the options it was started with: every kept run's recorded dataset, model, mode, forget "
                        "set, training recipe and hyperparameters must equal what this command would use for its "
                        "seed and method, else it is refused; --methods and --seeds may add pairs, not drop any. "
                        "A tuned file (--tune) keeps its tuning choices (resume it with --tune; nothing is tuned "
                        "again). A file that does not exist yet is started")
    p.set_defaults(func=cmd_compare)


def _previous(args, out, planned) -> dict | None:
    """--resume: the earlier comparison in `out`, checked as far as JSON alone can (before the engine loads);
    None without --resume or when the file does not exist yet."""
    if not args.resume:
        return None
    if out is None:
        raise UserInputError("--resume needs --out FILE, the file of the comparison to resume")
    if not out.exists():
        print(f"{out} does not exist yet: starting the comparison", flush=True)
        return None
    previous = read_compare_file(out)
    extra = [pair for pair in finished_pairs(previous) if pair not in planned]
    if extra:
        raise UserInputError(f"cannot resume from {out}: it holds a run (seed {extra[0][0]} {extra[0][1]}) that this "
                             "command does not plan; give --methods and --seeds that cover every run in it")
    if previous.get("tuning") and not args.tune:
        raise UserInputError(f"cannot resume from {out}: it was tuned; add --tune N to resume it (its tuning choices "
                             "are reused, nothing is tuned again)")
    if args.tune and not previous.get("tuning") and previous["runs"]:
        raise UserInputError(f"cannot resume from {out}: its runs were not tuned; resume it without --tune")
    return previous


def cmd_compare(args) -> int:
    out = check_out_path(args.out)
    seeds = args.seeds if args.seeds is not None else (args.seed,)
    planned = planned_pairs(seeds, args.methods)
    previous = _previous(args, out, planned)
    done = finished_pairs(previous) if previous else {}
    start_engine()
    from ..compare import compare_methods, format_table, method_configs, resume_mismatch, summarise, winner

    exp = experiment_from_args(args, args.methods[0] if args.methods else None)
    # What defines the experiment but is not in the run reports (the data settings), kept in the file for --resume.
    data = {k: v for k, v in config_dict(exp.data).items() if k in ("dataset", "split_seed", "train_size")}
    if previous is not None and previous.get("data", data) != data:
        raise UserInputError(f"cannot resume from {out}: it was written for a different experiment (data "
                             f"{previous['data']} in the file, {data} here)")
    if previous is not None and previous.get("tuning"):
        tuning = previous["tuning"]
        untuned = [m for m in args.methods if m not in {t.get("method") for t in tuning}]
        if untuned:
            raise UserInputError(f"cannot resume from {out}: its tuning has no choice for {untuned[0]}; resume it "
                                 "with the methods it was tuned for")
        per_method = {t["method"]: t.get("chosen") or {} for t in tuning}
    else:
        tuned = tune_first(exp, args, seeds) if args.tune else {}
        tuning = [t.as_dict() for t in tuned.values()]
        per_method = {m: t.chosen for m, t in tuned.items()}
    overrides = hyperparameter_overrides(args)
    if done:
        configs = method_configs(exp, args.methods, seeds, overrides, paper=args.paper_defaults, per_method=per_method)
        for (seed, method), report in done.items():
            why = resume_mismatch(report, exp, configs[seed][method])
            if why:
                raise UserInputError(f"cannot resume from {out}: it was written for a different experiment (seed "
                                     f"{seed} {method}, {why}); give the options it was run with, or drop --resume "
                                     "to start over")
        print(f"resuming {out}: {len(done)} of {len(planned)} runs already there, running the other "
              f"{len(planned) - len(done)}", flush=True)
    results = dict(done)

    def save() -> None:
        if out is not None:
            write_json_atomic(out, compare_file([results[p] for p in planned if p in results], planned, tuning, data))

    # The bar starts with the first run, after every configuration was checked: a bad one prints its
    # line on a clean stderr, not glued to a progress bar. The file is first written then too.
    bars = []

    def on_start(seed, method):
        if not bars:
            bars.append(tqdm(total=len(planned) - len(done), desc="compare", unit="run"))
            save()
        bars[0].set_postfix(seed=seed, method=method)

    def on_run(run):
        bar = bars[0]
        r = run.report
        results[(r["seed"], r["method"])] = r
        save()                      # after every run: an interrupted comparison keeps what it finished
        bar.update(1)
        bar.write(f"seed {r['seed']} {r['method']:<19} {r['steps']:>5} steps {r['seconds']:>8.2f} s  "
                  f"Avg. Gap {100 * r['metrics']['unlearned']['avg_gap']:6.2f}%  {r['stop_reason']}")

    try:
        compare_methods(exp, args.methods, seeds, overrides, paper=args.paper_defaults, on_run=on_run,
                        on_start=on_start, per_method=per_method, skip=done)
    except KeyboardInterrupt:
        started = bool(bars)        # the file is written from the first run's start on
        for bar in bars:
            bar.close()
        bars.clear()
        if out is None or not started:
            raise                   # cli.main: "interrupted; nothing written"
        print(f"interrupted; {out} keeps the {len(results)} of {len(planned)} runs finished (complete: false); "
              "run the same command with --resume to run the rest", file=sys.stderr)
        return 130
    finally:
        for bar in bars:
            bar.close()
    reports = [results[p] for p in planned]
    first = reports[0]
    print(f"{first['dataset']}/{first['model']}, {first['mode']} mode, {first['forget']['size']} forget samples, "
          f"seeds {','.join(map(str, seeds))}, device {first['device']}"
          + (f", tuned ({args.tune} trials per method)" if tuning else ""))
    rows = summarise(reports)
    print(format_table(rows))
    print(winner(rows)[1])
    if out is not None:
        save()
        print(f"wrote {out}")
    return 0
