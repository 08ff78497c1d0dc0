"""contains(): Arrow's is_in for string membership, equal to pandas' isin on every input kind."""

import numpy as np
import pandas as pd
import pytest

from workbench.membership import contains


@pytest.mark.parametrize("strings", [
    pd.Series(["a", "b", None, "c", "a"]),
    pd.Index(["a", "b", None, "c", "a"]),
    np.array(["a", "b", None, "c", "a"], dtype=object),
    ["a", "b", None, "c", "a"],
])
@pytest.mark.parametrize("candidates", [{"a", "c"}, ["c"], pd.Series(["b", "zz"]), set(), {"a": 1}])
def test_same_answer_as_pandas_isin(strings, candidates):
    expected = pd.Series(strings).isin(list(candidates)).to_numpy() & pd.Series(strings).notna().to_numpy()
    got = contains(strings, candidates)
    assert got.dtype == bool and got.tolist() == expected.tolist()


def test_empty_and_all_missing_inputs():
    assert contains([], ["a"]).tolist() == []
    assert contains(pd.Series([None, np.nan]), ["a"]).tolist() == [False, False]
    assert contains(pd.Series(["a"]), [None]).tolist() == [False]


def test_large_inputs_agree_with_a_python_set():
    paths = [f"pkg{i % 97}/mod{i}.py" for i in range(50_000)]
    wanted = {f"pkg{i % 97}/mod{i}.py" for i in range(0, 120_000, 3)}
    assert contains(pd.Series(paths), wanted).tolist() == [p in wanted for p in paths]


def test_positions_are_what_a_pandas_index_gives():
    from workbench.membership import positions

    candidates = ["c", "a", "b", "a"]  # the first "a" counts
    strings = pd.Series(["a", "zz", None, "b", "c", "a"])
    index = pd.Index(candidates[:3])
    expected = [index.get_loc(s) if isinstance(s, str) and s in index else -1 for s in strings]
    got = positions(strings, candidates)
    assert got.dtype == np.int64 and got.tolist() == expected
    assert positions([], ["a"]).tolist() == [] and positions(["a"], []).tolist() == [-1]
