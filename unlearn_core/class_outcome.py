"""Where the forgotten samples go: accuracy per class, and which classes the forget samples are predicted as.

    class_accuracy(test_outputs(model, data, device), num_classes)   # [C] accuracy per true class (None: no sample)
    forget_confusion(forget_outputs, num_classes)                    # [C, C] counts, rows true, columns predicted
    where_forgotten(test, forget, num_classes)                       # both for several models, as JSON-ready lists

The metrics table says *that* the forget samples are no longer recognised (forget accuracy near 0); these
say *what they became*. Contrastive unlearning pushes each forget sample towards other classes' embeddings,
so its predictions should spread over the classes it now resembles, as the retrain model's do (the paper's
Figure 1), rather than pile onto one class. Class accuracy is measured on the whole test set, the forget
class included (its bar is the forget-test accuracy), so the cost to the other classes shows per class.
"""
from __future__ import annotations

import numpy as np
import torch

from .data import ImageData
from .metrics import Outputs, infer


def predicted_classes(out: Outputs) -> np.ndarray:
    """int [N]: the most probable class per sample. From the softmax rather than the raw logits, which read
    a diverged model's NaN logits as no evidence (Outputs.probs) instead of as the largest value."""
    if len(out.labels) == 0:
        return np.zeros(0, dtype=np.int64)
    return out.probs().argmax(dim=1).numpy()


def class_accuracy(out: Outputs, num_classes: int) -> list[float | None]:
    """Accuracy per true class 0..C-1 (the recall of each row of the confusion matrix); None for a class
    with no sample in `out`, which has no accuracy rather than an accuracy of 0."""
    counts = _confusion(out, num_classes)
    totals = counts.sum(axis=1)
    return [float(counts[c, c] / totals[c]) if totals[c] else None for c in range(num_classes)]


def forget_confusion(out: Outputs, num_classes: int) -> np.ndarray:
    """int [C, C]: how many forget samples of true class i (row) the model predicts as class j (column).
    In class mode only the forget class's row is non-zero; in sample mode every class may have a row."""
    return _confusion(out, num_classes)


def _confusion(out: Outputs, num_classes: int) -> np.ndarray:
    from sklearn.metrics import confusion_matrix  # 1.5 s to import scikit-learn: not until a matrix is counted

    return confusion_matrix(out.labels.numpy(), predicted_classes(out), labels=range(num_classes))


def test_outputs(model: torch.nn.Module, data: ImageData, device: torch.device) -> Outputs:
    """The model's outputs on the whole test set D_ts (the forget class's test samples included)."""
    return infer(model, data, "test", np.arange(len(data.test_y)), device)


def where_forgotten(test: dict[str, Outputs], forget: dict[str, Outputs], num_classes: int) -> dict:
    """The JSON report's "where_forgotten" entry: {"class_accuracy": {model: [C]}, "forget_confusion":
    {model: [[C] x C]}}, keyed by model name ("original", "unlearned", "retrain") in the order given."""
    return {"class_accuracy": {name: class_accuracy(out, num_classes) for name, out in test.items()},
            "forget_confusion": {name: forget_confusion(out, num_classes).tolist() for name, out in forget.items()}}
