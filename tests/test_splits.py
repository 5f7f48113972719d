"""Forget/remain splits, eval subsets and the probe, on the bundled digits data."""
from __future__ import annotations

import numpy as np
import pytest

from unlearn_core.configs import DataConfig, ForgetConfig
from unlearn_core.data import ImageData, load_dataset
from unlearn_core.errors import UserInputError
from unlearn_core.splits import EVAL_SIZE, PROBE_SIZE, make_split


@pytest.fixture(scope="module")
def digits() -> ImageData:
    return load_dataset(DataConfig(dataset="digits"))


def labels(data: ImageData):
    return data.train_y.numpy(), data.test_y.numpy()


def assert_index_array(idx: np.ndarray, n: int) -> None:
    assert idx.dtype == np.int64
    assert np.all(np.diff(idx) > 0), "sorted, no duplicates"
    assert len(idx) == 0 or (idx[0] >= 0 and idx[-1] < n)


def assert_subset(small: np.ndarray, big: np.ndarray) -> None:
    assert np.isin(small, big).all()


def same_split(a, b) -> bool:
    arrays = ["forget_train", "remain_train", "forget_test", "remain_test", "probe", "probe_is_forget"]
    return (all(np.array_equal(getattr(a, k), getattr(b, k)) for k in arrays)
            and a.eval_sets.keys() == b.eval_sets.keys()
            and all(np.array_equal(a.eval_sets[k].indices, b.eval_sets[k].indices) for k in a.eval_sets))


def user_error(data, cfg, **kwargs) -> str:
    with pytest.raises(UserInputError) as err:
        make_split(data, cfg, **kwargs)
    message = str(err.value)
    assert message and "\n" not in message, message
    return message


# --- class mode ------------------------------------------------------------------------------------------

def test_class_mode_forgets_exactly_one_class(digits):
    train_y, test_y = labels(digits)
    split = make_split(digits, ForgetConfig(mode="class", forget_class=5))
    n_train, n_test = len(train_y), len(test_y)
    assert split.mode == "class" and split.forget_class == 5 and split.num_classes == 10
    for idx, n in [(split.forget_train, n_train), (split.remain_train, n_train),
                   (split.forget_test, n_test), (split.remain_test, n_test)]:
        assert_index_array(idx, n)

    assert len(split.forget_train) == int((train_y == 5).sum()) > 0
    assert (train_y[split.forget_train] == 5).all()
    assert not (train_y[split.remain_train] == 5).any()
    assert np.array_equal(np.union1d(split.forget_train, split.remain_train), np.arange(n_train))
    assert len(split.forget_train) + len(split.remain_train) == n_train

    assert (test_y[split.forget_test] == 5).all() and not (test_y[split.remain_test] == 5).any()
    assert np.array_equal(np.union1d(split.forget_test, split.remain_test), np.arange(n_test))
    assert len(split.forget_test) + len(split.remain_test) == n_test


@pytest.mark.parametrize("eval_size", [20, 100_000])
def test_class_mode_eval_sets(digits, eval_size):
    split = make_split(digits, ForgetConfig(mode="class", forget_class=5), eval_size=eval_size)
    expected = {"forget_train": ("train", split.forget_train),
                "forget_test": ("test", split.forget_test),
                "remain_test": ("test", split.remain_test)}
    assert set(split.eval_sets) == set(expected)
    for key, (source, parent) in expected.items():
        subset = split.eval_sets[key]
        assert subset.source == source, key
        assert len(subset.indices) == min(eval_size, len(parent)), key
        assert_index_array(subset.indices, len(digits.train_y) if source == "train" else len(digits.test_y))
        assert_subset(subset.indices, parent)


def test_eval_size_default(digits):
    split = make_split(digits, ForgetConfig(mode="class", forget_class=5))
    assert len(split.eval_sets["remain_test"].indices) == min(EVAL_SIZE, len(split.remain_test))


def test_class_mode_probe_puts_forget_samples_first(digits):
    split = make_split(digits, ForgetConfig(mode="class", forget_class=5), probe_size=50)
    n_forget = 50 // 5
    assert len(split.probe) == len(split.probe_is_forget) == 50
    assert split.probe_is_forget.dtype == bool
    assert split.probe_is_forget[:n_forget].all() and not split.probe_is_forget[n_forget:].any()
    assert_subset(split.probe[:n_forget], split.forget_train)
    assert_subset(split.probe[n_forget:], split.remain_train)
    assert len(np.unique(split.probe)) == 50
    assert split.probe.dtype == np.int64


def test_probe_default_size_caps_at_training_set(digits):
    split = make_split(digits, ForgetConfig(mode="class", forget_class=5))
    assert len(split.probe) == min(PROBE_SIZE, len(digits.train_y))
    assert split.probe_is_forget.sum() == min(len(split.forget_train), PROBE_SIZE // 5)


def test_class_mode_is_reproducible(digits):
    cfg = ForgetConfig(mode="class", forget_class=3, seed=4)
    assert same_split(make_split(digits, cfg, eval_size=30), make_split(digits, cfg, eval_size=30))


# --- sample mode -----------------------------------------------------------------------------------------

def test_sample_mode_draws_count_by_seed(digits):
    n_train, n_test = len(digits.train_y), len(digits.test_y)
    split = make_split(digits, ForgetConfig(mode="sample", count=100, seed=0), eval_size=40)
    assert split.mode == "sample" and split.forget_class is None
    assert len(split.forget_train) == 100
    assert_index_array(split.forget_train, n_train)
    assert_index_array(split.remain_train, n_train)
    assert np.array_equal(np.union1d(split.forget_train, split.remain_train), np.arange(n_train))
    assert len(split.remain_train) == n_train - 100
    assert len(split.forget_test) == 0
    assert np.array_equal(split.remain_test, np.arange(n_test))

    assert same_split(split, make_split(digits, ForgetConfig(mode="sample", count=100, seed=0), eval_size=40))
    other = make_split(digits, ForgetConfig(mode="sample", count=100, seed=1), eval_size=40)
    assert not np.array_equal(other.forget_train, split.forget_train)


def test_sample_mode_eval_sets(digits):
    split = make_split(digits, ForgetConfig(mode="sample", count=30, seed=2), eval_size=40)
    assert set(split.eval_sets) == {"forget_train", "test"}
    forget, test = split.eval_sets["forget_train"], split.eval_sets["test"]
    assert forget.source == "train" and test.source == "test"
    assert np.array_equal(forget.indices, split.forget_train)  # 30 < 40: the whole forget set
    assert len(test.indices) == 40
    assert_index_array(test.indices, len(digits.test_y))


def test_sample_mode_probe_with_a_small_forget_set(digits):
    split = make_split(digits, ForgetConfig(mode="sample", count=3, seed=0), probe_size=50)
    assert split.probe_is_forget.tolist() == [True] * 3 + [False] * 47
    assert np.array_equal(split.probe[:3], split.forget_train)
    assert_subset(split.probe[3:], split.remain_train)


def test_explicit_indices_are_honoured_and_deduplicated(digits):
    last = len(digits.train_y) - 1
    cfg = ForgetConfig(mode="sample", count=100, indices=(7, 3, 3, last, 7, 0))
    split = make_split(digits, cfg)
    assert split.forget_train.tolist() == [0, 3, 7, last]  # indices override count
    assert split.forget_train.dtype == np.int64
    assert len(split.remain_train) == len(digits.train_y) - 4
    assert not np.isin(split.remain_train, split.forget_train).any()


# --- bad input ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [-1, 10])
def test_class_out_of_range(digits, cls):
    message = user_error(digits, ForgetConfig(mode="class", forget_class=cls))
    # below 0 the setting's own bound says so; above, the dataset's classes do
    assert str(cls) in message and ("0..9" in message if cls > 0 else ">= 0" in message)


def test_count_zero(digits):
    message = user_error(digits, ForgetConfig(mode="sample", count=0))
    assert "forget-count" in message and ">= 1, got 0" in message


@pytest.mark.parametrize("extra", [0, 1])
def test_count_whole_training_set(digits, extra):
    n_train = len(digits.train_y)
    message = user_error(digits, ForgetConfig(mode="sample", count=n_train + extra))
    assert str(n_train - 1) in message


@pytest.mark.parametrize("bad", [-1, "n"])
def test_index_out_of_range(digits, bad):
    n_train = len(digits.train_y)
    index = n_train if bad == "n" else bad
    message = user_error(digits, ForgetConfig(mode="sample", indices=(0, index, 5)))
    assert str(index) in message and (f"0..{n_train - 1}" in message if index > 0 else "from 0" in message)


def test_indices_covering_the_whole_training_set(digits):
    n_train = len(digits.train_y)
    message = user_error(digits, ForgetConfig(mode="sample", indices=tuple(range(n_train)) + (0, 1)))
    assert str(n_train) in message


def test_unknown_mode(digits):
    message = user_error(digits, ForgetConfig(mode="classes"))
    assert "classes" in message and "class" in message and "sample" in message


def _without_class(data: ImageData, cls: int) -> ImageData:
    keep = data.train_y != cls
    return ImageData(name="digits-without-5", train_x=data.train_x[keep], train_y=data.train_y[keep],
                     test_x=data.test_x, test_y=data.test_y, class_names=data.class_names,
                     mean=data.mean, std=data.std)


def test_class_without_training_samples(digits):
    # A class with no training images (an empty class folder) leaves nothing to forget.
    message = user_error(_without_class(digits, 5), ForgetConfig(mode="class", forget_class=5))
    assert "non-empty" in message
    make_split(_without_class(digits, 5), ForgetConfig(mode="class", forget_class=4))


def test_class_that_is_the_whole_training_set(digits):
    only = digits.train_y == 5
    data = ImageData(name="one-class", train_x=digits.train_x[only], train_y=digits.train_y[only],
                     test_x=digits.test_x, test_y=digits.test_y, class_names=digits.class_names,
                     mean=digits.mean, std=digits.std)
    assert "non-empty" in user_error(data, ForgetConfig(mode="class", forget_class=5))
