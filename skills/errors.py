"""The one exception family of the skills package: clear messages the agent or user can act on."""

from __future__ import annotations


class SkillError(Exception):
    """Base of every error raised on purpose by cairn.skills."""


class UnknownSkillError(SkillError, LookupError):
    """No skill of that name is in the catalog."""


class ResourceError(SkillError):
    """A skill resource cannot be read: outside the skill folder, missing, too big or binary."""
