"""The typed-class back end: one class plan, built as attrs classes or written as source.

`plan` lays out classes and attributes from the model, `settings_types` gives each field
its Python type, `converters` structure and unstructure values, `attrs_classes` makes
the classes at run time and `codegen` writes their source.
"""
