"""Back ends: each reads only the model (and the kinds) and writes one artefact.

Platform UI JSON, JSON Schema, the YAML format's schema and dump, defaults documents,
and in `classes/` the typed classes (attrs at run time, Python source).
"""
