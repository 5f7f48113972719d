"""`python -m unlearn_core run`: unlearn once and compare with the original and the retrained model."""
from __future__ import annotations

from tqdm.auto import tqdm

from ..cost import speedup_text
from ..data import resolve_data_dir
from ..download import DOWNLOADABLE
from ..experiment import prepare, reference, run_method
from ..files import check_out_path, write_json_atomic
from ..metrics import METRIC_KEYS
from .args import add_experiment_args, experiment_from_args
from .download import fetch_with_bar


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
        lines.append(f"{key:<18}" + "".join(_cell(key, m[c].get(key)) for c in cols))
    lines.append("mia_member_rate: paper's MIA, share of D^u_tr called member (lower = more forgotten; target: retrain)")
    lines.append("mia_efficacy: SalUn's MIA, share of D^u_tr called non-member (higher = more forgotten; target: retrain)")
    if m["unlearned"].get("privacy_score") is not None:
        lines.append("privacy_score: 1 - best threshold attack telling D^u_tr outputs from retrain's, 0..1 "
                     "(higher = more private; 1 = indistinguishable from retrain)")
    return "\n".join(lines)


def _cell(key: str, value: float | None) -> str:
    # privacy_score is a score from 0 to 1, not a share: printed as is; the rest in percent.
    if value is None:
        return f"{'-':>12}"
    return f"{value:>12.4f}" if key == "privacy_score" else f"{100 * value:>11.2f}%"


def format_cost(report: dict) -> str:
    """Both costs against retraining: FLOPs (machine-independent) and wall-clock time (this machine)."""
    if not report["terminated"]:
        return "cost: the run did not terminate, so no speed-up over retraining is claimed"
    c = report["cost"]
    return (f"cost: {c['unlearn_flops']:.3g} FLOPs against the retrain's {c['retrain_flops']:.3g}: "
            f"{speedup_text(c['flops_speedup'])} in FLOPs; {c['unlearn_seconds']:.2f} s against "
            f"{c['retrain_seconds']:.2f} s ({c['retrain_seconds_source']}): {speedup_text(c['wall_speedup'])} "
            f"in wall-clock time")


def cmd_run(args) -> int:
    out = check_out_path(args.out)
    exp = experiment_from_args(args)
    if exp.data.download and exp.data.dataset in DOWNLOADABLE:     # with a bar here; prepare() then finds the files
        fetch_with_bar(exp.data.dataset, resolve_data_dir(exp.data))
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
    print(f"stop: {report['stop_reason']} after {report['steps']} steps, {report['seconds']:.2f} s")
    print(format_cost(report))
    print(format_metrics_table(report))
    if out is not None:
        write_json_atomic(out, report)
        print(f"wrote {out}")
    return 0
