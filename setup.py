"""Build of the optional C accelerator; everything else is configured in pyproject.toml.

The extension is optional: where it cannot be compiled, the package installs without it
and the settings fast path runs as generated Python (same results, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "brevetti_schema._speedups",
            sources=["brevetti_schema/_speedups.c"],
            optional=True,
        )
    ]
)
