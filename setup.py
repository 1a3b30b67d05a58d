"""Maps the card's top-level folders into the `cairn` import namespace.

The design card keeps `server/`, `memory/` and `skills/` at the top of the repository, but an
installed wheel must not put generic names such as `server` or `memory` on sys.path. setuptools'
`package_dir` maps `cairn.server` -> `server/` (and so on); this file lists every sub-package so
new folders are picked up without editing a hand-kept list. Metadata lives in pyproject.toml.
"""

from setuptools import find_packages, setup

ROOTS = {
    "cairn": "cairn",
    "cairn.server": "server",
    "cairn.memory": "memory",
    "cairn.skills": "skills",
}

packages: list[str] = []
for name, folder in ROOTS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(
    packages=packages,
    package_dir=ROOTS,
    package_data={
        "cairn.server": ["agent/prompts/*.md", "agent/prompts/actions/*.md"],
        "cairn.memory": ["migrations/*.sql", "prompts/*.md"],
        "cairn.skills": [
            "library/*/SKILL.md",
            "library/*/references/*",
            "optimize/tasks/*.jsonl",
            "optimize/tasks/*/SKILL.md",
            "optimize/prompts/*.md",
        ],
    },
)
