"""Code areas of an idea: the nodes of a map its words name, found by search and by the map.

Two finders, merged:

* ``search`` (optional): a callable ``search(query, k) -> DataFrame`` with at least the
  column ``node``, best hit first (and ``bm25`` and ``text`` where it has them) -- the
  facade's hybrid search (BM25 and vectors fused, graph re-ranked) for the project's snapshot;
* the map itself: each definition, module and file is scored by the idea's keywords that
  occur in its qualified name, weighted by inverse document frequency over the map's names
  (the idf of Spärck Jones 1972), a match in the node's own name counting three times one in
  the names of its module or package.

**Evidence.** Either finder ranks whatever shares a word with the idea, and ranks are
relative: the best of unrelated nodes is still the best. So a node becomes a code area only
on evidence that the idea is about it (:func:`evidence`), as a user would check it by eye:

* the idea names it: spells its name as code (``cancel_order``, ``PaymentGateway``, a name in
  backticks) or gives its file path or node id (``shop/orders.py``, ``shop.orders:Basket``);
* or at least :data:`MIN_WORDS` distinct words of the idea meet in it, one of them in its own
  name (the function, class, module or file), the others in its name below its package
  (its module and class), in the names it uses (what it imports, calls or inherits) or in
  its search passage;
* or at least :data:`MIN_PASSAGE_WORDS` distinct words of the idea meet in it with none in
  its own name (a passage that speaks of the idea at some length).

One shared word is chance, not evidence: "settings" of an idea about a mobile app's dark mode
in a docstring that mentions a setting, or "app" in a module named ``app``. An idea with no
such node gets no code areas, and its spec says so and asks for the code to be named.
The words of the idea are those of its prose: a path or node id it gives names code
outright and is no source of keywords (``src/attr/_make.py`` would make every node of the
package ``attr`` hold the word ``attr``).

Each area is the best node of one file, with its impact set (:meth:`Snapshot.impact`: what
depends on it, transitively) summarised to file-level nodes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Callable, Iterable

import pandas as pd

from ..domain import FILE_KINDS, CodeArea, NodeKind
from ..search.tokens import normalise as _prose
from ..snapshot import Snapshot

#: Kinds of nodes a code area can be.
AREA_KINDS = frozenset({NodeKind.MODULE.value, NodeKind.FILE.value, NodeKind.CLASS.value,
                        NodeKind.FUNCTION.value})
#: At most this many dependents are kept on an area (``impact_count`` counts them all).
IMPACT_LISTED = 20
#: Share of an area's score that comes from names in the map (the rest: search rank).
MAP_WEIGHT = 0.6
#: How much more a word of the idea's title counts than a word of its text only.
TITLE_WEIGHT = 1.5
#: Distinct words of an idea that must meet in a node, one in its own name, to make it an area.
MIN_WORDS = 2
#: Distinct words of an idea that must meet in a node with none in its own name.
MIN_PASSAGE_WORDS = 3
#: Edges whose target's name is a name a node uses (its code spells it).
USES_KINDS = ("imports", "calls", "inherits")

_STOPWORDS = frozenset("""
a about above after again all also an and any are as at be because been before being below
between both but by can could did do does doing done down during each even every few for from
further get gets had has have having he her here hers how i if in into is it its itself just
let like make makes made may me more most must my new no nor not now of off on once only or
other our out over own please same she should so some such than that the their them then there
these they this those through to too under until up upon us use used using very want wants was
we were what when where which while who whom why will with without would you your add adds
added support supports allow allows need needs needed way ways work works able when also
""".split())

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def normalise(word: str) -> str:
    """Lower case, in the form search gives prose words (:func:`workbench.search.tokens.
    normalise`): a plural, ``-ing`` or final ``e`` taken off (``refunds`` → ``refund``,
    ``values`` and ``value`` → ``valu``, ``settings`` → ``set``), so that two spellings of one
    word count once and a word matches the names search matches it with."""
    return _prose(word.lower())


def words(text: str) -> list[str]:
    """The normalised words of ``text`` (camelCase and snake_case split), in order."""
    return [normalise(w) for w in _raw_words(text)]


def _raw_words(text: str) -> list[str]:
    return _WORD.findall(_CAMEL.sub(r"\1 \2", text or ""))


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def code_names(text: str, *, acronyms: bool = True) -> list[str]:
    """The names ``text`` spells as code, lower-cased, in order: those with an underscore, a
    digit or an inner capital (``and_``, ``get_user``, ``PaymentGateway``, ``md5``); without
    ``acronyms``, not a word of capitals alone (``API``, ``CSV``: prose as often as code)."""
    return [m.lower() for m in _NAME.findall(text or "") if len(m) > 1 and (
            "_" in m or any(c.isdigit() for c in m) or m[1:] != m[1:].lower())
            and (acronyms or not m.isalpha() or not m.isupper())]


def keywords(text: str, limit: int = 12) -> list[str]:
    """Content words of ``text``: no stop words, at least three letters, most frequent first
    (ties in order of appearance); a name spelled as code (:func:`code_names`) counts whole
    too, before the words, stop word or not (``and_`` names a function, ``and`` nothing)."""
    found = [normalise(w) for w in _raw_words(text) if w.lower() not in _STOPWORDS]
    found = [w for w in found if len(w) >= 3 and w not in _STOPWORDS]
    named = list(dict.fromkeys(code_names(text)))
    counts = Counter(found)
    order = {w: i for i, w in reversed(list(enumerate(found)))}
    ranked = sorted(counts, key=lambda w: (-counts[w], order[w]))
    return list(dict.fromkeys([*named, *ranked]))[:limit]


def written_forms(text: str) -> dict[str, str]:
    """Each normalised word of ``text`` (:func:`normalise`) to its first spelling there, in
    lower case: what a reason shows and a search is asked for (``tables``, not ``tabl``)."""
    forms: dict[str, str] = {}
    for word in _raw_words(text):
        forms.setdefault(normalise(word), word.lower())
    return forms


def is_test_path(path: str | None) -> bool:
    if not path:
        return False
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (any(p in ("tests", "test", "__tests__", "spec") for p in parts[:-1])
            or name.startswith("test_") or name.rsplit(".", 1)[0].endswith(("_test", ".test", "_spec")))


def _own_name(node: str) -> str:
    """The last segment of a node id: ``refund`` of ``shop.pay:Gateway.refund``."""
    tail = node.split(":", 1)[1] if ":" in node else node
    return re.split(r"[./]", tail.rstrip("/"))[-1]


def _file_of(node: str) -> str:
    """The file-level node a definition belongs to (``shop.pay`` of ``shop.pay:Gateway``)."""
    return node.split(":", 1)[0]


def map_scores(nodes: pd.DataFrame, terms: list[str], *, include_tests: bool = False,
               weights: dict[str, float] | None = None) -> dict[str, float]:
    """Score of each node whose own name holds at least one of ``terms`` (see module doc);
    ``weights`` multiplies a term's idf (1 when not given)."""
    if not terms or nodes.empty:
        return {}
    frame = nodes[nodes["kind"].isin(AREA_KINDS)]
    if not include_tests:
        frame = frame[~frame["path"].map(is_test_path)]
    ids = frame["id"].tolist()
    names = [_own_name(n) for n in ids]  # whole too: ``and_`` is matched as ``and_``
    own = [{*words(name), name.lower()} for name in names]
    context = [{*words(n), name.lower()} for n, name in zip(ids, names)]
    wanted = set(terms)
    df = Counter(w for ws in context for w in ws & wanted)
    total = max(1, len(ids))
    idf = {w: math.log(1 + total / df[w]) * (weights or {}).get(w, 1.0) for w in df}
    scores: dict[str, float] = {}
    for node, mine, around in zip(ids, own, context):
        hits = mine & wanted
        if not hits:
            continue
        scores[node] = sum(3 * idf[w] for w in hits) + sum(idf[w] for w in (around - mine) & wanted)
    return scores


_TICKED = re.compile(r"`([^`\s]+)`")
_PLACE = re.compile(r"[\w.\-]+(?:[/:][\w.\-]+)+|\w+(?:\.\w+)+")


def named_nodes(nodes: pd.DataFrame, text: str) -> set[str]:
    """The nodes ``text`` names outright: by a name spelled as code (:func:`code_names`, an
    acronym such as ``API`` aside) or in backticks that is a node's own name, or by a node id
    or file path as the map writes it (``shop.orders:cancel_order``, ``shop/orders.py``,
    ``./shop/orders.py``)."""
    if nodes.empty or not text:
        return set()
    spelled = set(code_names(text, acronyms=False)) | {t.lower() for t in _TICKED.findall(text)}
    places = {p.strip(".,;:()'\"").removeprefix("./")
              for p in (*_PLACE.findall(text), *_TICKED.findall(text))}
    places.discard("")
    found = set()
    for node, kind, path in nodes[["id", "kind", "path"]].itertuples(index=False):
        if node in places or _own_name(node).lower() in spelled or (
                kind in FILE_KINDS and isinstance(path, str) and path in places):
            found.add(node)
    return found


def evidence(node: str, terms: Iterable[str], *, uses: Iterable[str] = (),
             passage: str = "") -> tuple[set[str], set[str]]:
    """The words of ``terms`` (an idea's keywords) in ``node``'s own name, and all of them
    that meet in it: in its qualified name, in the own names of the nodes it ``uses``, in its
    search ``passage`` (see the module docstring)."""
    wanted = set(terms)
    own = _own_name(node)
    mine = {*words(own), own.lower()} & wanted
    used = {w for target in uses for w in (*words(_own_name(target)),
                                           _own_name(target).lower())}
    found = mine | (set(words(_local_name(node))) | used | set(words(passage))
                    | set(code_names(passage))) & wanted
    return mine, found


def _local_name(node: str) -> str:
    """A node's name from its module's own name on (``payments:PaymentGateway.refund`` of
    ``shop.payments:PaymentGateway.refund``): the package above is every sibling's too, so
    its words tell nodes apart no more than the project's name does."""
    head, sep, tail = node.partition(":")
    return _own_name(head) + sep + tail


def is_evidence(mine: set[str], found: set[str]) -> bool:
    """Whether the idea's words that meet in a node (:func:`evidence`) make it an area."""
    return bool(mine) and len(found) >= MIN_WORDS or len(found) >= MIN_PASSAGE_WORDS


def _uses(snap: Snapshot, nodes: set[str]) -> dict[str, list[str]]:
    """What each of ``nodes`` imports, calls or inherits (:data:`USES_KINDS`)."""
    if not nodes:
        return {}
    edges = snap.edges
    edges = edges[edges["kind"].isin(USES_KINDS) & edges["src"].isin(nodes)]
    uses: dict[str, list[str]] = {}
    for src, dst in edges[["src", "dst"]].itertuples(index=False):
        uses.setdefault(src, []).append(dst)
    return uses


def _search_scores(search: Callable[[str, int], pd.DataFrame] | None, query: str, k: int,
                   known: set[str]) -> tuple[dict[str, float], dict[str, str]]:
    """``1 / rank`` of each node in the search hits (its best rank), and the text of its hits:
    fused scores are nearly flat over the first hits, ranks are not. A hit that no word of
    the query reached (BM25 of 0: a nearest vector only) does not count."""
    if search is None:
        return {}, {}
    frame = search(query, k)
    if frame is None or frame.empty or "node" not in frame:
        return {}, {}
    lexical = frame["bm25"].fillna(0).tolist() if "bm25" in frame else [1.0] * len(frame)
    texts = frame["text"].tolist() if "text" in frame else [""] * len(frame)
    scores: dict[str, float] = {}
    passages: dict[str, str] = {}
    rank = 0
    for node, bm25, text in zip(frame["node"].tolist(), lexical, texts):
        if bm25 <= 0 or not isinstance(node, str) or node not in known:
            continue
        passages[node] = passages.get(node, "") + "\n" + (text if isinstance(text, str) else "")
        if node not in scores:
            rank += 1
            scores[node] = 1.0 / rank
    return scores, passages


def _scaled(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values(), default=0.0)
    return {n: s / top for n, s in scores.items()} if top > 0 else {}


def find_code_areas(snap: Snapshot, text: str, *, title: str = "", search=None, limit: int = 5,
                    include_tests: bool = False, min_share: float = 0.25) -> list[CodeArea]:
    """The code areas ``title`` and ``text`` name in ``snap``, best first, at most ``limit``
    (one per file); none when nothing in the map is evidence of the idea.

    Only a node the idea names, or in which enough of its words meet (:func:`evidence`, see
    the module docstring), can be an area. Among those, a node's score is ``MAP_WEIGHT`` ×
    its map score scaled to [0, 1] plus the rest × 1/its rank among the search hits, so names
    and search must agree for a node to rank high; a node the idea names scores 1, the most
    there is. A node scoring under ``min_share`` of the best is left out. Words of the title
    weigh ``TITLE_WEIGHT`` times those of the text only. Deterministic for a given map, text
    and search result.
    """
    nodes = snap.nodes
    whole = f"{title}\n{text}"
    headline = keywords(_PLACE.sub(" ", title))  # a path or node id names code: no keywords
    terms = list(dict.fromkeys([*headline, *keywords(_PLACE.sub(" ", whole))]))
    weights = {w: TITLE_WEIGHT for w in headline}
    known = set(nodes["id"].tolist())
    named = named_nodes(nodes, whole)
    spelled = written_forms(whole)

    def said_as(found: Iterable[str]) -> str:
        return ", ".join(sorted({spelled.get(w, w) for w in found}))

    asked = " ".join(dict.fromkeys(spelled.get(w, w) for w in terms))
    shown = " ".join(dict.fromkeys(spelled.get(w, w) for w in terms[:6]))  # in the reasons
    searched, passages = _search_scores(search, asked or text, 4 * limit, known)
    mapped = _scaled(map_scores(nodes, terms, include_tests=include_tests, weights=weights))
    info = nodes.set_index("id")
    candidates = {n for n in set(searched) | set(mapped) | named
                  if info.at[n, "kind"] in AREA_KINDS
                  and (include_tests or n in named or not is_test_path(info.at[n, "path"]))}
    uses = _uses(snap, candidates)
    combined: dict[str, tuple[float, str, set[str]]] = {}
    for node in candidates:
        mine, found = evidence(node, terms, uses=uses.get(node, ()),
                               passage=passages.get(node, ""))
        if node not in named and not is_evidence(mine, found):
            continue  # a word or two shared by chance
        s, m = (1 - MAP_WEIGHT) * searched.get(node, 0.0), MAP_WEIGHT * mapped.get(node, 0.0)
        how = "search+map" if s and m else "search" if s else "map"
        combined[node] = (1.0, "named", found) if node in named else (s + m, how, found)
    best = max((s for s, _, _ in combined.values()), default=0.0)
    # best first; of the nodes an idea names in one file, a definition before the file
    ranked = sorted(combined.items(), key=lambda kv: (
        -kv[1][0], kv[1][1] == "named" and info.at[kv[0], "kind"] in FILE_KINDS, len(kv[0]),
        kv[0]))
    areas: list[CodeArea] = []
    files: set[str] = set()
    for node, (score, how, found) in ranked:
        if score < min_share * best or _file_of(node) in files:
            continue
        files.add(_file_of(node))
        matched = sorted({*words(node), _own_name(node).lower()} & set(terms))
        said = ["the idea names it"] if how == "named" else []
        if node in mapped:
            said.append(f"its name holds {said_as(matched)}")
        if node in searched:
            said.append(f"search hit #{round(1 / searched[node])} for {shown!r}")
        if found:
            said.append(f"the idea's words that meet in it: {said_as(found)}")
        areas.append(area_with_impact(snap, node, score=round(score, 4), found_by=how,
                                      reason="; ".join(said), info=info))
        if len(areas) >= limit:
            break
    return areas


def how_to_name_code(snap: Snapshot) -> str:
    """What an idea no code was found for should do, with examples from the map: its most
    central file outside tests (by PageRank) and the first public definition in it."""
    nodes = snap.nodes
    files = nodes[nodes["kind"].isin(FILE_KINDS) & nodes["path"].notna()]
    files = files[~files["path"].map(is_test_path)]
    example = ""
    if not files.empty:
        top = files.sort_values(["pagerank", "id"], ascending=[False, True],
                                na_position="last").iloc[0]
        inside = nodes[nodes["id"].str.startswith(f"{top['id']}:")
                       & nodes["kind"].isin([NodeKind.FUNCTION.value, NodeKind.CLASS.value])]
        public = [n for n in inside.sort_values("line_start")["id"]
                  if "." not in n.split(":", 1)[1] and not _own_name(n).startswith("_")]
        example = f", such as `{top['path']}`" + (f" or `{public[0]}`" if public else "")
    return ("name the files, modules or functions to change as the code spells them"
            f"{example}, in a new idea (a name in backticks counts too); map the project "
            "again first if that code is newer than the map")


def area_with_impact(snap: Snapshot, node: str, *, score: float, found_by: str, reason: str,
                     info: pd.DataFrame | None = None) -> CodeArea:
    """A :class:`CodeArea` for ``node`` with its dependents summarised to file-level nodes."""
    if info is None:
        info = snap.nodes.set_index("id")
    row = info.loc[node]
    dependents = file_dependents(snap, node)
    return CodeArea(node=node, kind=_text(row.get("kind")), path=_text(row.get("path")),
                    line_start=_int(row.get("line_start")), line_end=_int(row.get("line_end")),
                    score=float(score), found_by=found_by, reason=reason,
                    impact_count=len(dependents), impact=tuple(dependents[:IMPACT_LISTED]))


def file_dependents(snap: Snapshot, node: str) -> list[str]:
    """File-level nodes that depend on ``node`` transitively, nearest first, its own file
    excluded."""
    frame = snap.impact(node)
    own = _file_of(node)
    seen: dict[str, int] = {}
    for dep, kind, distance in zip(frame["node"].tolist(), frame["kind"].tolist(),
                                   frame["distance"].tolist()):
        target = dep if kind in FILE_KINDS else _file_of(dep)
        if target != own and target not in seen:
            seen[target] = int(distance)
    return sorted(seen, key=lambda n: (seen[n], n))


def impact_rows(snap: Snapshot, nodes: Iterable[str], *, limit: int = 50,
                alone: Iterable[str] = ()) -> list[tuple[str, str | None, int]]:
    """``(node, kind, distance)`` of everything depending on any of ``nodes`` (nearest
    distance kept, ``nodes`` themselves excluded), at most ``limit``, nearest first.
    ``alone``: further nodes of which only what depends on the node itself counts, not on
    what it contains (a module whose own top-level lines changed, not its functions)."""
    nodes = list(nodes)
    alone = [n for n in alone if n not in nodes]
    nodes += alone
    best: dict[str, tuple[str | None, int]] = {}
    for node in nodes:
        frame = snap.impact(node, contained=node not in alone)
        for dep, kind, distance in zip(frame["node"].tolist(), frame["kind"].tolist(),
                                       frame["distance"].tolist()):
            if dep in nodes:
                continue
            if dep not in best or int(distance) < best[dep][1]:
                best[dep] = (kind, int(distance))
    ordered = sorted(best.items(), key=lambda kv: (kv[1][1], kv[0]))[:limit]
    return [(n, k, d) for n, (k, d) in ordered]


def covering_tests(snap: Snapshot, node: str) -> list[str]:
    """Test modules with a ``tests`` edge to ``node``'s file."""
    try:
        frame = snap.related(_file_of(node), kinds=["tests"], direction="in", depth=1)
    except Exception:  # noqa: BLE001 - a file-less node has no tests
        return []
    return sorted(frame["node"].tolist())


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value) -> int | None:
    try:
        return None if value is None or pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None
