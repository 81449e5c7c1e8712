"""Importing accounts and contacts from CSV and XLSX files (the CLI, the API and the UI).

`run_import()` is the engine; `jobs` runs it for an ImportJob (in the background, resumable);
`reader` and `mapping` are its first two steps, also used to preview a file.
"""
