"""A disk cache of sentence vectors for benchmark re-runs (never used by the product).

``memory_external.py --vector-cache FILE`` wraps the encoder in :class:`CachedEncoder`: a text
already encoded by the same model is read back instead of encoded again, so a second run of
a change that does not touch what is embedded costs minutes, not the encoder's 40. The vectors
are the encoder's own output, byte for byte; the file is keyed by the model id and each text's
sha256, so a different encoder never reads another's vectors.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import Any

from cairn.memory.ports import SentenceEncoder


class CachedEncoder:
    """``inner`` with its vectors kept in the SQLite file ``path`` (thread-safe)."""

    def __init__(self, inner: SentenceEncoder, path: Path) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors "
            "(model TEXT, digest TEXT, vector BLOB, PRIMARY KEY (model, digest))"
        )

    def encode(self, texts: list[str]) -> Any:
        import numpy as np

        digests = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
        out: Any = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            known = {}
            for start in range(0, len(digests), 500):
                chunk = digests[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT digest, vector FROM vectors WHERE model = ? AND digest IN ({marks})",
                    (self.model_id, *chunk),
                )
                known.update({digest: blob for digest, blob in rows})
        missing = [i for i, digest in enumerate(digests) if digest not in known]
        for i, digest in enumerate(digests):
            if digest in known:
                out[i] = np.frombuffer(known[digest], dtype=np.float32)
        if missing:
            fresh = self.inner.encode([texts[i] for i in missing])
            out[missing] = fresh
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                    [
                        (self.model_id, digests[i], fresh[row].astype(np.float32).tobytes())
                        for row, i in enumerate(missing)
                    ],
                )
                self._db.commit()
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        return out
