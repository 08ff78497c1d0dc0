"""The map format's version, apart from the builders so that a reuse check needs no parser.

Written to ``snapshots.parser_version``: a snapshot made with another version is mapped
again instead of reused.
"""

#: 3: external dependencies of other languages carry their ecosystem; 4: calls, overloads and
#: package-wide imports of the tree-sitter languages, Node's built-in modules as ``ext:node:``;
#: 5: import edges carry where their statements stand (attrs.context/contexts); Python module
#: names by the import rules, calls and bases through re-exports.
MAP_VERSION = 5
