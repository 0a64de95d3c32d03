"""`reader import` end to end: the seeds, encodings, bad files, re-imports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED

Run = Callable[..., Any]


def seed(name: str) -> Path:
    return next((SHARED / "seeds").glob(f"{name}_*.txt"))


def test_seed_000_is_one_issue_of_five_items(run_json: Run) -> None:
    data = run_json("import", seed("000"))
    assert len(data["issues"]) == 1
    issue = data["issues"][0]
    assert issue["title"] == "L58_推理、平权与全球博弈"
    assert issue["date"] == "2025-02-28T20:00:00"
    assert issue["file"].endswith("000_c3745a1a3647e165.txt")
    assert [section["title"] for section in issue["sections"]] == ["随便看看"]
    items = issue["sections"][0]["items"]
    assert len(items) == 5
    first = items[0]
    assert first["title"] == "推理语言模型（RLM）：AI 推理的未来基石"
    assert first["url"] == "https://mp.weixin.qq.com/s/wrZohEYc5uOT2L4DtZgFdg"
    assert first["body"].startswith("DeepSeek、千问和 O3 背后的推理语言模型（RLM）")
    assert "](https://" not in first["body"]
    assert first["read"] is False
    for item in items:
        assert item["url"].startswith("https://")
        assert not item["url"].endswith((".jpg", ".png", "-basicBlog"))
        assert "pics.naaln.com" not in item["body"]


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("002", "美國頂尖智庫如何看待中國開源大模型的崛起"),
        ("004", "李开复在《金融时报》发文:中国开源AI是一项国家优势"),
    ],
)
def test_scraped_articles_become_one_clean_item(run_json: Run, name: str, title: str) -> None:
    issue = run_json("import", seed(name))["issues"][0]
    assert issue["title"] == title
    assert len(issue["sections"]) == 1
    [item] = issue["sections"][0]["items"]
    assert item["title"] == title
    body = item["body"]
    assert "分享至" not in body
    assert "精品" not in body
    assert "要聞" not in body and "猜你喜欢" not in body


def test_seed_003_reads_cleanly(run_json: Run) -> None:
    issue = run_json("import", seed("003"))["issues"][0]
    text = "".join(item["body"] for s in issue["sections"] for item in s["items"])
    assert ",," not in text and ",。" not in text and "，，" not in text
    assert "(fā)" not in text and "(shù)" not in text
    assert "發布" in text or "發" in text


def test_seed_001_follows_its_headings(run_json: Run) -> None:
    issue = run_json("import", seed("001"))["issues"][0]
    assert len(issue["sections"]) >= 5
    items = [item for section in issue["sections"] for item in section["items"]]
    assert len(items) >= 10
    assert all(item["title"].strip() for item in items)


def test_reimport_never_duplicates_or_resets_flags(run_json: Run, tmp_path: Path) -> None:
    original = seed("000").read_text(encoding="utf-8")
    first = run_json("import", seed("000"))["issues"][0]
    items = first["sections"][0]["items"]
    run_json("mark", items[0]["id"], "--read")
    run_json("mark", items[1]["id"], "--star")
    run_json("mark", items[2]["id"], "--later")

    # The same file again, and the same file from another path.
    run_json("import", seed("000"))
    moved = tmp_path / "elsewhere" / "copy.md"
    moved.parent.mkdir()
    moved.write_text(original, encoding="utf-8")
    run_json("import", moved)

    # A changed version: items reordered, one retitled, one inserted.
    retitled = original.replace("推理语言模型（RLM）：AI 推理的未来基石", "RLM：推理的基石")
    # Block 0 is the front matter, 1 holds the first item, 2.. the others.
    changed_blocks = retitled.split("\n---\n")
    changed_blocks[2], changed_blocks[3] = changed_blocks[3], changed_blocks[2]
    changed_blocks.insert(
        4,
        "\n#### A new item\n\nFresh summary.\n[Source](https://example.org/new-item)\n",
    )
    changed = tmp_path / "changed.md"
    changed.write_text("\n---\n".join(changed_blocks), encoding="utf-8")
    run_json("import", changed)

    listing = run_json("issues")["issues"]
    assert len(listing) == 1
    shown = run_json("show", first["id"])["issues"][0]
    shown_items = {item["url"]: item for s in shown["sections"] for item in s["items"]}
    assert len(shown_items) == 6
    assert shown_items[items[0]["url"]]["id"] == items[0]["id"]
    assert shown_items[items[0]["url"]]["title"] == "RLM：推理的基石"
    assert shown_items[items[0]["url"]]["read"] is True
    assert shown_items[items[1]["url"]]["starred"] is True
    assert shown_items[items[2]["url"]]["later"] is True
    assert shown_items["https://example.org/new-item"]["read"] is False


ISSUE_TEXT = """---
title: 编码测试周刊
date: 2026-03-01
---

## 本周

#### 开源模型发布

一段关于开源模型的摘要。
[原文链接](https://example.com/zh-1)

#### 第二条

第二段摘要。
[来源](https://example.com/zh-2)
"""


@pytest.mark.parametrize(
    ("encoding", "prefix", "newline"),
    [
        ("gbk", b"", "\n"),
        ("gb18030", b"", "\n"),
        ("big5", b"", "\n"),
        ("utf-8", b"\xef\xbb\xbf", "\n"),
        ("utf-8", b"", "\r\n"),
        ("utf-16", b"", "\n"),
    ],
)
def test_encodings_bom_and_crlf_import(
    run_json: Run, tmp_path: Path, encoding: str, prefix: bytes, newline: str
) -> None:
    text = ISSUE_TEXT
    if encoding == "big5":
        # Big5 has the traditional forms only.
        text = text.replace("编码测试周刊", "編碼測試週刊").replace("开源模型发布", "開源模型發佈")
        text = text.replace("一段关于开源模型的摘要", "一段關於開源模型的摘要").replace(
            "第二条", "第二條"
        )
        text = (
            text.replace("来源", "來源")
            .replace("原文链接", "原文連結")
            .replace("第二段摘要", "第二段摘要")
        )
    path = tmp_path / f"issue-{encoding}.md"
    path.write_bytes(prefix + text.replace("\n", newline).encode(encoding))
    issue = run_json("import", path)["issues"][0]
    assert issue["title"] == ("編碼測試週刊" if encoding == "big5" else "编码测试周刊")
    items = issue["sections"][0]["items"]
    assert [item["url"] for item in items] == [
        "https://example.com/zh-1",
        "https://example.com/zh-2",
    ]
    assert all("\r" not in item["body"] and "\ufeff" not in item["title"] for item in items)


def test_bad_files_each_get_a_message_and_the_rest_imports(
    run_cli: Callable[..., tuple[int, str, str]], run_json: Run, tmp_path: Path
) -> None:
    run_json("import", seed("000"))
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "a-empty.md").write_bytes(b"")
    (batch / "b-binary.md").write_bytes(bytes(range(256)) * 64)
    with (batch / "c-huge.md").open("wb") as huge:
        huge.truncate(50 * 1024 * 1024)
    (batch / "d-undecodable.txt").write_bytes(b"\x81\xfe\x00\xff\x80" * 200)
    (batch / "e-broken-front-matter.md").write_text(
        "---\ntitle: [unclosed\ndate: :::\n---\n\n## S\n\n#### Item\n\nText [l](https://e.com/x)\n",
        encoding="utf-8",
    )
    (batch / "f-good.md").write_text(
        "# Good issue\n\n## News\n\n* [One](https://example.com/1) - first\n"
        "* [Two](https://example.com/2) - second\n",
        encoding="utf-8",
    )
    code, _, err = run_cli("import", batch)
    assert code == 0
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    failed = {Path(line.split(":")[1].strip()).name for line in errors}
    assert {"a-empty.md", "b-binary.md", "c-huge.md", "d-undecodable.txt"} <= failed
    assert "f-good.md" not in failed
    assert all("Traceback" not in line for line in err.splitlines())
    titles = {issue["title"] for issue in run_json("issues")["issues"]}
    assert {"L58_推理、平权与全球博弈", "Good issue"} <= titles


def test_invalid_date_imports_without_date_and_warns(
    run_cli: Callable[..., tuple[int, str, str]], run_json: Run, tmp_path: Path
) -> None:
    path = tmp_path / "zero-date.md"
    path.write_text(
        "---\ntitle: Zero date\ndate: 0000-00-00\n---\n\n## S\n\n#### Item\n\nBody.\n"
        "[Link](https://example.com/z)\n",
        encoding="utf-8",
    )
    code, _, err = run_cli("import", path)
    assert code == 0
    assert "warning:" in err and "date" in err
    issue = run_json("issues")["issues"][0]
    assert issue["title"] == "Zero date"
    assert issue["date"] is None


def test_twir_issues_split_into_sections_with_list_items(run_json: Run) -> None:
    path = SHARED / "corpus" / "twir" / "2026-08-19-this-week-in-rust.md"
    issue = run_json("import", path)["issues"][0]
    titles = [section["title"] for section in issue["sections"]]
    community = [s for s in issue["sections"] if s["title"] == "Updates from Rust Community"]
    assert len(community) == 1 or any(t.startswith("Updates from Rust Community") for t in titles)
    community_items = [
        item
        for s in issue["sections"]
        if s["title"].startswith("Updates from Rust Community")
        for item in s["items"]
    ]
    assert len(community_items) == 17
    assert any(t.startswith("Quote of the Week") for t in titles)
    assert all(item["url"] for item in community_items)


def test_email_samples_import(run_json: Run) -> None:
    messages = sorted((SHARED / "corpus" / "email").rglob("*.eml"))
    data = run_json("import", *messages)
    assert len(data["issues"]) == len(messages) == 15
    assert not data["errors"]
    titles = {issue["title"] for issue in data["issues"]}
    assert "Nodemailer is unicode friendly ✔ (1476358788189)" in titles


def test_one_batch_holding_the_same_issue_twice_stores_it_once(
    run_json: Run, tmp_path: Path
) -> None:
    text = seed("000").read_text(encoding="utf-8")
    copies = []
    for name in ("a", "b"):
        copy = tmp_path / name / "issue.md"
        copy.parent.mkdir()
        copy.write_text(text, encoding="utf-8")
        copies.append(copy)
    data = run_json("import", *copies)
    assert len({issue["id"] for issue in data["issues"]}) == 1
    listing = run_json("issues")["issues"]
    assert len(listing) == 1 and listing[0]["items"] == 5


def test_many_files_read_in_workers_give_the_same_messages_and_summary(
    run_cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reader.core import bulk_import

    batch = tmp_path / "batch"
    batch.mkdir()
    for number in range(60):
        (batch / f"issue-{number:02d}.md").write_text(
            ISSUE_TEXT.replace("编码测试周刊", f"周刊 {number}").replace("zh-", f"{number}-"),
            encoding="utf-8",
        )
    (batch / "issue-10-empty.md").write_bytes(b"")
    (batch / "issue-20-binary.md").write_bytes(bytes(range(256)) * 64)
    (batch / "issue-30-undecodable.txt").write_bytes(b"\x81\xfe\x00\xff\x80" * 200)
    with (batch / "issue-40-huge.md").open("wb") as huge:
        huge.truncate(50 * 1024 * 1024)
    (batch / "issue-50-zero-date.md").write_text(
        "---\ntitle: Zero date\ndate: 0000-00-00\n---\n\n#### Item\n\nBody.\n"
        "[Link](https://example.com/z)\n",
        encoding="utf-8",
    )
    outputs = []
    for name, pool_min_files in (("alone", 10**9), ("workers", 1)):
        home = tmp_path / name
        home.mkdir()
        monkeypatch.setenv("READER_HOME", str(home))
        monkeypatch.setattr(bulk_import, "IMPORT_POOL_MIN_FILES", pool_min_files)
        outputs.append([run_cli("import", batch), run_cli("import", batch, "--json")])
    assert outputs[0] == outputs[1]
    (code, out, err), _ = outputs[1]
    assert code == 0
    assert out == "imported 61 issues (61 new, 121 new items), 4 files failed\n"
    assert len(err.splitlines()) == 5 and "warning:" in err.splitlines()[-1]
