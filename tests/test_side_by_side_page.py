"""The Side by side page under Streamlit's AppTest: bad input and a failing method are messages in the
page, never a traceback; a step moves every method's map together and the curves follow."""
from __future__ import annotations

import pytest

from app_testing import TINY_EPOCHS, figures, open_page, step_line, trace_names, wait_until_prepared

PAGE = "pages/side_by_side.py"
METHODS_KEY = "side_by_side.methods"          # app_ui.side_by_side_page.METHODS_KEY
STATE_KEY = "side_by_side.state"


@pytest.fixture(autouse=True, scope="module")
def tiny_recipe():
    """The app trains the tests' short recipe, whose model the session's cache already holds."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)
        yield


def chart_titles(charts: list[dict]) -> list[str]:
    return [f["layout"].get("title", {}).get("text", "") for f in charts]


def test_fewer_than_two_methods_is_a_message():
    at = open_page(PAGE)
    at.multiselect(key=METHODS_KEY).set_value(["contrastive"]).run()
    assert not at.exception
    assert any("Choose 2 to 4 methods" in info.value for info in at.info)
    assert not at.get("plotly_chart")                     # nothing runs until there are two


def test_a_failing_method_is_a_message_and_the_others_go_on(class_prep):
    at = wait_until_prepared(open_page(PAGE))
    assert not at.exception
    titles = chart_titles(figures(at))
    assert titles[:3] == ["Contrastive: the original model (step 0)", "NegGrad: the original model (step 0)",
                          "Finetune: the original model (step 0)"], titles

    def broken(**_):
        raise RuntimeError("out of memory\nsecond line")
    at.session_state[STATE_KEY].controller.lanes["neggrad"].live.advance = broken
    at.button(key="btn_step").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["NegGrad failed: RuntimeError: out of memory"]
    assert step_line(at).startswith("**Step 1**") and "2 of 3 methods still unlearning" in step_line(at)
    charts = figures(at)
    titles = chart_titles(charts)
    assert titles[:3] == ["Contrastive: step 1", "NegGrad: the original model (step 0)", "Finetune: step 1"], titles
    accuracy = next(f for f, title in zip(charts, titles) if title.startswith("Accuracy"))
    assert any(name.startswith("Contrastive: ") for name in trace_names(accuracy))
