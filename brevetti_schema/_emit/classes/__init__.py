"""The typed-class back end: one class plan, built as attrs classes or written as source.

`plan` lays out classes and attributes from the model, `settings_types` gives each field
its Python type, `values` holds a plain value as that type, `attrs_classes` makes the
classes at run time, `converters` (cattrs) and `conversion` structure and unstructure
settings objects, and `codegen` writes their source.
"""
