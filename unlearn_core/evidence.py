"""Does it really forget? The relearning test and the embedding probe of one model, as the report keeps them.

    cfg = EvidenceConfig()                                    # the declared recipes (relearn.py, probe.py)
    threshold = relearn_threshold(prep.original.model, prep.data, prep.split, prep.device, cfg)
    model_evidence(model, prep.data, prep.split, prep.device, threshold, cfg)
        # -> {"relearn": {"k", "threshold", "steps_to_threshold", "curve", ...}, "probe": {"forget_acc", ...}}

experiment.reference() computes it for the original and the retrain model (once, with them) and
experiment.run_method() for the unlearned one; the report keeps all three under "evidence". The per-sample
privacy (sample_privacy.py) needs N retrain models and is opt-in (`privacy_models`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .data import ImageData
from .probe import ProbeConfig, probe
from .relearn import CLASS_THRESHOLD, RelearnConfig, relearn, sample_threshold
from .splits import Split

# What each number says, for tables and the app, in one plain sentence each.
EVIDENCE_LABELS = {
    "relearn_steps": "relearn steps: fine-tuning steps on the remaining data plus K forget samples until forget "
                     "accuracy is back at the threshold; fewer than retrain = the forget data is still in the "
                     "weights; target: retrain",
    "probe_acc": "probe acc: a fresh linear classifier on the frozen embeddings, scored on the forget data; high = "
                 "still linearly decodable; retrain also scores above chance (features generalise), so retrain "
                 "is the target, not 0",
}


@dataclass(frozen=True)
class EvidenceConfig:
    relearn: RelearnConfig = field(default_factory=RelearnConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)


def relearn_threshold(original: torch.nn.Module, data: ImageData, split: Split, device: torch.device,
                      cfg: EvidenceConfig = EvidenceConfig()) -> float:
    """0.5 in class mode; in sample mode the original model's accuracy on the measurement set (relearn.py)."""
    if split.mode == "class":
        return CLASS_THRESHOLD
    return sample_threshold(original, data, split, device, cfg.relearn)


def model_evidence(model: torch.nn.Module, data: ImageData, split: Split, device: torch.device,
                   threshold: float, cfg: EvidenceConfig = EvidenceConfig()) -> dict:
    """{"relearn": relearn.relearn(...), "probe": probe.probe(...)} for one model (left unchanged)."""
    return {"relearn": relearn(model, data, split, device, threshold, cfg.relearn),
            "probe": probe(model, data, split, device, cfg.probe)}


def evidence_row(evidence: dict | None) -> dict:
    """The two headline numbers of one model's evidence: {"relearn_steps", "probe_acc"} (None where absent;
    relearn_steps None also when the threshold was not reached within the cap: see relearn_capped)."""
    evidence = evidence or {}
    rel, prb = evidence.get("relearn") or {}, evidence.get("probe") or {}
    return {"relearn_steps": rel.get("steps_to_threshold"), "probe_acc": prb.get("forget_acc"),
            "relearn_capped": bool(rel) and rel.get("steps_to_threshold") is None,
            "relearn_cap": rel.get("max_steps")}


def steps_text(evidence: dict | None) -> str:
    """"12", ">100" (not within the cap) or "-" (not measured)."""
    row = evidence_row(evidence)
    if row["relearn_steps"] is not None:
        return str(row["relearn_steps"])
    return f">{row['relearn_cap']}" if row["relearn_capped"] else "-"


def steps_for_mean(evidence: dict | None) -> float | None:
    """Relearn steps as a number for averaging over seeds: a run that never reached the threshold counts as
    cap + 1 (a lower bound; tables say so)."""
    row = evidence_row(evidence)
    if row["relearn_steps"] is not None:
        return float(row["relearn_steps"])
    return float(row["relearn_cap"] + 1) if row["relearn_capped"] else None
