"""Tests of e-mail import: the shared corpus, hand-built messages and an mbox."""

from __future__ import annotations

import base64
import mailbox
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest

import reader.core.email as email_import
from reader.core.email import parse_mbox, parse_message
from reader.core.errors import InputError
from reader.core.model import ParsedIssue

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "email"
CORPUS_FILES = sorted(CORPUS.rglob("*.eml")) if CORPUS.exists() else []


def _corpus_file(name: str) -> Path:
    matches = [path for path in CORPUS_FILES if path.name == name]
    if not matches:
        pytest.skip(f"corpus file {name} not available")
    return matches[0]


def _all_bodies(issue: ParsedIssue) -> str:
    return "\n".join(item.body for section in issue.sections for item in section.items)


def _message(**headers: str) -> EmailMessage:
    message = EmailMessage()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


# --- the shared corpus ----------------------------------------------------------


@pytest.mark.skipif(not CORPUS_FILES, reason="shared e-mail corpus not available")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: str(path.relative_to(CORPUS)))
def test_corpus_message_imports(path: Path) -> None:
    issue = parse_message(path.read_bytes(), file=str(path))
    assert issue.title.strip()
    assert issue.file == str(path)
    assert len(issue.sections) >= 1
    assert all(len(section.items) >= 1 for section in issue.sections)
    assert issue.date is None or issue.date.tzinfo is not None
    assert issue.key


def test_corpus_has_every_expected_file() -> None:
    if not CORPUS_FILES:
        pytest.skip("shared e-mail corpus not available")
    assert len(CORPUS_FILES) == 15


def test_nodemailer_subject_is_decoded() -> None:
    issue = parse_message(_corpus_file("nodemailer.eml").read_bytes())
    assert issue.title == "Nodemailer is unicode friendly ✔ (1476358788189)"
    assert issue.date == datetime(2016, 10, 13, 11, 39, 48, tzinfo=UTC)
    assert issue.key == "012d606e-3550-2d94-b566-6cd996de88e3@kreata.ee"
    body = _all_bodies(issue)
    # The HTML alternative is used; the attached notes.txt is not.
    assert "Hello" in body and "nyan cat" in body
    assert "Some notes about this e-mail" not in body


def test_feedbin_html_message_uses_its_html_part(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real_split_html = email_import.split_html

    def spy(html: str, **options: object) -> ParsedIssue:
        seen.append(html)
        return real_split_html(html, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(email_import, "split_html", spy)
    issue = parse_message(_corpus_file("email_html.eml").read_bytes())
    assert len(seen) == 1 and "<b class" in seen[0]
    assert issue.title == "HTML"
    assert issue.date == datetime(2021, 5, 18, 14, 17, 41, tzinfo=timezone(timedelta(hours=-7)))
    assert "HTML" in _all_bodies(issue)
    assert "**HTML**" in _all_bodies(issue)


def test_feedbin_text_message_uses_plain_text() -> None:
    issue = parse_message(_corpus_file("email_text.eml").read_bytes())
    assert issue.title == "Plain Text"
    assert "This is a plain text email." in _all_bodies(issue)
    assert issue.key == "3A8A8921-513F-4F95-AAA7-3C1DB62BB493@benubois.com"


def test_image_only_message_gets_a_placeholder_item() -> None:
    path = _corpus_file("base64encodedroot.eml")
    issue = parse_message(path.read_bytes(), file=str(path))
    assert issue.title == "base64encodedroot"
    assert "screenshot.png" in _all_bodies(issue)
    assert any("no readable text" in warning for warning in issue.warnings)


def test_delivery_report_reads_its_notification() -> None:
    issue = parse_message(_corpus_file("delivery-status.eml").read_bytes())
    body = _all_bodies(issue)
    assert "An error occurred while trying to deliver" in body
    assert "Reporting-MTA" not in body


# --- headers --------------------------------------------------------------------------


def test_archived_at_gives_the_url() -> None:
    message = _message(Subject="Issue 3", Archived_At="<https://news.example.org/3>")
    message.set_content("Hello.\n")
    assert parse_message(message.as_bytes()).url == "https://news.example.org/3"


def test_list_post_web_link_gives_the_url_but_mailto_does_not() -> None:
    web = _message(Subject="Issue 4", List_Post="<https://letter.example.com/p/issue-4>")
    web.set_content("Hello.\n")
    assert parse_message(web.as_bytes()).url == "https://letter.example.com/p/issue-4"
    mail = _message(Subject="Issue 5", List_Post="<mailto:list@example.com>")
    mail.set_content("Hello.\n")
    assert parse_message(mail.as_bytes()).url is None


def test_view_in_browser_link_in_html_gives_the_url() -> None:
    message = _message(Subject="Weekly")
    message.set_content("Plain version.\n")
    message.add_alternative(
        '<p><a href="https://ex.org/unsub">Unsubscribe</a> · '
        '<a href="https://ex.org/web/42">View this email in your browser</a></p>'
        "<h2>News</h2><p>Something happened this week.</p>",
        subtype="html",
    )
    assert parse_message(message.as_bytes()).url == "https://ex.org/web/42"


def test_view_online_link_in_plain_text_gives_the_url() -> None:
    message = _message(Subject="Weekly")
    message.set_content("在浏览器中查看:\nhttps://ex.org/web/7\n\nHello readers.\n")
    assert parse_message(message.as_bytes()).url == "https://ex.org/web/7"


def test_no_url_when_nothing_names_one() -> None:
    message = _message(Subject="Plain")
    message.set_content("See https://ex.org/some/article for more.\n")
    assert parse_message(message.as_bytes()).url is None


def test_date_without_zone_is_utc_and_bad_date_warns() -> None:
    message = _message(Subject="a", Date="Mon, 10 Oct 2022 01:37:22 -0000")
    message.set_content("Body.\n")
    assert parse_message(message.as_bytes()).date == datetime(2022, 10, 10, 1, 37, 22, tzinfo=UTC)
    raw = b"Subject: b\r\nDate: the day after tomorrow\r\n\r\nBody.\r\n"
    issue = parse_message(raw)
    assert issue.date is None
    assert any("Date" in warning for warning in issue.warnings)


def test_raw_utf8_subject_and_missing_subject() -> None:
    raw = "Subject: 本周精选 №7\nFrom: a@example.com\n\nBody text.\n".encode()
    assert parse_message(raw).title == "本周精选 №7"
    untitled = parse_message(b"From: a@example.com\n\nBody text.\n")
    assert untitled.title == email_import.NO_SUBJECT_TITLE


def test_broken_encoded_word_subject_is_kept_raw() -> None:
    issue = parse_message(b"Subject: News =?utf-8?b?abcde?=\nFrom: a@example.com\n\nBody.\n")
    assert issue.title == "News =?utf-8?b?abcde?="


def test_message_without_id_gets_a_stable_content_key() -> None:
    raw = b"From: a@example.com\nSubject: x\n\nBody.\n"
    first, second = parse_message(raw), parse_message(raw)
    assert first.key is not None and first.key.startswith("sha1:")
    assert first.key == second.key
    assert parse_message(raw + b"more\n").key != first.key


# --- bodies ----------------------------------------------------------------------------


def test_base64_html_root_part() -> None:
    html = "<h1>Digest</h1><h2>Tools</h2><p>Ein Würfel fällt.</p>".encode()
    raw = (
        b"From: a@example.com\nSubject: Digest\nMIME-Version: 1.0\n"
        b"Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(html)
    )
    issue = parse_message(raw)
    assert issue.title == "Digest"
    assert "Ein Würfel fällt." in _all_bodies(issue)


def test_wrongly_declared_charsets_are_decoded() -> None:
    utf8_as_ascii = (
        b"Subject: x\nContent-Type: text/plain; charset=us-ascii\n\n"
        + "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e.\n".encode()
    )
    assert "Café crème brûlée." in _all_bodies(parse_message(utf8_as_ascii))
    unknown = (
        b"Subject: x\nContent-Type: text/plain; charset=x-no-such-charset\n\n"
        + "Ünïcödé text.\n".encode()
    )
    assert "Ünïcödé text." in _all_bodies(parse_message(unknown))
    chinese = "今天我们聊一聊城市里的立体农场，以及它们如何改变蔬菜的供应方式。" * 4
    gbk_as_utf8 = b"Subject: x\nContent-Type: text/plain; charset=utf-8\n\n" + chinese.encode(
        "gb18030"
    )
    assert "立体农场" in _all_bodies(parse_message(gbk_as_utf8))
    gb2312_superset = (
        b"Subject: x\nContent-Type: text/plain; charset=gb2312\n\n"
        + "朱镕基访问了这座城市。".encode("gb18030")
    )
    assert "朱镕基" in _all_bodies(parse_message(gb2312_superset))


def test_nested_message_body_is_used_when_the_outer_has_none() -> None:
    inner = _message(Subject="Original")
    inner.set_content("<h2>Inside</h2><p>The forwarded newsletter text.</p>", subtype="html")
    outer = _message(Subject="Fwd: Original")
    outer.make_mixed()
    outer.attach(inner)  # type: ignore[arg-type]
    issue = parse_message(outer.as_bytes())
    assert issue.title == "Fwd: Original"
    assert "The forwarded newsletter text." in _all_bodies(issue)


def test_attachments_are_not_bodies() -> None:
    message = _message(Subject="With attachment")
    message.set_content("The real body.\n")
    message.add_attachment(b"Secret notes", maintype="text", subtype="plain", filename="n.txt")
    body = _all_bodies(parse_message(message.as_bytes()))
    assert "The real body." in body
    assert "Secret notes" not in body


def test_html_with_sections_splits_into_items() -> None:
    message = _message(Subject="Weekly 9")
    message.set_content(
        "<h2>Tools</h2><ul>"
        '<li><a href="https://ex.org/a">Tool A</a> - does one thing well</li>'
        '<li><a href="https://ex.org/b">Tool B</a> - does another thing</li>'
        "</ul><h2>Reading</h2><p>A long essay about parsers and why they break.</p>",
        subtype="html",
    )
    issue = parse_message(message.as_bytes())
    assert issue.title == "Weekly 9"
    assert issue.item_count >= 2


# --- malformed input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n\n",
        b"\x00\x01\x02binary\x00data",
        b"just some words\nwithout any headers at all\n",
        b"Title: a markdown file\n\nnot mail\n",
    ],
)
def test_malformed_input_raises_input_error(data: bytes) -> None:
    with pytest.raises(InputError):
        parse_message(data)


def test_deeply_nested_message_does_not_crash() -> None:
    depth = 3000
    parts = [b"From: a@example.com\nSubject: deep\n"]
    for level in range(depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{level}"\n\n--b{level}\n'.encode())
    parts.append(b"Content-Type: text/plain\n\nbottom\n")
    try:
        issue = parse_message(b"".join(parts))
    except InputError as error:
        assert "nested too deeply" in str(error)
        return
    assert issue.item_count >= 1


# --- mbox ---------------------------------------------------------------------------------


def test_mbox_yields_one_issue_per_message_and_skips_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "letters.mbox"
    box = mailbox.mbox(path)
    for number in (1, 2, 3):
        message = _message(
            Subject=f"Letter {number}",
            From="editor@example.com",
            Message_ID=f"<letter-{number}@example.com>",
            Date=f"Mon, 0{number} Sep 2025 08:00:00 +0200",
        )
        message.set_content(f"Dear reader, this is letter number {number}.\n")
        box.add(message)
    box.add(b"no headers here, only words\n")
    box.flush()
    box.close()

    errors: list[str] = []
    issues = list(parse_mbox(path, errors=errors))
    assert [issue.title for issue in issues] == ["Letter 1", "Letter 2", "Letter 3"]
    assert [issue.key for issue in issues] == [f"letter-{n}@example.com" for n in (1, 2, 3)]
    assert all(issue.file == str(path) for issue in issues)
    assert issues[1].date == datetime(2025, 9, 2, 6, 0, tzinfo=UTC)
    assert "letter number 2" in _all_bodies(issues[1])
    assert len(errors) == 1 and errors[0].startswith("message 4:")
    # Without an errors list the bad message is skipped silently.
    assert len(list(parse_mbox(path))) == 3


def test_mbox_missing_file_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        list(parse_mbox(tmp_path / "nope.mbox"))


def test_mbox_of_plain_text_holds_no_messages(tmp_path: Path) -> None:
    path = tmp_path / "notes.mbox"
    path.write_text("These are notes, not a mailbox.\n", encoding="utf-8")
    assert list(parse_mbox(path)) == []
