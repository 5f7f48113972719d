"""Where the forgotten samples go, drawn: the class-wise bars, the single-row matrix of class mode, the full
matrix of sample mode, and the sentence that says where they went."""
from __future__ import annotations

import numpy as np

from app_testing import values
from app_ui.forget_figures import class_accuracy_figure, destinations_text, forget_confusion_figure

NAMES = tuple("0123456789")


def class_mode_matrix() -> np.ndarray:
    """100 fives: 41 now called 3, 30 called 8, 12 called 9, 8 called 6, 5 called 0, 4 still called 5."""
    matrix = np.zeros((10, 10), dtype=int)
    matrix[5, [3, 8, 9, 6, 0, 5]] = [41, 30, 12, 8, 5, 4]
    return matrix


def test_the_bars_group_three_models_per_class_and_name_the_forget_class():
    accuracy = {"original": [0.9] * 10, "unlearned": [0.9] * 5 + [0.0] + [0.88] * 4,
                "retrain": [0.9] * 5 + [0.0] + [0.9] * 4}
    fig = class_accuracy_figure(accuracy, NAMES, forget_class=5).to_plotly_json()
    assert [t["name"] for t in fig["data"]] == ["original", "unlearned", "retrain"]
    assert fig["layout"]["barmode"] == "group"
    assert list(fig["data"][1]["x"])[5] == "5 (forgotten)" and list(fig["data"][1]["y"])[5] == 0.0
    sample = class_accuracy_figure(accuracy, NAMES).to_plotly_json()               # sample mode: no forget class
    assert list(sample["data"][0]["x"]) == list(NAMES)


def test_class_mode_draws_one_row_and_says_where_the_fives_went():
    fig = forget_confusion_figure(class_mode_matrix(), NAMES, "Unlearned model", zmax=60).to_plotly_json()
    heatmap = fig["data"][0]
    assert list(heatmap["y"]) == ["5"] and list(heatmap["x"]) == list(NAMES)      # rows: true classes with samples
    assert values(heatmap["z"]).tolist() == [[5, 0, 0, 41, 0, 4, 8, 0, 30, 12]] and heatmap["zmax"] == 60
    text = destinations_text(class_mode_matrix(), NAMES, "the unlearned model")
    assert text == ("The unlearned model predicts the 100 forget samples (class 5) as 3 (41%), 8 (30%), 9 (12%), "
                    "6 (8%) and 2 other classes (9%).")
    kept = np.zeros((10, 10), dtype=int)
    kept[5, [5, 3]] = [3, 1]
    assert destinations_text(kept, NAMES, "the retrain model").endswith("as 5 (75%, its own class) and 3 (25%).")


def test_sample_mode_draws_a_row_per_class_and_counts_the_diagonal():
    matrix = np.diag([10, 8, 0, 9, 0, 0, 0, 0, 0, 0])
    matrix[1, 7] = 2
    matrix[3, 8] = 1
    fig = forget_confusion_figure(matrix, NAMES, "Retrain model").to_plotly_json()
    assert list(fig["data"][0]["y"]) == ["0", "1", "3"]                           # classes 2, 4..9 hold none
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"                     # the first class on top
    text = destinations_text(matrix, NAMES, "the retrain model")
    assert text.startswith("The retrain model still predicts 27 of the 30 forget samples (90%) as their own class")
