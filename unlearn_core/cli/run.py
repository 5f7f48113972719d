"""`python -m unlearn_core run`: unlearn once and compare with the original and the retrained model."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from ..configs import MAX_MODELS, RelearnConfig, check_models
from ..cost import speedup_text
from ..download import DOWNLOADABLE
from ..errors import UserInputError
from ..files import check_out_path, write_json_atomic
from .args import add_experiment_args, experiment_from_args, start_engine
from .download import fetch_with_bar

if TYPE_CHECKING:
    from ..evidence import EvidenceConfig


def add_run_command(sub) -> None:
    p = sub.add_parser("run", help="unlearn once and compare with the original and retrained models")
    add_experiment_args(p, with_method=True)
    p.add_argument("--out", help="write the run as one JSON object to this file")
    add_evidence_args(p)
    p.set_defaults(func=cmd_run)


def _count(low: int, high: int, what: str):
    def parse(text: str) -> int:
        if not text.strip().isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number from {low} to {high}, got {text!r}")
        return int(text)
    parse.__name__ = "int"
    return parse


def add_evidence_args(p) -> None:
    """Does it really forget? The relearning test and the probe run by default; the N-model per-sample
    privacy reference is opt-in (N retrain models: N times the retrain's training, once, then cached)."""
    g = p.add_argument_group("does it really forget? (relearning test, embedding probe, per-sample privacy)")
    g.add_argument("--privacy-models", type=_count(0, MAX_MODELS, "--privacy-models"), default=0, metavar="N",
                   help="per-sample privacy against N retrain models from N seeds (each trained once, then "
                        "cached; N times the retrain's cost); 0: off (default); at least 3 when on")
    g.add_argument("--relearn-k", type=_count(1, 10_000_000, "--relearn-k"), default=None, metavar="K",
                   help="forget samples shown to the relearning test (default: 1%% of the forget set, at least 5)")
    g.add_argument("--relearn-steps", type=_count(1, 100_000, "--relearn-steps"), default=RelearnConfig().max_steps,
                   metavar="N", help="cap on the relearning test's fine-tuning steps (default %(default)s)")
    g.add_argument("--no-evidence", action="store_true",
                   help="skip the relearning test and the probe (they add about 3 s on digits, more on big models)")


def evidence_config_from_args(args, exp) -> EvidenceConfig | None:
    """The EvidenceConfig the options ask for (None with --no-evidence). Checked before anything runs:
    UserInputError (one line) on 1 or 2 privacy models or, in sample mode, a K that leaves no forget
    sample to measure on (class mode's limit, the class's size, is checked by the relearning test)."""
    if args.privacy_models:
        check_models(args.privacy_models)
    if args.no_evidence:
        return None
    from ..evidence import EvidenceConfig

    k = args.relearn_k
    if k is not None and exp.forget.mode == "sample":
        size = len(set(exp.forget.indices)) if exp.forget.indices else exp.forget.count
        if k >= size:
            raise UserInputError(f"--relearn-k {k} leaves no forget sample to measure on (the forget set has {size})")
    return EvidenceConfig(relearn=RelearnConfig(k=k, max_steps=args.relearn_steps))


def format_metrics_table(report: dict) -> str:
    """Rows: metrics that apply to the mode; columns: original / unlearned / retrain (percent)."""
    from ..evidence import EVIDENCE_LABELS
    from ..metrics import METRIC_KEYS

    m = report["metrics"]
    cols = ("original", "unlearned", "retrain")
    lines = [f"{'metric':<18}" + "".join(f"{c:>12}" for c in cols)]
    for key in (*METRIC_KEYS, "avg_gap"):
        if m["unlearned"].get(key) is None:
            continue
        lines.append(f"{key:<18}" + "".join(_cell(key, m[c].get(key)) for c in cols))
    lines.extend(format_evidence_rows(report))
    lines.append("mia_member_rate: paper's MIA, share of D^u_tr called member (lower = more forgotten; target: retrain)")
    lines.append("mia_efficacy: SalUn's MIA, share of D^u_tr called non-member (higher = more forgotten; target: retrain)")
    if m["unlearned"].get("privacy_score") is not None:
        lines.append("privacy_score: 1 - best threshold attack telling D^u_tr outputs from retrain's, 0..1 "
                     "(higher = more private; 1 = indistinguishable from retrain)")
    if report.get("evidence"):
        lines.append(EVIDENCE_LABELS["relearn_steps"])
        lines.append(EVIDENCE_LABELS["probe_acc"])
    return "\n".join(lines)


def format_evidence_rows(report: dict) -> list[str]:
    """The relearning test's steps and the probe's accuracy beside the output accuracies (none without them)."""
    evidence = report.get("evidence")
    if not evidence:
        return []
    from ..evidence import evidence_row, steps_text

    cols = ("original", "unlearned", "retrain")
    rel = next((evidence[c]["relearn"] for c in cols if evidence.get(c)), {})
    steps = f"{'relearn_steps':<18}" + "".join(f"{steps_text(evidence.get(c)):>12}" for c in cols)
    probe = f"{'probe_acc':<18}" + "".join(_cell("probe_acc", evidence_row(evidence.get(c))["probe_acc"])
                                           for c in cols)
    rows = [steps, probe]
    if report["mode"] == "sample":      # the probe's forget accuracy means something only beside unseen images'
        rows.append(f"{'probe_test_acc':<18}" + "".join(
            _cell("probe_acc", ((evidence.get(c) or {}).get("probe") or {}).get("test_acc")) for c in cols))
    return rows + [f"  (relearn: K={rel.get('k')} forget samples, threshold {100 * rel.get('threshold', 0):.1f}% "
                          f"on {rel.get('measured_on')}, cap {rel.get('max_steps')} steps)"]


def format_sample_privacy(report: dict) -> str | None:
    """One line on the per-sample privacy of the unlearned model (None when it was not computed)."""
    sp = report.get("sample_privacy")
    if not sp:
        return None
    return (f"per-sample privacy ({sp['models']} retrain models): {100 * sp['share']:.1f}% of the forget samples "
            f"look never seen (score > 0.5; retrain, left out: {100 * sp['retrain_share']:.1f}%, the target; "
            f"original: 0% by construction); the test can tell seen from never seen on "
            f"{100 * sp['separable']:.1f}% of them (docs/PRIVACY.md)")


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
    start_engine()
    from ..data import resolve_data_dir
    from ..experiment import prepare, reference, run_method
    from ..relearn import relearn_sets

    exp = experiment_from_args(args)
    evidence = evidence_config_from_args(args, exp)
    if exp.data.download and exp.data.dataset in DOWNLOADABLE:     # with a bar here; prepare() then finds the files
        fetch_with_bar(exp.data.dataset, resolve_data_dir(exp.data))
    prep = prepare(exp)
    if evidence is not None:
        relearn_sets(prep.split, evidence.relearn)       # a K past the forget set's size: one line, before any run
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

    run = run_method(prep, reference(prep, evidence=evidence, privacy_models=args.privacy_models), on_step=on_step)
    bar.close()
    report = run.report
    print(f"{report['method']} on {report['dataset']}/{report['model']}, {report['mode']} mode, "
          f"{report['forget']['size']} forget samples, seed {report['seed']}, device {report['device']}")
    print(f"stop: {report['stop_reason']} after {report['steps']} steps, {report['seconds']:.2f} s")
    print(format_cost(report))
    print(format_metrics_table(report))
    privacy_line = format_sample_privacy(report)
    if privacy_line:
        print(privacy_line)
    if out is not None:
        write_json_atomic(out, report)
        print(f"wrote {out}")
    return 0
