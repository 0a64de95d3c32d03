"""Untrusted text loses escape and control characters; only safe links open."""

import pytest

from reader.core.safety import is_openable_url, printable


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain title", "plain title"),
        ("[/]", "[/]"),
        ("[@click=app.quit]", "[@click=app.quit]"),
        ("clip\x1b]52;c;ZXZpbA==\x07board", "clipboard"),
        ("title\x1b]0;owned\x1b\\ bar", "title bar"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("link \x1b]8;;http://evil/\x1b\\text\x1b]8;;\x1b\\", "link text"),
        ("bell\x07 and nul\x00", "bell and nul"),
        ("rtl \u202eevil\u202c", "rtl evil"),
        ("zero\u200bwidth", "zerowidth"),
        ("two\nlines\tand tab", "two lines and tab"),
        ("c1 \x9b31m csi", "c1  csi"),
        ("开源 mixed 中文", "开源 mixed 中文"),
    ],
)
def test_printable_removes_what_could_drive_the_terminal(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_printable_keeps_paragraphs_when_asked() -> None:
    body = "first\r\nsecond\x1b[2J\n\nthird\x07"
    assert printable(body, keep_newlines=True) == "first\nsecond\n\nthird"


@pytest.mark.parametrize(
    ("url", "openable"),
    [
        ("https://example.com/a", True),
        ("http://example.com", True),
        ("mailto:editor@example.com", True),
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
        ("data:text/html,<b>x</b>", False),
        ("/relative/path", False),
        ("https://exa mple.com", False),
        ("https://example.com/\x1b]52;c;x\x07", False),
        ("", False),
        (None, False),
        ("https://", False),
    ],
)
def test_only_web_and_mail_links_open(url: str | None, openable: bool) -> None:
    assert is_openable_url(url) is openable
