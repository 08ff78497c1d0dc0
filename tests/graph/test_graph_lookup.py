import pickle

import pytest
from conftest import make_graph

from workbench.graph.errors import AmbiguousNode, NodeNotFound
from workbench.graph.lookup import MAX_CANDIDATES, resolve_node


@pytest.fixture
def flask():
    nodes = [
        ("flask", "package"),
        ("flask.app", "module"),
        ("flask.sansio.app", "module"),
        ("flask.app:Flask", "class"),
        ("flask.app:Flask.run", "function"),
        ("flask.sansio.app:App", "class"),
        ("flask.sansio.app:App.run", "function"),
        ("web/src/app.ts", "file"),
        ("ext:click", "external"),
    ]
    return make_graph(nodes, [])


def test_exact_id_wins(flask):
    assert resolve_node(flask, "flask.app") == "flask.app"
    assert resolve_node(flask, "ext:click") == "ext:click"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app:Flask", "flask.app:Flask"),
        ("Flask", "flask.app:Flask"),
        ("Flask.run", "flask.app:Flask.run"),
        ("sansio.app", "flask.sansio.app"),
        ("App.run", "flask.sansio.app:App.run"),
        ("src/app.ts", "web/src/app.ts"),
        ("click", "ext:click"),
    ],
)
def test_unique_suffix_on_segment_boundary(flask, name, expected):
    assert resolve_node(flask, name) == expected


def test_file_path_of_a_module(flask):
    assert resolve_node(flask, "flask/app.py") == "flask.app"


def test_suffix_must_start_on_a_boundary(flask):
    with pytest.raises(NodeNotFound) as err:
        resolve_node(flask, "lask")
    assert err.value.name == "lask"
    assert err.value.candidates == ()


def test_ambiguous_suffix_lists_candidates(flask):
    with pytest.raises(AmbiguousNode) as err:
        resolve_node(flask, "run")
    assert err.value.candidates == ("flask.app:Flask.run", "flask.sansio.app:App.run")
    with pytest.raises(AmbiguousNode) as err:
        resolve_node(flask, "app")
    assert err.value.candidates == ("flask.app", "flask.sansio.app")


def test_ambiguity_lists_at_most_ten_sorted_candidates():
    g = make_graph([(f"pkg.m{i:02d}:run", "function") for i in range(15)], [])
    with pytest.raises(AmbiguousNode) as err:
        resolve_node(g, "run")
    assert len(err.value.candidates) == MAX_CANDIDATES
    assert err.value.candidates[0] == "pkg.m00:run"
    assert err.value.candidates[-1] == "pkg.m09:run"


def test_errors_pickle_with_their_fields():
    for error in (NodeNotFound("x"), AmbiguousNode("run", ["a:run", "b:run"])):
        clone = pickle.loads(pickle.dumps(error))
        assert type(clone) is type(error)
        assert (clone.name, clone.candidates) == (error.name, error.candidates)
        assert str(clone) == str(error)


def test_index_follows_added_nodes(flask):
    assert resolve_node(flask, "Flask") == "flask.app:Flask"
    flask.add_node("other.mod:Flask", kind="class")
    with pytest.raises(AmbiguousNode):
        resolve_node(flask, "Flask")
