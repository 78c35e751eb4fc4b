"""Authoring front ends: each reads one way of declaring settings and builds the model.

The fluent builder, class-first (attrs, pydantic), the YAML/JSON format, the platform
UI JSON loader, and `load_schema`, which picks one by its input.
"""
