"""The agent's two skill tools as plain typed methods (the server wraps them into tool schemas).

Progressive disclosure: the system prompt carries only ``Catalog.index_text()``; these tools
hand out a body, then a resource, only when the model asks. Errors raise :class:`SkillError`
with a message meant for the model, so it can correct the name or path and try again.
"""

from __future__ import annotations

from cairn.skills.catalog import Catalog


class SkillTools:
    """``load_skill`` and ``read_skill_resource`` bound to one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def load_skill(self, name: str) -> str:
        """Load the instructions of a skill listed in the system prompt.

        Args:
            name: The skill's name exactly as listed, e.g. "write-tests".
        """
        return self.catalog.load_skill(name)

    def read_skill_resource(self, name: str, path: str) -> str:
        """Read a file that a loaded skill's instructions refer to.

        Args:
            name: The skill's name.
            path: The file's path inside the skill folder, e.g. "references/styles.md".
        """
        return self.catalog.read_resource(name, path)
