"""`reader save`, `reader show --json` with articles and repeats, `reader search` in either
Chinese script with its filters, `reader source --keep/--auto-save` and `reader vacuum`.

Every test runs the command line in-process on a fresh READER_HOME; pages come from 127.0.0.1.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

RunCli = Callable[..., tuple[int, str, str]]
RunJson = Callable[..., Any]

PARAGRAPH = (
    "The harbour authority confirmed on Monday that the old lighthouse will be restored, "
    "after a long campaign by local volunteers who raised most of the money themselves."
)


def page(title: str) -> str:
    return (
        f"<html><head><title>{html.escape(title)}</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/sports'>Sports</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>" + f"<p>{PARAGRAPH}</p>" * 3 + "</article>"
        "<footer>Example Gazette, all rights reserved</footer></body></html>"
    )


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    serving = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    serving.start()
    routes: dict[str, Callable[[Request], Response]] = {
        "/lighthouse": lambda request: Response(page("Lighthouse saved"), content_type="text/html"),
        "/harbour": lambda request: Response(page("Harbour news"), content_type="text/html"),
        "/data.json": lambda request: Response('{"a": 1}', content_type="application/json"),
    }

    def handle(request: Request) -> Response:
        route = routes.get(request.path)
        return route(request) if route else Response("missing", status=404)

    serving.expect_request(re.compile(r"/.*")).respond_with_handler(handle)
    try:
        yield serving
    finally:
        serving.clear()
        serving.stop()


def write_issue(
    folder: Path, name: str, title: str, date: str, items: list[tuple[str, str, str]]
) -> Path:
    """An issue file of `####` items: (title, summary, url)."""
    parts = [f"---\ntitle: {title}\ndate: {date}\n---\n\n## News\n"]
    for item_title, summary, url in items:
        parts.append(f"#### {item_title}\n\n{summary} [source]({url})\n\n---\n")
    path = folder / name
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


@pytest.fixture
def issues(tmp_path: Path, server: HTTPServer) -> dict[str, Path]:
    folder = tmp_path / "issues"
    folder.mkdir()
    return {
        "first": write_issue(
            folder, "first.md", "開源週刊 第一期", "2025-01-06",
            [("燈塔修復", "志願者籌款修復了燈塔。", server.url_for("/lighthouse?utm_source=weekly")),
             ("Data dump", "A JSON file, not a page.", server.url_for("/data.json")),
             ("AI 晶片", "新的開源 AI 晶片發佈。", "https://chips.example/ai?id=7")],
        ),
        "second": write_issue(
            folder, "second.md", "Open Source Weekly 2", "2025-02-03",
            [("Lighthouse again", "The same story, another issue.", server.url_for("/lighthouse/#top")),
             ("Harbour", "Other news from the harbour.", server.url_for("/harbour")),
             ("Chips", "Another chip, another id.", "https://chips.example/ai?id=8")],
        ),
    }  # fmt: skip


def import_all(run_json: RunJson, issues: dict[str, Path]) -> dict[str, dict[str, Any]]:
    imported = run_json("import", *issues.values())["issues"]
    return {issue["title"]: issue for issue in imported}


def items_by_title(issue: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["title"]: item for section in issue["sections"] for item in section["items"]}


def test_save_an_issue_then_show_articles_errors_and_repeats(
    run_cli: RunCli, run_json: RunJson, issues: dict[str, Path]
) -> None:
    imported = import_all(run_json, issues)
    first = imported["開源週刊 第一期"]
    code, out, err = run_cli("save", first["id"][:8])
    assert code == 0, err
    assert out.strip() == "1 saved, 0 already saved, 0 skipped, 2 failed"
    assert "[1/3]" in err and "[3/3]" in err
    assert "not a web page (application/json)" in err

    shown = items_by_title(run_json("show", first["id"])["issues"][0])
    lighthouse = shown["燈塔修復"]
    assert lighthouse["article"].startswith("# Lighthouse saved\n\n")
    assert "harbour authority" in lighthouse["article"]
    assert (
        "Sports" not in lighthouse["article"] and "all rights reserved" not in lighthouse["article"]
    )
    assert lighthouse["article_error"] is None and lighthouse["article_saved_at"]
    assert shown["Data dump"]["article"] is None
    assert "not a web page" in shown["Data dump"]["article_error"]
    assert shown["AI 晶片"]["article"] is None  # chips.example does not resolve here
    assert shown["AI 晶片"]["article_error"]

    second = imported["Open Source Weekly 2"]
    other = items_by_title(run_json("show", second["id"])["issues"][0])
    assert lighthouse["also_in"] == [other["Lighthouse again"]["id"]]
    assert other["Lighthouse again"]["also_in"] == [lighthouse["id"]]
    assert shown["AI 晶片"]["also_in"] == [] and other["Chips"]["also_in"] == []
    assert other["Harbour"]["article"] is None and other["Harbour"]["article_error"] is None

    # Saving the other issue's copy of the story needs no download; single items work too.
    saved = run_json("save", other["Lighthouse again"]["id"], other["Harbour"]["id"][:10])
    assert [item["status"] for item in saved["items"]] == ["saved", "saved"]
    code, out, _ = run_cli("show", second["id"])
    assert "also in " + first["id"][:8] in out and "article saved" in out


def test_save_of_unknown_ids_is_an_error(
    run_cli: RunCli, run_json: RunJson, issues: dict[str, Path]
) -> None:
    import_all(run_json, issues)
    code, _, err = run_cli("save", "zzzz")
    assert code == 1 and "no item id starts with 'zzzz'" in err


def test_search_either_script_and_case(run_json: RunJson, issues: dict[str, Path]) -> None:
    import_all(run_json, issues)
    simplified = run_json("search", "发布")["items"]
    traditional = run_json("search", "發佈")["items"]
    assert [hit["id"] for hit in simplified] == [hit["id"] for hit in traditional] != []
    assert (
        [h["id"] for h in run_json("search", "开源")["items"]]
        == [h["id"] for h in run_json("search", "開源")["items"]]
        == [simplified[0]["id"]]
    )
    found = run_json("search", "灯塔")["items"]
    assert [hit["title"] for hit in found] == ["燈塔修復"]
    hit = found[0]
    spans = [hit["snippet"][start:end] for start, end in hit["highlights"]]
    assert spans == ["燈塔"]
    upper = {hit["title"] for hit in run_json("search", "AI")["items"]}
    lower = {hit["title"] for hit in run_json("search", "ai")["items"]}
    assert upper == lower == {"AI 晶片", "Chips"}  # Chips links to .../ai?id=8


def test_search_narrowing(run_cli: RunCli, run_json: RunJson, issues: dict[str, Path]) -> None:
    imported = import_all(run_json, issues)
    titles = lambda *args: sorted(h["title"] for h in run_json("search", *args)["items"])  # noqa: E731
    assert titles("another") == ["Chips", "Lighthouse again"]
    assert titles("another", "--since", "2025-02-01") == ["Chips", "Lighthouse again"]
    assert titles("another", "--until", "2025-02-02") == []
    assert titles("another", "--until", "2025-02-03") == ["Chips", "Lighthouse again"]
    chips = items_by_title(imported["Open Source Weekly 2"])["Chips"]["id"]
    run_cli("mark", chips, "--star")
    assert titles("another", "--view", "starred") == ["Chips"]
    assert titles("another", "--view", "unread") == ["Chips", "Lighthouse again"]
    assert titles("another", "--source", "Imported files", "--view", "later") == []
    with pytest.raises(SystemExit) as exited:
        run_cli("search", "another", "--since", "last week")
    assert exited.value.code == 2


def test_source_retention_auto_save_and_vacuum(
    run_cli: RunCli, run_json: RunJson, issues: dict[str, Path]
) -> None:
    import_all(run_json, issues)
    (source,) = run_json("source", "Imported files", "--keep", "1", "--auto-save")["sources"]
    assert (source["keep_issues"], source["keep_days"], source["auto_save"]) == (1, None, True)
    code, out, _ = run_cli("source", "Imported files", "--keep-days", "30", "--no-auto-save")
    assert code == 0 and "keeps the newest 1 issue and those of the last 30 days" in out
    (listed,) = run_json("sources")["sources"]
    assert (listed["keep_issues"], listed["keep_days"], listed["auto_save"]) == (1, 30, False)
    code, out, _ = run_cli("vacuum")
    assert code == 0 and re.fullmatch(r"removed 1 issue; library [\d.]+ MB -> [\d.]+ MB\n", out)
    assert [issue["title"] for issue in run_json("issues")["issues"]] == ["Open Source Weekly 2"]
    report = run_json("vacuum")
    assert report["removed_issues"] == 0 and report["bytes_after"] > 0
    code, _, err = run_cli("source", "Imported files", "--keep", "-3")
    assert code == 1 and "retention limits" in err


def test_the_repeats_setting_is_changed_from_the_command_line(run_json: Any) -> None:
    assert run_json("settings") == {"settings": {"auto_read_repeats": False}}
    assert run_json("settings", "--auto-read-repeats") == {"settings": {"auto_read_repeats": True}}
    assert run_json("settings") == {"settings": {"auto_read_repeats": True}}
    assert run_json("settings", "--no-auto-read-repeats") == {
        "settings": {"auto_read_repeats": False}
    }
