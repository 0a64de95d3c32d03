"""The core works without a terminal: importing it never loads Textual."""

import subprocess
import sys


def test_core_does_not_import_textual() -> None:
    code = (
        "import sys, reader.core, reader.core.library, reader.core.split, "
        "reader.core.convert, reader.core.importer, reader.core.store; "
        "print('textual' in sys.modules, 'rich' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_cli_startup_does_not_import_textual_for_subcommands() -> None:
    code = "import sys, reader.cli; print('textual' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
