"""The map format's version, apart from the builders so that a reuse check needs no parser.

Written to ``snapshots.parser_version``: a snapshot made with another version is mapped
again instead of reused.
"""

MAP_VERSION = 3  # 3: external dependencies of other languages carry their ecosystem
