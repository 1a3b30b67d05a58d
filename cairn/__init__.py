"""Cairn: a language server that hosts a coding agent with durable workspace memory."""

__version__ = "0.1.0"
