"""What an unlearning run cost against retraining, and how to say it.

    report["cost"] = run_cost(final_step, reference)     # FLOPs and seconds, both sides, and their ratios
    speedup_text(0.25)                                   # "4.0x slower", never "0.2x faster"

FLOPs (flops.py) are the same on any machine; wall-clock seconds are this machine's, now, and the retrain's
may have been read from the model cache (retrain_seconds_source says which).
"""
from __future__ import annotations


def run_cost(final, ref) -> dict:
    """final: the closing Step; ref: the experiment.Reference it is measured against."""
    return {"unlearn_flops": final.flops, "retrain_flops": ref.retrain_flops,
            "flops_speedup": ref.retrain_flops / final.flops if final.flops > 0 else None,
            "unlearn_seconds": final.seconds, "retrain_seconds": ref.retrain.seconds,
            "wall_speedup": ref.retrain.seconds / final.seconds if final.seconds > 0 else None,
            "retrain_seconds_source": "measured in this run" if not ref.retrain.from_cache
            else "read from the cache file (measured when it was trained)"}


def speedup_text(ratio: float | None) -> str:
    """A retrain-over-unlearning ratio in words: "12.3x faster", "4.0x slower", "as fast", or "n/a"."""
    if ratio is None:
        return "n/a"
    if ratio >= 1.05:
        return f"{ratio:.1f}x faster"
    if ratio <= 1 / 1.05:
        return f"{1 / ratio:.1f}x slower"
    return "about as fast"
