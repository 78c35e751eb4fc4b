"""The settings pipeline: raw settings in, a checked and frozen settings object out.

Transport decoding, defaults, the validator generated per schema, settings files.
"""
