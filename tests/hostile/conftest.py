"""Fixtures of the hostile suite: the misbehaving server, a secret marker file, limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.helpers import HostileServer

MARKER = b"MARKER-7f3a9c-SECRET-LOCAL-FILE"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    serving = HostileServer()
    try:
        yield serving
    finally:
        serving.close()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A local file no feed may ever read; it holds MARKER."""
    path = tmp_path / "secret" / "marker.txt"
    path.parent.mkdir()
    path.write_bytes(MARKER + b"\n")
    # The fixture is only worth something if the file really is there.
    assert path.read_bytes().startswith(MARKER)
    return path
