"""The paper's stopping rule, in one place: the runner applies it to the small eval sets every
`eval_every` steps, and compare applies it to the full sets of a finished run.

    termination_test("class", num_classes=10, accs={"forget_test_acc": 0.08, ...}).fired   # 0.08 <= 1/10

Class mode: Acc(D^u_ts) <= 1/C, the accuracy of a random guess. Sample mode: Acc(D^u) <= Acc(D_ts): the
forget samples look no more familiar than unseen ones. `accs` is keyed like the metrics
(forget_test_acc, forget_train_acc, test_acc), whether measured on eval subsets or on the full sets.
"""
from __future__ import annotations

from .steps import Termination

# A float tolerance: an accuracy equal to the threshold passes, whatever the rounding of 1/C.
TOLERANCE = 1e-12


def termination_test(mode: str, num_classes: int, accs: dict[str, float]) -> Termination:
    if mode == "class":
        value, threshold = accs["forget_test_acc"], 1.0 / num_classes
        rule = f"forget-test accuracy <= 1/C = {threshold:.3f}"
    else:
        value, threshold = accs["forget_train_acc"], accs["test_acc"]
        rule = "forget accuracy <= test accuracy"
    return Termination(rule=rule, value=value, threshold=threshold, fired=value <= threshold + TOLERANCE)
