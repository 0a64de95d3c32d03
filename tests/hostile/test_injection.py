"""Markup and terminal injection through every field the command line shows.

Feed and file text carries Rich/Textual markup, ANSI CSI and OSC sequences (OSC 52
clipboard writes, OSC 0 title changes, OSC 8 hyperlinks), 8-bit C1 controls, bidi
overrides and zero-width characters. Human output must show none of the controls
(and the markup literally); JSON output keeps the data but escapes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hostile.helpers import (
    CLIPBOARD_SECRET,
    MARKUP,
    HostileServer,
    assert_terminal_safe,
    hostile,
    json_feed,
    opml,
    plain_rss,
    rss,
    send,
    terminal_unsafe,
)

RunCli = Callable[..., tuple[int, str, str]]
FILLER = "An ordinary sentence about software releases and tools. " * 60


def run_all(run_cli: RunCli, *commands: tuple[str, ...]) -> dict[str, tuple[int, str, str]]:
    """Run each command; every human output (stdout and stderr) must be terminal-safe."""
    results = {}
    for command in commands:
        code, out, err = run_cli(*command)
        name = " ".join(command)
        assert_terminal_safe(out, what=f"stdout of `reader {name}`")
        assert_terminal_safe(err, what=f"stderr of `reader {name}`")
        results[name] = (code, out, err)
    return results


def json_of(run_cli: RunCli, *command: str) -> Any:
    """`reader COMMAND --json`: escaped for a terminal, and the data intact once parsed."""
    code, out, err = run_cli(*command, "--json")
    assert code == 0, err
    assert_terminal_safe(out, what=f"JSON of `reader {' '.join(command)}`")
    return json.loads(out)


def carries_controls(data: Any) -> bool:
    """True when parsed JSON still holds the hostile characters: stored, only escaped."""
    return bool(terminal_unsafe(json.dumps(data, ensure_ascii=False)))


def test_hostile_issue_file_shows_safely_everywhere(run_cli: RunCli, tmp_path: Path) -> None:
    text = (
        f"# {hostile('IssueTitle')}\n\n"
        f"## {hostile('SectionTitle')}\n\n"
        f"#### [{hostile('ItemTitle')}](https://example.com/item?q=\x1b]0;x\x07)\n\n"
        f"Body {hostile('BodyText')} searchable-needle. {FILLER}\n\n"
        "---\n\n"
        f"#### Second {MARKUP}\n\nSecond body with searchable-needle too. {FILLER}\n"
    )
    path = tmp_path / "issue.md"
    path.write_text(text, encoding="utf-8")
    # The fixture is hostile: escapes, C1 controls and bidi overrides are in the file.
    assert {"U+001B", "U+0007", "U+009B", "U+202E", "U+200B"} <= set(terminal_unsafe(text))

    data = json_of(run_cli, "import", str(path))
    (issue,) = data["issues"]
    item_ids = [item["id"] for section in issue["sections"] for item in section["items"]]
    assert carries_controls(issue), "the stored issue lost its hostile text: nothing was tested"

    results = run_all(
        run_cli,
        ("import", str(path)),
        ("issues",),
        ("show", issue["id"]),
        ("search", "searchable-needle"),
        ("sources",),
        ("mark", item_ids[0], "--star"),
        ("export", "markdown"),
        ("export", "markdown", *item_ids),
    )
    shown = results[f"show {issue['id']}"][1]
    assert "IssueTitle" in shown and "SectionTitle" in shown and "ItemTitle" in shown
    # Markup is shown as the text it is.
    assert "[@click=app.quit]click[/]" in shown
    search = results["search searchable-needle"][1]
    assert "BodyText" in search or "Second" in search
    assert "IssueTitle" in results["export markdown"][1]
    exported = results["export markdown " + " ".join(item_ids)][1]
    assert "ItemTitle" in exported and "BodyText" in exported
    for command in (("show", issue["id"]), ("search", "searchable-needle"), ("issues",)):
        json_of(run_cli, *command)


def test_hostile_json_feed_over_http_shows_safely_everywhere(
    run_cli: RunCli, server: HostileServer
) -> None:
    body = json_feed(
        hostile("FeedTitle"),
        [
            {
                "id": "1",
                "title": hostile("EntryTitle"),
                "url": "https://example.com/post\x1b]8;;http://evil/\x1b\\",
                "date_published": "2025-03-01T10:00:00Z",
                "content_html": (
                    f"<h2>{hostile('Heading')}</h2>"
                    f"<p>{hostile('Paragraph')} feedneedle "
                    '<a href="https://example.com/\u202egpj.exe">link</a></p>'
                    f"<h4>{hostile('Item')}</h4><p>more feedneedle text</p>"
                ),
            },
            {"id": "2", "title": "Plain", "content_text": f"Plain {hostile('Text')} feedneedle"},
        ],
    )
    title = json.loads(body)["title"]
    assert all(mark in title for mark in ("\x1b]52;", "\x1b]0;", "\x07", "\x9b", "\u202e"))
    url = server.static("/feed.json", body, headers={"Content-Type": "application/feed+json"})

    data = json_of(run_cli, "add", url)
    assert data["created"] and data["new_issues"] == 2
    issues = json_of(run_cli, "issues")["issues"]
    assert carries_controls(issues) or carries_controls(json_of(run_cli, "sources"))
    results = run_all(
        run_cli,
        ("sources",),
        ("refresh", "--force"),
        ("issues",),
        *(("show", issue["id"]) for issue in issues),
        ("search", "feedneedle"),
        ("export", "opml"),
        ("export", "markdown", "--view", "all"),
    )
    assert "FeedTitle" in results["sources"][1]
    shown = "".join(results[f"show {issue['id']}"][1] for issue in issues)
    assert "EntryTitle" in shown and "[b]bold[/b]" in shown
    assert CLIPBOARD_SECRET not in shown
    json_of(run_cli, "search", "feedneedle")


def test_hostile_rss_titles_show_literally(run_cli: RunCli, server: HostileServer) -> None:
    body = rss(
        hostile("Channel", xml=True),
        [
            {
                "title": hostile("RssEntry", xml=True),
                "guid": "one",
                "link": "https://example.com/one",
                "description": f"<![CDATA[<p>{hostile('RssBody', xml=True)}</p>]]>",
            }
        ],
    )
    url = server.static("/rss", body)
    code, _out, err = run_cli("add", url)
    assert code == 0, err
    results = run_all(run_cli, ("sources",), ("issues",))
    listed = results["issues"][1]
    assert "RssEntry" in listed and "[@click=app.quit]click[/]" in listed


def test_error_messages_from_servers_and_file_names_are_shown_safely(
    run_cli: RunCli, server: HostileServer, tmp_path: Path
) -> None:
    # Header bytes 0x80-0xFF arrive as Latin-1: 0x9B is the 8-bit CSI.
    evil_location = "gopher://evil.example/\x9b31m\u00e9\x9d0;t\x9c"

    def redirect(connection: Any, _request: Any, _stop: Any) -> None:
        connection.sendall(
            b"HTTP/1.1 302 Found\r\nLocation: "
            + evil_location.encode("latin-1")
            + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )

    def json_error(connection: Any, _request: Any, _stop: Any) -> None:
        send(
            connection,
            b'{"items": [' + b"\x1b]52;c;eA==\x07" * 3,
            headers={"Content-Type": "application/json"},
        )

    urls = [
        server.route("/redirect", redirect),
        server.route("/broken.json", json_error),
        server.static("/good", plain_rss("Good")),
        server.url("/missing\x1b]0;x\x07"),
    ]
    subscriptions = tmp_path / "list.opml"
    subscriptions.write_text(opml(urls), encoding="utf-8")
    named = tmp_path / "evil\x1b]0;PWNED\x07\u202e.md"
    named.write_bytes(b"")
    assert terminal_unsafe(named.name)
    results = run_all(
        run_cli,
        ("import", str(subscriptions), str(named)),
        ("refresh", "--force"),
        ("sources",),
        ("add", urls[0] + "?again"),
        ("add", str(tmp_path / "nowhere\x1b]0;x\x07")),
        ("show", "\x1b]0;x\x07"),
    )
    listing = results["sources"][1]
    assert listing.count("error:") == 3, listing
    assert "Good post 1" not in listing  # titles of issues are not in this list
    code, _out, err = results["add " + urls[0] + "?again"]
    assert code == 1 and "redirect" in err and len(err.splitlines()) == 1, err
    sources = json_of(run_cli, "sources")["sources"]
    assert sum(1 for source in sources if source["error"]) == 3
    # The server's bytes did reach the stored error: the safety above is not luck.
    assert any(terminal_unsafe(source["error"] or "") for source in sources), sources
