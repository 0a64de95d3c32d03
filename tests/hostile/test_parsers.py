"""Hostile documents end to end, through `reader refresh`, `reader add` and `reader import`.

Entity bombs, external entities (XXE, XInclude, remote DTDs), deep nesting, huge
lines, broken UTF-8, empty bodies and JSON Feeds of the wrong shape: each source
ends `ok` or with one clear line, no local file is read, nothing else is fetched,
and a good source refreshed alongside still gets its news.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reader.core.limits import MAX_BODY_BYTES
from tests.hostile.conftest import MARKER
from tests.hostile.helpers import (
    MIB,
    HostileServer,
    assert_terminal_safe,
    billion_laughs,
    file_holds,
    json_feed,
    opml,
    plain_rss,
    quadratic_blowup,
    reader_env,
    rss,
    run_reader,
)

RunCli = Callable[..., tuple[int, str, str]]
RunJson = Callable[..., Any]
NESTING = 100_000


def entity_expansion_bytes(document: bytes) -> int:
    """How many bytes the internal entities of `document` would expand to, computed
    from their declarations (never by expanding them)."""
    import re

    sizes: dict[str, int] = {}
    for name, value in re.findall(rb'<!ENTITY (\w+) "([^"]*)">', document):
        references = re.findall(rb"&(\w+);", value)
        literal = len(re.sub(rb"&\w+;", b"", value))
        sizes[name.decode()] = literal + sum(sizes[ref.decode()] for ref in references)
    body = document.split(b"]>", 1)[1]
    return sum(sizes.get(ref.decode(), 0) for ref in re.findall(rb"&(\w+);", body))


def xml_attacks(server: HostileServer, secret: Path) -> dict[str, bytes]:
    """Feeds that try to read `secret` or fetch from the server while being parsed."""
    file_uri = secret.as_uri()
    remote_dtd = server.url("/evil.dtd")
    remote_entity = server.url("/xxe-http")
    entry = {"title": "a&xxe;b", "guid": "1", "description": "x &xxe; y"}
    return {
        "xxe-general": rss(
            "T &xxe;", [entry], prolog=f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{file_uri}">]>'
        ),
        "xxe-general-lines": rss(
            "T &xxe;", [entry], prolog=f'\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "{file_uri}">\n]>\n'
        ),
        "xxe-parameter": rss(
            "T",
            [{"title": "p", "guid": "1", "description": "x"}],
            prolog=f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{file_uri}"> %p;]>',
        ),
        "xxe-remote-dtd": rss(
            "T",
            [{"title": "d", "guid": "1", "description": "x"}],
            prolog=f'<!DOCTYPE rss SYSTEM "{remote_dtd}">',
        ),
        "xxe-remote-entity": rss(
            "T &xxe;", [entry], prolog=f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{remote_entity}">]>'
        ),
        "xinclude": (
            '<?xml version="1.0"?><rss version="2.0" xmlns:xi="http://www.w3.org/2001/XInclude">'
            "<channel><title>X</title><item><guid>1</guid><title>t</title><description>"
            f'<xi:include href="{file_uri}" parse="text"/></description></item></channel></rss>'
        ).encode(),
        "xxe-atom": (
            f'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM "{file_uri}">]>'
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>&xxe;</title><entry><id>1</id>'
            '<title>&xxe;</title><content type="html">&xxe;</content></entry></feed>'
        ).encode(),
        "xxe-broken": rss(
            "T &xxe;", [entry], prolog=f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{file_uri}">]>'
        )
        + b"<item><title>&xxe;",
    }


def nested_html(depth: int) -> str:
    return (
        "<p>start</p>"
        + "<div>" * depth
        + "deep div"
        + "</div>" * depth
        + "<blockquote>" * depth
        + "deep quote"
        + "</blockquote>" * depth
        + "<ul><li>" * (depth // 2)
        + "deep list"
        + "</li></ul>" * (depth // 2)
        + "<b><i>" * (depth // 2)
        + "deep inline"
        + "</i></b>" * (depth // 2)
    )


BROKEN_UTF8 = (
    b"caf\xe9 \xff\xfe \xc3\x28 \xa0\xa1 \xe2\x28\xa1 \xf0\x28\x8c\xbc \xed\xa0\x80 "
    b"\xc0\xaf overlong \xf8\x88\x80\x80\x80 five-byte"
)


def hostile_documents(server: HostileServer, secret: Path) -> dict[str, tuple[bytes, str]]:
    """Every hostile feed of the refresh test, with its content type."""
    xml = "application/rss+xml"
    jsonf = "application/feed+json"
    documents = {name: (body, xml) for name, body in xml_attacks(server, secret).items()}
    documents |= {
        "laughs": (billion_laughs(), xml),
        "laughs-lines": (billion_laughs().replace(b"><", b">\n<"), xml),
        "quadratic": (quadratic_blowup(), xml),
        "nested-html": (
            json_feed(
                "Nested", [{"id": "1", "title": "deep", "content_html": nested_html(NESTING)}]
            ),
            jsonf,
        ),
        "nested-rss": (
            rss(
                "Nested RSS",
                [
                    {
                        "title": "n",
                        "guid": "1",
                        "description": "<div>" * NESTING + "x" + "</div>" * NESTING,
                    }
                ],
            ),
            xml,
        ),
        "broken-utf8": (
            rss("Broken " + BROKEN_UTF8.decode("latin-1"), [])
            .replace(b"Broken " + BROKEN_UTF8.decode("latin-1").encode(), b"Broken " + BROKEN_UTF8)
            .replace(
                b"</channel>",
                b"<item><guid>u</guid><title>"
                + BROKEN_UTF8
                + b"</title><description>"
                + BROKEN_UTF8
                + b"</description></item></channel>",
            ),
            xml,
        ),
        "broken-utf8-json": (
            b'{"version": "https://jsonfeed.org/version/1.1", "title": "J \xff\xfe", "items": '
            b'[{"id": "1", "title": "' + BROKEN_UTF8 + b'", "content_text": "t \xc3\x28"}]}',
            jsonf,
        ),
        "empty": (b"", xml),
        "blank": (b" \r\n\t " * 100, xml),
        "json-wrong-types": (
            json_feed(
                ["a", "list"],
                [
                    "not an object",
                    None,
                    {
                        "id": {"nested": 1},
                        "title": ["list"],
                        "content_html": {"a": 1},
                        "url": 12,
                        "date_published": -5,
                        "authors": "nobody",
                        "tags": 7,
                    },
                    {
                        "id": 2,
                        "title": 3.5,
                        "content_text": None,
                        "summary": ["x"],
                        "url": True,
                        "date_published": {"y": 1},
                        "date_modified": [2025],
                    },
                    {
                        "id": True,
                        "title": "Fine entry",
                        "content_text": "kept",
                        "url": "https://example.com/fine",
                        "date_published": "2025-03-01T00:00:00Z",
                        "author": "not an object",
                    },
                ],
            ),
            jsonf,
        ),
        "json-surrogates": (
            b'{"version": "https://jsonfeed.org/version/1.1", "title": "S \\ud800", "items": '
            b'[{"id": "\\udfff", "title": "lone \\ud83d half", "content_text": "body \\ud800",'
            b' "url": "https://example.com/\\ud800"}]}',
            jsonf,
        ),
        "json-huge-number": (
            b'{"version": "https://jsonfeed.org/version/1.1", "title": "N", "items": [{"id": '
            + b"9" * 5000
            + b', "title": "big id", "content_text": "x", "date_published": 1'
            + b"0" * 5000
            + b"}]}",
            jsonf,
        ),
        "json-deep": (b'{"items": ' + b"[" * NESTING + b"]" * NESTING + b"}", jsonf),
        "json-items-not-a-list": (json_feed("Not a list", {"id": "1"}), jsonf),  # type: ignore[arg-type]
        "json-array": (b"[1, 2, 3]", "application/json"),
        # Broken markup on which feedparser's tolerant parser raises (found by fuzzing).
        "feedparser-textinput": (b"<item<textinput</name>", xml),
        "feedparser-image": (
            b"<rss><channel><image></height></image><item>&</item></channel></rss>",
            xml,
        ),
    }
    return documents


# Sources that must not end in error: the attack is neutralised and the rest is read.
MUST_READ = {
    "xxe-general-lines",
    "laughs-lines",
    "broken-utf8",
    "broken-utf8-json",
    "json-wrong-types",
    "json-surrogates",
    "json-huge-number",
    "nested-html",
    "nested-rss",
}


def test_hostile_feeds_in_one_refresh(
    run_cli: RunCli,
    run_json: RunJson,
    server: HostileServer,
    secret: Path,
    home: Path,
    tmp_path: Path,
) -> None:
    documents = hostile_documents(server, secret)
    # The fixtures really are hostile.
    assert entity_expansion_bytes(documents["laughs"][0]) > 100 * MAX_BODY_BYTES
    assert entity_expansion_bytes(documents["quadratic"][0]) > 10 * MAX_BODY_BYTES
    assert documents["nested-html"][0].count(b"<div>") == NESTING
    for name in xml_attacks(server, secret):
        assert secret.as_uri().encode() in documents[name][0] or "remote" in name
    with pytest.raises(UnicodeDecodeError):
        documents["broken-utf8"][0].decode("utf-8")

    urls = {"good": server.static("/good", plain_rss("Good"))}
    for name, (body, content_type) in documents.items():
        urls[name] = server.static(f"/{name}", body, headers={"Content-Type": content_type})
    subscriptions = tmp_path / "hostile.opml"
    subscriptions.write_text(opml(list(urls.values())), encoding="utf-8")
    code, _out, err = run_cli("import", str(subscriptions))
    assert code == 0, err

    started = time.monotonic()
    code, out, err = run_cli("refresh", "--force")
    elapsed = time.monotonic() - started
    assert_terminal_safe(out + err, what="refresh output")
    assert elapsed < 40, f"the refresh took {elapsed:.1f} s"
    by_url = {source["url"]: source for source in run_json("sources")["sources"]}
    name_of = {url: name for name, url in urls.items()}
    report = {
        name_of[url]: (source["status"], source["error"])
        for url, source in by_url.items()
        if url in name_of
    }
    assert report["good"] == ("ok", None)
    assert by_url[urls["good"]]["issues"] == 2
    for name, (status, error) in report.items():
        assert status in ("ok", "error"), (name, status)
        if status == "error":
            assert error and "\n" not in error and len(error) < 300, (name, error)
            assert "Traceback" not in error and "a bug" not in error, (name, error)
        if name in MUST_READ:
            assert status == "ok", (name, error)
    assert report["empty"] == ("error", "the feed is empty (0 bytes)")
    assert "nested too deeply" in (report["json-deep"][1] or "")

    # Parsing fetched nothing: only the feeds themselves were asked for, once each.
    assert sorted(server.paths()) == sorted(f"/{name}" for name in urls)
    # No byte of the local file reached the library or the screen.
    issues = run_json("issues", "--limit", "1000")["issues"]
    shown = [run_json("show", issue["id"]) for issue in issues]
    everything = out + err + json.dumps(shown) + json.dumps(by_url)
    assert MARKER.decode() not in everything
    assert not file_holds(home / "library.sqlite3", MARKER)
    # Bombs were not expanded into the library.
    for full in shown:
        for issue in full["issues"]:
            assert len(issue["title"]) < 10_000
            for section in issue["sections"]:
                for item in section["items"]:
                    assert len(item["body"]) < 2 * MIB, (issue["title"], len(item["body"]))
    fine = [i for full in shown for i in full["issues"] if i["title"] == "Fine entry"]
    assert len(fine) == 1


def test_hostile_local_files_through_add_and_import(
    run_cli: RunCli, server: HostileServer, secret: Path, home: Path, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    files.mkdir()
    for name, body in xml_attacks(server, secret).items():
        (files / f"{name}.xml").write_bytes(body)
    (files / "laughs.xml").write_bytes(billion_laughs())
    (files / "empty.xml").write_bytes(b"")
    (files / "feedparser-bug.xml").write_bytes(b"<rss><channel><image></height></image>&</rss>")
    (files / "huge.json").write_bytes(
        json_feed("Huge", [{"id": "1", "content_text": "w" * (21 * MIB)}])
    )
    assert (files / "huge.json").stat().st_size > MAX_BODY_BYTES
    outputs = {}
    for path in sorted(files.iterdir()):
        code, out, err = run_cli("add", str(path))
        outputs[path.name] = out + err
        assert_terminal_safe(out + err, what=f"reader add {path.name}")
        if code:
            assert len(err.strip().splitlines()) == 1, err
    assert "0 bytes" in outputs["empty.xml"]
    assert "over the 20 MB limit" in outputs["huge.json"]

    # OPML and HTML issue files carrying the same attacks.
    opml_xxe = files / "list.opml"
    opml_xxe.write_text(
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        '<opml><body><outline text="&xxe;" xmlUrl="https://example.com/&xxe;"/></body></opml>'
    )
    opml_laughs = files / "laughs.opml"
    opml_laughs.write_bytes(
        billion_laughs().replace(
            b"<rss", b'<opml><body><outline xmlUrl="https://e.com/&lol9;"/></body></opml><rss', 1
        )
    )
    html = files / "page.html"
    html.write_text(
        f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]><html><body><h1>Page &xxe;</h1>'
        f'<p>text &xxe; <img src="{secret.as_uri()}"><iframe src="{server.url("/frame")}"></iframe></p>'
        f"{nested_html(NESTING)}</body></html>"
    )
    code, out, err = run_cli("import", str(opml_xxe), str(opml_laughs), str(html))
    assert_terminal_safe(out + err, what="reader import")
    assert "entity declarations are refused" in err
    everything = "".join(outputs.values()) + out + err
    assert MARKER.decode() not in everything
    assert not file_holds(home / "library.sqlite3", MARKER)
    # Neither the remote DTD nor the remote entity was fetched, nor the page's frame.
    assert server.paths() == []


def test_a_50_mb_single_line_and_other_odd_files_are_refused_or_read(
    home: Path, server: HostileServer, tmp_path: Path
) -> None:
    huge = tmp_path / "one-line.md"
    with huge.open("wb") as out:
        out.write(b"# One line\n\n")
        for _ in range(50):
            out.write(b"word " * (MIB // 5))
    assert huge.stat().st_size > 50 * 1_000_000
    assert huge.read_bytes().count(b"\n") == 2
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.md"
    broken.write_bytes(b"# Broken\n\n" + BROKEN_UTF8 * 20 + b"\n\nA paragraph of text.\n")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(256)) * 64)
    good = tmp_path / "good.md"
    good.write_text("# Good issue\n\n## News\n\n#### [One](https://example.com/1)\n\nFine.\n")
    line_feed = server.static("/line", b"<rss>" + b"w" * (50 * MIB) + b"</rss>")

    started = time.monotonic()
    result = run_reader(home, "import", str(huge), str(empty), str(broken), str(binary), str(good))
    assert time.monotonic() - started < 20
    assert result.returncode == 0, result.stderr
    assert_terminal_safe(result.stdout + result.stderr, what="import of odd files")
    errors = result.stderr.splitlines()
    assert any("one-line.md" in line and "over the 20 MB limit" in line for line in errors), errors
    assert any("empty.md" in line and "empty" in line for line in errors), errors
    assert any("binary.txt" in line and "binary" in line for line in errors), errors
    assert "imported 2 issues" in result.stdout

    result = run_reader(home, "add", line_feed)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: response larger than 20 MB"


# The peak is read from VmHWM, which starts afresh at exec: ru_maxrss would carry
# the peak of the (large) test worker that forked this process.
PEAK_OF_ADD = """
import re, sys
from reader.cli import main
code = main(["add", sys.argv[1]])
status = open("/proc/self/status").read()
print("PEAK_KIB", re.search(r"VmHWM:\\s+(\\d+)", status).group(1), file=sys.stderr)
sys.exit(code)
"""


def test_a_huge_local_feed_file_is_refused_before_it_is_read(home: Path, tmp_path: Path) -> None:
    sparse = tmp_path / "sparse.xml"
    with sparse.open("wb") as out:
        out.truncate(200 * MIB)
    result = subprocess.run(
        [sys.executable, "-c", PEAK_OF_ADD, str(sparse)],
        env=reader_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and "over the 20 MB limit" in result.stderr, result.stderr
    peak_mib = int(result.stderr.split("PEAK_KIB")[1]) / 1024
    assert peak_mib < 150, f"adding the file took {peak_mib:.0f} MiB"

    def two_gib() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    endless = run_reader(home, "add", "/dev/zero", preexec_fn=two_gib, timeout=60)
    assert endless.returncode == 1 and "Traceback" not in endless.stderr, endless.stderr[-500:]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("quotes.md", "# Deep\n\n" + ">" * NESTING + " deep\n"),
        ("lists.md", "# Deep\n\n" + "- " * NESTING + "deep\n"),
        ("reply.eml", "From: a@example.com\nSubject: Deep\n\n" + ">" * NESTING + " deep\n"),
    ],
    ids=["quotes.md", "lists.md", "reply.eml"],
)
def test_deeply_nested_markdown_never_crashes_import(
    home: Path, tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert max(len(line) - len(line.lstrip(">- ")) for line in text.splitlines()) >= NESTING
    # A separate process: the failure this guards against is a segmentation fault (and
    # markdown-it-pyrs takes time quadratic in the depth of lists on one line).
    try:
        result = run_reader(home, "import", str(path), timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("importing took more than 5 s")
    assert result.returncode in (0, 1), f"reader died with signal {-result.returncode}"
    assert_terminal_safe(result.stdout + result.stderr)
