"""Shared fixtures. Every test session gets its own model cache, so tests never read or write the
user's ~/.cache/unlearn and never depend on what an earlier run left behind."""
from __future__ import annotations

import os

# One torch/OpenMP thread per process: tests run the Streamlit server, Ray workers and pytest side by
# side on 2 cores, and oversubscribed threads made a 0.4 s training take 6 s. Set before torch loads;
# subprocesses inherit it.
os.environ["OMP_NUM_THREADS"] = "1"
# The CLI's main() sets torch's thread count from UNLEARN_THREADS (default: every core); the model cache
# is keyed by it, so an in-process CLI test must not switch the session to 2 threads.
os.environ["UNLEARN_THREADS"] = "1"
# No system dataset folder (Debian's /usr/share/datasets): tests of missing files must not depend on what this
# machine has installed. Tests of the installed Fashion-MNIST files turn it back on (tests/test_idx_files.py).
os.environ["UNLEARN_SYSTEM_DATASETS"] = ""
# No server warm-up (app_ui/warm_up.py): each test prepares what it needs, and a test server must not spend its
# cores on a story no test asked for. tests/test_warm_up.py drives the warm-up itself.
os.environ["UNLEARN_WARM_UP"] = "0"

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

from unlearn_core import DataConfig, Experiment, ForgetConfig, prepare  # noqa: E402
from unlearn_core import configs  # noqa: E402
from unlearn_core.configs import default_train_config  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("model-cache")
    old = os.environ.get("UNLEARN_CACHE_DIR")
    os.environ["UNLEARN_CACHE_DIR"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("UNLEARN_CACHE_DIR", None)
    else:
        os.environ["UNLEARN_CACHE_DIR"] = old


# A short recipe: digits' own (configs.DATASET_TRAIN_DEFAULTS) cut to 6 epochs, as the app's UNLEARN_TRAIN_EPOCHS=6
# cuts it (app_testing.TINY_EPOCHS), so the app's tests find these models in the cache. The small CNN reaches
# about 99% on digits in about a second, enough to unlearn from.
TINY_TRAIN = default_train_config("digits", epochs=6)


@pytest.fixture(scope="module")
def short_recipe():
    """The CLI trains with the dataset's recipe; on digits make it the fixtures' short one, so the CLI finds
    the original model that `class_prep` already put in the session's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(configs.DATASET_TRAIN_DEFAULTS, "digits",
                      {**configs.DATASET_TRAIN_DEFAULTS["digits"], "epochs": TINY_TRAIN.epochs})
        assert configs.default_train_config("digits") == TINY_TRAIN
        yield


@pytest.fixture(scope="session")
def class_prep(isolated_cache):
    """digits, forget class 5, the short recipe: trained once per test session."""
    return prepare(Experiment(data=DataConfig(), forget=ForgetConfig(mode="class", forget_class=5),
                              train=TINY_TRAIN, device="cpu"))


@pytest.fixture(scope="session")
def sample_prep(isolated_cache):
    """digits, forget 100 random samples (seed 0), the short recipe."""
    return prepare(Experiment(data=DataConfig(), forget=ForgetConfig(mode="sample", count=100, seed=0),
                              train=TINY_TRAIN, device="cpu"))
