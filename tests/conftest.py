"""Fixtures shared by every test folder: a private READER_HOME and the shared data."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def shared() -> Path:
    """The shared seeds and corpus beside the checkout (CI puts them there)."""
    assert SHARED.is_dir(), f"{SHARED} is missing: clone the project beside ../shared"
    return SHARED


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh READER_HOME, so no test reads or writes the user's library."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("READER_HOME", str(path))
    return path


@pytest.fixture
def run_cli(home: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `reader ARGS...` in this process; returns (exit code, stdout, stderr)."""
    from reader.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def run_json(run_cli: Callable[..., tuple[int, str, str]]) -> Callable[..., Any]:
    """Run `reader ARGS... --json` and parse what it prints; fails on a non-zero exit."""

    def run(*args: str, expect_code: int = 0) -> Any:
        code, out, err = run_cli(*args, "--json")
        assert code == expect_code, err
        return json.loads(out)

    return run
