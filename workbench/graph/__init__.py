"""Query service over snapshot maps (networkx graphs): lookup, traversals, views, diffs, contracts.

Works on the ``MultiDiGraph`` of one snapshot (see :mod:`workbench.domain` for ids, kinds and
attributes); it never touches the database. Depends on networkx, numpy, pandas and scipy.
"""
