"""A snapshot on disk: `{train,validation,test}.parquet` and manifest.json with their hashes,
and the splits as a `datasets.DatasetDict` for TRL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from engine.training.snapshot_format import (
    COLUMNS,
    MANIFEST,
    SPLITS,
    Snapshot,
    SnapshotError,
    dumps,
    plain,
)


def content_sha256(frames: dict[str, pd.DataFrame]) -> str:
    """SHA-256 of the rows' content: canonical JSON of each row, splits in SPLITS order."""
    digest = hashlib.sha256()
    for name in SPLITS:
        frame = frames[name]
        for record in frame[COLUMNS].to_dict("records"):
            digest.update(dumps(plain(record)).encode("utf-8"))
            digest.update(b"\n")
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_snapshot(snapshot: Snapshot, folder: str | Path) -> Path:
    """Write `{train,validation,test}.parquet` and manifest.json (with file hashes) to `folder`.

    Refuses a folder that already holds a different snapshot (a frozen set is never replaced).
    """
    folder = Path(folder)
    existing = folder / MANIFEST
    if existing.is_file():
        old = json.loads(existing.read_text(encoding="utf-8")).get("sha256")
        if old != snapshot.sha256:
            raise SnapshotError(
                f"{folder} already holds another snapshot (sha256 {str(old)[:12]}…); "
                "write to a new folder"
            )
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in SPLITS:
        path = folder / f"{name}.parquet"
        snapshot.frames[name][COLUMNS].to_parquet(path, index=False)
        files[path.name] = _file_sha256(path)
    manifest = {**snapshot.manifest, "files": files}
    existing.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return folder


def load_snapshot(folder: str | Path) -> Snapshot:
    """Read a snapshot folder back; SnapshotError if a file is missing or changed since written."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise SnapshotError(f"{folder} is not a snapshot folder: {MANIFEST} is missing")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    frames = {}
    for name in SPLITS:
        file = folder / f"{name}.parquet"
        if not file.is_file():
            raise SnapshotError(f"snapshot {folder}: {file.name} is missing")
        expected = manifest.get("files", {}).get(file.name)
        if expected != _file_sha256(file):
            raise SnapshotError(
                f"snapshot {folder}: {file.name} was changed after it was written "
                "(its sha256 differs from manifest.json); rebuild the snapshot"
            )
        frame = pd.read_parquet(file)
        frame["prompt"] = [[dict(m) for m in p] for p in frame["prompt"]]
        frames[name] = frame[COLUMNS]
    sha = content_sha256(frames)
    if sha != manifest.get("sha256"):
        raise SnapshotError(
            f"snapshot {folder}: the rows' hash {sha[:12]}… differs from manifest.json's "
            f"{str(manifest.get('sha256'))[:12]}…; rebuild the snapshot"
        )
    return Snapshot(frames, manifest, sha)


def to_hf_datasets(snapshot: Snapshot):
    """A `datasets.DatasetDict` (train, validation, test) for TRL: `prompt` as a list of messages."""
    from datasets import Dataset, DatasetDict, Features, List, Value

    string, integer = Value("string"), Value("int64")
    features = Features(
        {
            **{c: string for c in COLUMNS},
            "prompt": List({"role": string, "content": string}),
            "expert_grade": integer,
            "reference_grade": integer,
            "methodology_version": integer,
            "sample_weight": Value("float64"),
        }
    )
    out = {}
    for name in SPLITS:
        frame = snapshot.frames[name]
        columns = {c: [plain(v) for v in frame[c]] for c in COLUMNS}
        out[name] = Dataset.from_dict(columns, features=features)
    return DatasetDict(out)
