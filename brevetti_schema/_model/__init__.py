"""The model: the immutable tree of sections and fields every front end builds.

Nodes, conditions and their activity, tree helpers, secrets and read-only containers.
The model imports nothing else of the package but `_errors` (not even the kinds: the
build-time checks of a declaration, which ask them, are `_kinds.checks`).
"""
