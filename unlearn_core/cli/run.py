"""`python -m unlearn_core run`: unlearn once and compare with the original and the retrained model."""
from __future__ import annotations

from tqdm.auto import tqdm

from ..experiment import prepare, reference, run_method
from ..files import check_out_path, write_json_atomic
from ..metrics import METRIC_KEYS
from .args import add_experiment_args, experiment_from_args


def add_run_command(sub) -> None:
    p = sub.add_parser("run", help="unlearn once and compare with the original and retrained models")
    add_experiment_args(p, with_method=True)
    p.add_argument("--out", help="write the run as one JSON object to this file")
    p.set_defaults(func=cmd_run)


def format_metrics_table(report: dict) -> str:
    """Rows: metrics that apply to the mode; columns: original / unlearned / retrain (percent)."""
    m = report["metrics"]
    cols = ("original", "unlearned", "retrain")
    lines = [f"{'metric':<18}" + "".join(f"{c:>12}" for c in cols)]
    for key in (*METRIC_KEYS, "avg_gap"):
        if m["unlearned"].get(key) is None:
            continue
        lines.append(f"{key:<18}" + "".join(f"{100 * m[c][key]:>11.2f}%" for c in cols))
    lines.append("mia_member_rate: paper's MIA, share of D^u_tr called member (lower = more forgotten; target: retrain)")
    lines.append("mia_efficacy: SalUn's MIA, share of D^u_tr called non-member (higher = more forgotten; target: retrain)")
    return "\n".join(lines)


def cmd_run(args) -> int:
    out = check_out_path(args.out)
    exp = experiment_from_args(args)
    prep = prepare(exp)
    cfg = exp.unlearn_config()
    per_round = -(-len(prep.split.forget_train) // cfg.batch_size) * cfg.omega
    # The step count is known ahead only for the contrastive loop; a baseline's bar just counts.
    total = min(cfg.max_steps, per_round * cfg.max_rounds) if exp.method == "contrastive" else None
    bar = tqdm(total=total, desc="unlearning", unit="step")

    def on_step(step):
        bar.n = step.step
        if step.termination is not None:
            bar.set_postfix(forget=f"{step.termination.value:.3f}", threshold=f"{step.termination.threshold:.3f}")
        bar.refresh()

    run = run_method(prep, reference(prep), on_step=on_step)
    bar.close()
    report = run.report
    print(f"{report['method']} on {report['dataset']}/{report['model']}, {report['mode']} mode, "
          f"{report['forget']['size']} forget samples, seed {report['seed']}, device {report['device']}")
    cost = (f"retrain {report['retrain_seconds']:.2f} s ({report['retrain_seconds_source']}): "
            f"{report['speedup']:.1f}x faster" if report["terminated"]
            else "it did not terminate, so no speed-up over retraining is claimed")
    print(f"stop: {report['stop_reason']} after {report['steps']} steps, {report['seconds']:.2f} s; {cost}")
    print(format_metrics_table(report))
    if out is not None:
        write_json_atomic(out, report)
        print(f"wrote {out}")
    return 0
