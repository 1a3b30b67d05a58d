"""The agent's tools: typed async functions with generated schemas, confined to the workspace.

Import from the modules (`base`, `context`, `catalog`, ...); this package imports nothing so
that importing any of them stays cheap and free of side effects. See README.md.
"""
