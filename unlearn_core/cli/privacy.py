"""`python -m unlearn_core privacy run.json --models 8`: per-sample privacy for a saved run.

A run's JSON holds its configuration, not its weights, so the unlearned model is rebuilt by running the
same configuration again (every draw is seeded; the original and the retrain reference come from the
model cache): the rebuilt run must stop where the saved one did, else the command says so and stops.
Then N retrain models (trained once, cached) give the per-sample test (unlearn_core/sample_privacy.py,
docs/PRIVACY.md). `--out FILE` writes the run's report with "sample_privacy" filled in (it may be the
same file).
"""
from __future__ import annotations

import json
from pathlib import Path

from ..configs import (DEFAULT_MODELS, DEVICE_CHOICES, DataConfig, ForgetConfig, ModelConfig, TrainConfig,
                       UnlearnConfig, check_models)
from ..errors import UserInputError
from ..experiment_config import Experiment
from ..files import check_out_path, write_json_atomic
from .args import start_engine
from .run import format_sample_privacy


def add_privacy_command(sub) -> None:
    p = sub.add_parser("privacy", help="per-sample privacy of a saved run (run --out FILE.json) against N retrain "
                                       "models")
    p.add_argument("run_file", help="a run's JSON (python -m unlearn_core run ... --out FILE.json)")
    p.add_argument("--models", type=int, default=DEFAULT_MODELS, metavar="N",
                   help="retrain models from N seeds (each trained once, then cached; N times the retrain's "
                        "cost; default %(default)s, at least 3)")
    p.add_argument("--data-dir", default=None, help="where the dataset's files live, if not the default")
    p.add_argument("--device", default=None, choices=DEVICE_CHOICES, help="default: the run's device type")
    p.add_argument("--out", help="write the run's report with sample_privacy filled in to this JSON file")
    p.set_defaults(func=cmd_privacy)


def _fields(cls, values: dict) -> dict:
    names = {f for f in cls.__dataclass_fields__}
    return {k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items() if k in names}


def experiment_from_report(report: dict, data_dir: str | None = None, device: str | None = None) -> Experiment:
    """The Experiment a saved run's report describes (its recipe from "train" when saved, else the dataset's
    default recipe on the device). UserInputError on a file that is not a run report."""
    try:
        exp = Experiment(data=DataConfig(dataset=report["dataset"], data_dir=data_dir),
                         forget=ForgetConfig(**_fields(ForgetConfig, report["forget"])),
                         model=ModelConfig(name=report["model"]),
                         train=TrainConfig(**_fields(TrainConfig, report["train"])) if report.get("train") else None,
                         unlearn=UnlearnConfig(**_fields(UnlearnConfig, report["hyperparameters"])),
                         method=report["method"],
                         device=device or str(report.get("device", "auto")).split(":")[0])
    except (KeyError, TypeError, AttributeError) as err:
        raise UserInputError(f"not a run report (python -m unlearn_core run --out FILE.json): missing or bad "
                             f"{err}") from None
    return exp


def load_report(path: str) -> dict:
    file = Path(path)
    if not file.is_file():
        raise UserInputError(f"no such run file: {path}")
    try:
        report = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UserInputError(f"cannot read {path} as JSON: {err}") from None
    if not isinstance(report, dict) or "metrics" not in report:
        raise UserInputError(f"{path} is not a run report (python -m unlearn_core run --out FILE.json)")
    return report


def cmd_privacy(args) -> int:
    check_models(args.models)
    out = check_out_path(args.out)
    saved = load_report(args.run_file)
    exp = experiment_from_report(saved, args.data_dir, args.device)
    start_engine()
    from ..experiment import prepare, reference, run_method

    prep = prepare(exp)
    ref = reference(prep, evidence=None, privacy_models=args.models)
    print(f"rebuilding the unlearned model: {saved['method']} on {saved['dataset']}/{saved['model']}, "
          f"{saved['mode']} mode, seed {saved['seed']}", flush=True)
    report = run_method(prep, ref).report
    if (report["steps"], report["outcome"]) != (saved["steps"], saved["outcome"]):
        raise UserInputError(f"the rebuilt run stopped at step {report['steps']} ({report['outcome']}), the saved one "
                             f"at step {saved['steps']} ({saved['outcome']}): not the same model (another torch "
                             f"thread count or device?); nothing written")
    sp = report["sample_privacy"]
    print(format_sample_privacy(report))
    print(f"reference: {sp['models']} retrain models, {sp['reference_flops']:.3g} training FLOPs, "
          f"{sp['reference_seconds']:.1f} s of training ({sp['reference_from_cache']} read from the cache)")
    if out is not None:
        write_json_atomic(out, saved | {"sample_privacy": sp})
        print(f"wrote {out}")
    return 0
