"""How models travel to and from the database: a JSON header and float32/int arrays in one
`.npz` blob. No pickle: loading a model must never run code."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

_HEADER = "header"


class ModelFormatError(ValueError):
    """The bytes are not a model this code can read."""


def pack(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    header_bytes = json.dumps(header, ensure_ascii=False).encode("utf-8")
    payload: dict[str, Any] = {_HEADER: np.frombuffer(header_bytes, dtype=np.uint8), **arrays}
    np.savez_compressed(buffer, **payload)
    return buffer.getvalue()


def unpack(data: bytes, *, kind: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"not a stored model: {exc}") from exc
    header = json.loads(arrays.pop(_HEADER).tobytes().decode("utf-8"))
    if header.get("kind") != kind:
        raise ModelFormatError(f"expected a {kind} model, got {header.get('kind')!r}")
    return header, arrays
