"""What a newcomer sees: counts in good English, export help and escaping, the imports
source, `show` columns, stray control characters, terminal escapes in titles."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from reader.cli import describe_outcome, main, plural

RunCli = Callable[..., tuple[int, str, str]]
Run = Callable[..., Any]

ONE_ITEM = "# Weekly {n}\n\n## News\n\n#### Item {n}\n\nSummary {n}.\n\n[Source](https://example.com/{n})\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rss(title: str, entries: int) -> str:
    items = "".join(
        f"<item><title>Entry {n}</title><link>https://example.com/e{n}</link>"
        f"<guid>e{n}</guid><description>Text {n}.</description></item>"
        for n in range(entries)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'


def first_item_id(run_json: Run) -> str:
    (issue,) = run_json("issues")["issues"]
    shown = run_json("show", issue["id"])["issues"][0]
    item_id: str = shown["sections"][0]["items"][0]["id"]
    return item_id


# --- 1. counts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "noun", "written"),
    [(0, "issue", "0 issues"), (1, "issue", "1 issue"), (2, "new item", "2 new items")],
)
def test_plural(count: int, noun: str, written: str) -> None:
    assert plural(count, noun) == written


def test_import_summary_says_issue_and_item_in_the_singular(
    run_cli: RunCli, tmp_path: Path
) -> None:
    one = write(tmp_path / "one.md", ONE_ITEM.format(n=1))
    code, out, _ = run_cli("import", one)
    assert (code, out) == (0, "imported 1 issue (1 new, 1 new item)\n")
    # Again: nothing new, still one issue.
    assert run_cli("import", one)[1] == "imported 1 issue (0 new, 0 new items)\n"


def test_import_summary_counts_failed_files_in_good_english(
    run_cli: RunCli, tmp_path: Path
) -> None:
    two = write(tmp_path / "two.md", ONE_ITEM.format(n=2))
    three = write(tmp_path / "three.md", ONE_ITEM.format(n=3))
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    code, out, _ = run_cli("import", two, three, empty)
    assert (code, out) == (0, "imported 2 issues (2 new, 2 new items), 1 file failed\n")
    other = tmp_path / "other.md"
    other.write_bytes(b"")
    code, out, _ = run_cli("import", two, empty, other)
    assert out == "imported 1 issue (0 new, 0 new items), 2 files failed\n"


@pytest.mark.parametrize(
    ("counts", "written"),
    [
        ((1, 1, 0), "1 new issue, 1 new item"),
        ((0, 0, 0), "0 new issues, 0 new items"),
        ((2, 5, 1), "2 new issues, 5 new items, 1 updated"),
    ],
)
def test_refresh_summary_line(counts: tuple[int, int, int], written: str) -> None:
    new_issues, new_items, updated = counts
    outcome = SimpleNamespace(
        status="ok", new_issues=new_issues, new_items=new_items, updated_issues=updated
    )
    assert describe_outcome(outcome) == written


def test_add_remove_vacuum_mark_and_backup_summaries(
    run_cli: RunCli, run_json: Run, tmp_path: Path
) -> None:
    feed = write(tmp_path / "feed.xml", rss("Solo", 1))
    code, out, _ = run_cli("add", feed)
    assert code == 0 and out.splitlines()[-1] == "1 issue from Solo"
    item_id = first_item_id(run_json)
    assert run_cli("mark", item_id, "--star")[1] == "marked 1 item starred\n"
    code, out, _ = run_cli("remove", "Solo")
    assert out == "removed Solo; kept 1 issue that holds starred or later items\n"
    code, out, _ = run_cli("vacuum")
    assert re.fullmatch(r"removed 0 issues; library [\d.]+ MB -> [\d.]+ MB\n", out)
    code, out, _ = run_cli("backup", tmp_path / "copy.db")
    assert out.startswith("backed up 1 issue (1 item) to ")


def test_source_retention_line_in_the_singular(run_cli: RunCli, tmp_path: Path) -> None:
    run_cli("import", write(tmp_path / "one.md", ONE_ITEM.format(n=1)))
    _, out, _ = run_cli("source", "Imported files", "--keep", "1", "--keep-days", "1")
    assert "keeps the newest 1 issue and those of the last 1 day\n" in out
    _, out, _ = run_cli("source", "Imported files", "--keep", "3", "--keep-days", "7")
    assert "keeps the newest 3 issues and those of the last 7 days\n" in out


# --- 2. export's default, said in its help -------------------------------------------


def test_export_help_says_starred_items_are_the_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "a Markdown digest of items (starred by default)" in text
    assert "the items to export when no ITEM is named (default: starred)" in text
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "(starred by default)" in " ".join(capsys.readouterr().out.split())


def test_export_without_starred_items_says_how_to_choose_them(
    run_cli: RunCli, run_json: Run, tmp_path: Path
) -> None:
    run_cli("import", write(tmp_path / "one.md", ONE_ITEM.format(n=1)))
    code, out, err = run_cli("export", "markdown")
    assert (code, out) == (0, "# Digest\n")
    assert err == (
        "no starred items to export: star items (`reader mark ITEM --star`),"
        " name items, or choose another --view\n"
    )
    run_cli("mark", first_item_id(run_json), "--star")
    code, out, err = run_cli("export", "markdown")
    assert err == ""
    assert out == "# Digest\n\n## Weekly 1\n\n### [Item 1](https://example.com/1)\n\nSummary 1.\n"


# --- 3. export escapes untrusted titles ----------------------------------------------


def test_markdown_export_shows_untrusted_titles_literally(
    run_cli: RunCli, run_json: Run, tmp_path: Path
) -> None:
    from markdown_it import MarkdownIt

    item_title = "[@click=app.quit]Click me[/] *not bold* `code` #"
    issue_title = "# Issue_with_underscores [x](https://evil.example)"
    # Escaped in the file, so that the title the splitter reads is the literal text.
    written_title = re.sub(r"([][*`#])", r"\\\1", item_title)
    text = (
        f"---\ntitle: '{issue_title}'\n---\n\n## Section\n\n"
        f"#### [{written_title}](https://example.com/a_(b))\n\nBody.\n"
    )
    path = write(tmp_path / "hostile.md", text)
    (issue,) = run_json("import", path)["issues"]
    assert issue["title"] == issue_title
    (item,) = issue["sections"][0]["items"]
    assert (item["title"], item["url"]) == (item_title, "https://example.com/a_(b)")

    code, out, _ = run_cli("export", "markdown", item["id"], "--title", "My digest")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "# My digest"
    assert lines[2] == r"## \# Issue\_with\_underscores \[x\](https://evil.example)"
    assert lines[4] == (
        r"### [\[@click=app.quit\]Click me\[/\] \*not bold\* \`code\` \#]"
        r"(https://example.com/a_\(b\))"
    )
    rendered = MarkdownIt("commonmark").render(out)
    assert f"<h2>{html.escape(issue_title, quote=False)}</h2>" in rendered
    assert (
        f'<h3><a href="https://example.com/a_(b)">{html.escape(item_title, quote=False)}</a></h3>'
        in rendered
    )
    assert rendered.count("<a ") == 1


# --- 4. the imports source -----------------------------------------------------------


def test_sources_show_imported_files_as_local_not_as_an_unfetched_feed(
    run_cli: RunCli, run_json: Run, tmp_path: Path
) -> None:
    run_cli("import", write(tmp_path / "one.md", ONE_ITEM.format(n=1)))
    run_cli("add", write(tmp_path / "feed.xml", rss("Solo", 2)))
    _, out, _ = run_cli("sources")
    imports_lines = out.splitlines()[:2]
    assert re.fullmatch(r"\s+1  local\s+1 unread\s+Imported files", imports_lines[0])
    assert imports_lines[1] == "      files added with `reader import`; nothing to refresh"
    assert "never" not in out and "imports:" not in out
    assert re.search(r"^\s+2  ok\s+2 unread  \d{4}-\d\d-\d\d \d\d:\d\d  Solo$", out, re.M)

    imported, feed = run_json("sources")["sources"]
    design_fields = {"id", "url", "title", "status", "error", "last_refresh", "issues", "unread"}
    assert design_fields <= set(imported) and design_fields <= set(feed)
    assert (imported["kind"], imported["status"], imported["refreshable"]) == (
        "imports",
        "local",
        False,
    )
    assert (imported["title"], imported["last_refresh"], imported["unread"]) == (
        "Imported files",
        None,
        1,
    )
    assert (feed["kind"], feed["status"], feed["refreshable"]) == ("file", "ok", True)


# --- 5. `reader show` columns --------------------------------------------------------


def test_show_puts_the_url_under_the_title(run_cli: RunCli, run_json: Run, tmp_path: Path) -> None:
    run_cli("import", write(tmp_path / "one.md", ONE_ITEM.format(n=1)))
    (issue,) = run_json("issues")["issues"]
    item_id = first_item_id(run_json)
    run_cli("mark", item_id, "--star", "--later")
    _, out, _ = run_cli("show", issue["id"])
    lines = out.splitlines()
    title_line = next(line for line in lines if line.endswith("Item 1"))
    url_line = lines[lines.index(title_line) + 1]
    assert title_line == f"•*L {item_id[:8]}  Item 1"
    assert url_line == " " * title_line.index("Item 1") + "https://example.com/1"


# --- 6. stray control characters versus binary files -------------------------------------


def test_a_text_file_with_a_few_stray_control_characters_imports(
    run_json: Run, tmp_path: Path
) -> None:
    text = (
        "# Stray\x01 controls\n\n## News\n\n#### An item\x08 title\n\n"
        "Some text\x0c with a form feed\x01 and\x02 a few\x03 strays\x04 from\x1f a terminal."
        " More ordinary words follow so that the file is about three hundred characters long,"
        " as a short note would be.\n\n[Source](https://example.com/s)\n"
    )
    strays = sum(1 for char in text if char < " " and char not in "\n")
    assert 250 <= len(text) <= 320 and strays == 8
    (issue,) = run_json("import", write(tmp_path / "stray.md", text))["issues"]
    assert issue["title"] == "Stray controls"
    (item,) = issue["sections"][0]["items"]
    assert (item["title"], item["url"]) == ("An item title", "https://example.com/s")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "This is a PNG image"),
        ("archive.md", b"PK\x03\x04\x14\x00\x08\x00" + bytes(64), "This is a ZIP archive"),
        ("program.txt", b"\x7fELF\x02\x01\x01" + bytes(64), "This is a program"),
        ("paper.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n", "a PDF document"),
        ("noise.txt", bytes(range(1, 128)) * 8, "looks like a binary file"),
    ],
)
def test_binary_files_are_refused_saying_what_they_are(
    run_cli: RunCli, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    code, out, err = run_cli("import", path)
    assert code == 1
    assert out == "imported 0 issues (0 new, 0 new items), 1 file failed\n"
    assert err.startswith(f"error: {path}: ") and message in err and "not text" in err


# --- 7. terminal escapes in imported titles --------------------------------------------


def test_escape_sequences_in_an_imported_file_leave_no_residue(
    run_cli: RunCli, run_json: Run, tmp_path: Path
) -> None:
    text = (
        "# Issue \x1b[32mgreen\x1b[0m\n\n## [/] Section \x1b[31mred\n\n"
        "#### Item \x1b]8;;https://evil.example/\x07linked\x1b]8;;\x07 \x9b1mone\n\n"
        "Body \x1b]52;c;cm0gLXJm\x07text.\n\n[Source](https://example.com/a)\n"
    )
    (issue,) = run_json("import", write(tmp_path / "escapes.md", text))["issues"]
    assert issue["title"] == "Issue green"
    (section,) = issue["sections"]
    assert section["title"] == "[/] Section red"
    (item,) = section["items"]
    assert item["title"] == "Item linked one"
    assert item["url"] == "https://example.com/a"
    assert item["body"].startswith("Body text.")
    _, out, _ = run_cli("show", issue["id"])
    assert "## [/] Section red\n" in out and "Item linked one\n" in out
    assert "[31m" not in out and "]8;;" not in out and "\x1b" not in out
    assert json.dumps(issue).count("evil.example") == 0


def test_an_issue_imported_by_a_relative_path_remembers_where_it_is(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_json: Callable[..., Any],
) -> None:
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "weekly.md").write_text("# Weekly\n\n## News\n\nHello.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    imported = run_json("import", "letters/weekly.md")
    assert imported["issues"][0]["file"] == str(folder / "weekly.md")
