"""The model: the immutable tree of sections and fields every front end builds.

Nodes, conditions and their activity, the build-time checks, tree helpers and secrets.
The model imports no front end, back end or settings module.
"""
