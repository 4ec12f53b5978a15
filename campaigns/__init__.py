"""Fault campaigns: spec files (spec), the results journal (journal) and the
pytest campaign modules that run them."""
