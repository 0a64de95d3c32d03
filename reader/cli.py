"""The `reader` command: subcommands for scripts and tests, the TUI without one.

Every subcommand that prints data takes `--json`; the JSON shapes are built
once, in the `*_json` functions below, and kept stable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from reader import paths
from reader.core.errors import ReaderError
from reader.core.model import UNTITLED_SECTION, Issue, Item, SearchHit, Section, Source
from reader.core.safety import printable, terminal_safe_json

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

VIEWS = ("all", "unread", "starred", "later")


# --- JSON shapes ---------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """ISO 8601, or None; naive datetimes stay naive (as written)."""
    return value.isoformat() if value else None


def item_json(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "url": item.url,
        "body": item.body,
        "read": item.read,
        "starred": item.starred,
        "later": item.later,
        "links": list(item.links),
    }


def section_json(section: Section) -> dict[str, Any]:
    return {
        "id": section.id,
        "title": section.title,
        "items": [item_json(item) for item in section.items],
    }


def issue_json(issue: Issue) -> dict[str, Any]:
    return {
        "id": issue.id,
        "file": issue.file,
        "title": issue.title,
        "date": iso(issue.date),
        "url": issue.url,
        "source": issue.source_title,
        "sections": [section_json(section) for section in issue.sections],
    }


def issue_summary_json(issue: Issue) -> dict[str, Any]:
    return {
        "id": issue.id,
        "title": issue.title,
        "date": iso(issue.date),
        "url": issue.url,
        "source": issue.source_title,
        "source_id": issue.source_id,
        "items": issue.items,
        "unread": issue.unread,
    }


# The status of the built-in source of imported files: it is never fetched, so it
# has no refresh state ("new" would read as a feed waiting for its first fetch).
LOCAL_STATUS = "local"


def source_json(source: Source) -> dict[str, Any]:
    refreshable = source.kind != "imports"
    return {
        "id": source.id,
        "url": source.url,
        "title": source.title,
        "kind": source.kind,
        "refreshable": refreshable,
        "status": source.status if refreshable else LOCAL_STATUS,
        "error": source.error,
        "last_refresh": iso(source.last_refresh),
        "next_due": iso(source.next_due),
        "interval_s": source.interval_s,
        "issues": source.issues,
        "unread": source.unread,
        "tags": list(source.tags),
        "keep_issues": source.settings.get("keep_issues"),
        "keep_days": source.settings.get("keep_days"),
        "auto_save": bool(source.settings.get("auto_save")),
    }


def hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "id": hit.item_id,
        "title": hit.title,
        "url": hit.url,
        "issue": hit.issue_title,
        "section": hit.section_title,
        "snippet": hit.snippet,
        "issue_id": hit.issue_id,
        "read": hit.read,
        "highlights": [list(span) for span in hit.highlights],
        "in_article": hit.in_article,
    }


def local_time(value: datetime) -> str:
    """A stored time as the user's local wall clock (naive times are shown as written)."""
    if value.tzinfo is not None:
        value = value.astimezone()
    return value.strftime("%Y-%m-%d %H:%M")


def print_json(data: object) -> None:
    # The data stays whole, but what a terminal would act on is \u-escaped.
    sys.stdout.write(terminal_safe_json(json.dumps(data, ensure_ascii=False, indent=2)))
    sys.stdout.write("\n")


def say(message: str) -> None:
    """A message for the user on stderr (progress, warnings, errors)."""
    print(printable(message), file=sys.stderr)


def one_line(text: str | None) -> str:
    return printable(text)


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """`count` with its noun: "1 issue", "2 issues", "0 issues"."""
    return f"{count} {noun if count == 1 else (plural_noun or noun + 's')}"


# --- commands ------------------------------------------------------------


def open_library() -> Any:
    from reader.core.library import Library

    return Library(paths.database_path())


def cmd_import(args: argparse.Namespace) -> int:
    with open_library() as library:
        progress = None
        if sys.stderr.isatty() and not args.json:

            def progress(path: Path) -> None:
                print(f"\rimporting {printable(path.name)[:60]:<60}", end="", file=sys.stderr)

        report = library.import_paths([Path(p) for p in args.paths], progress=progress)
        if progress:
            print("\r" + " " * 71 + "\r", end="", file=sys.stderr)
        for problem in report.problems:
            say(f"error: {problem.path}: {problem.message}")
        for warning in report.warnings:
            say(f"warning: {warning.path}: {warning.message}")
        if args.json:
            issues = []
            for imported in report.imported:
                data = issue_json(library.store.issue(imported.issue_id))
                data["file"] = imported.file
                data["new"] = imported.is_new
                issues.append(data)
            payload: dict[str, Any] = {"issues": issues}
            payload["errors"] = [{"file": p.path, "message": p.message} for p in report.problems]
            if report.sources_added:
                payload["sources_added"] = report.sources_added
            print_json(payload)
        else:
            new = sum(1 for imported in report.imported if imported.is_new)
            new_items = sum(imported.new_items for imported in report.imported)
            failed = len(report.problems)
            print(
                f"imported {plural(len(report.imported), 'issue')}"
                f" ({new} new, {plural(new_items, 'new item')})"
                + (f", {plural(failed, 'file')} failed" if failed else "")
            )
            for url in report.sources_added:
                print(f"subscribed to {one_line(url)}")
        return EXIT_ERROR if report.problems and not report.imported else EXIT_OK


def cmd_issues(args: argparse.Namespace) -> int:
    with open_library() as library:
        source_id = None
        if args.source:
            source_id = resolve_source(library, args.source).id
        issues = library.issues(
            source_id, limit=args.limit, offset=args.offset, unread_only=args.unread
        )
        if args.json:
            print_json({"issues": [issue_summary_json(issue) for issue in issues]})
            return EXIT_OK
        if not issues:
            print("no issues yet: try `reader import FILE` or `reader add URL`")
        for issue in issues:
            date = issue.date.strftime("%Y-%m-%d") if issue.date else "          "
            progress = f"{issue.items - issue.unread}/{issue.items}"
            print(f"{issue.id[:8]}  {date}  {progress:>7}  {one_line(issue.title)}")
        return EXIT_OK


# Lines under an item in `reader show` start in its title's column: after the three
# flag columns, a space, the eight-character id and two spaces.
SHOW_INDENT = " " * len("•*L 12345678  ")


def cmd_show(args: argparse.Namespace) -> int:
    with open_library() as library:
        issue = library.issue(args.issue)
        also_in = library.also_in_for_issue(issue.id)
        articles = library.articles_for_issue(issue.id)
        if args.json:
            print_json({"issues": [with_stories_and_articles(issue, also_in, articles)]})
            return EXIT_OK
        print(one_line(issue.title))
        meta = [issue.date.isoformat(" ") if issue.date else None, issue.url, issue.file]
        print("  ".join(one_line(m) for m in meta if m))
        for section in issue.sections:
            print()
            print(f"## {one_line(section.title) or UNTITLED_SECTION}")
            for item in section.items:
                mark = " " if item.read else "•"
                star = "*" if item.starred else " "
                later = "L" if item.later else " "
                print(f"{mark}{star}{later} {item.id[:8]}  {one_line(item.title)}")
                if item.url:
                    print(f"{SHOW_INDENT}{one_line(item.url)}")
                for other in also_in.get(item.id, [])[:3]:
                    where = " · ".join(one_line(t) for t in other[2:] if t)
                    print(f"{SHOW_INDENT}also in {other.issue_id[:8]}  {where}")
                article = articles.get(item.id)
                if article is not None:
                    state = one_line(article.error) if article.error else "article saved"
                    print(f"{SHOW_INDENT}{state} ({local_time(article.fetched_at)})")
        return EXIT_OK


def with_stories_and_articles(
    issue: Issue, also_in: dict[str, list[Any]], articles: dict[str, Any]
) -> dict[str, Any]:
    """issue_json plus, on each item, `also_in` (ids), `article` and `article_error`."""
    data = issue_json(issue)
    for section in data["sections"]:
        for item in section["items"]:
            article = articles.get(item["id"])
            item["also_in"] = [other.item_id for other in also_in.get(item["id"], [])]
            item["article"] = article.markdown if article else None
            item["article_error"] = article.error if article else None
            item["article_saved_at"] = iso(article.fetched_at) if article else None
    return data


def cmd_search(args: argparse.Namespace) -> int:
    with open_library() as library:
        source_id = resolve_source(library, args.source).id if args.source else None
        hits = library.search(
            args.query,
            limit=args.limit,
            source_id=source_id,
            view=args.view,
            since=args.since,
            until=args.until,
        )
        if args.json:
            print_json({"items": [hit_json(hit) for hit in hits]})
            return EXIT_OK
        if not hits:
            print("no items match")
        for hit in hits:
            where = one_line(hit.issue_title)
            if hit.section_title:
                where += " › " + one_line(hit.section_title)
            print(f"{hit.item_id[:8]}  {one_line(hit.title)}")
            print(f"          {where}")
            found_in = "in its saved article: " if hit.in_article else ""
            print(f"          {found_in}{one_line(hit.snippet)}")
        return EXIT_OK


def cmd_mark(args: argparse.Namespace) -> int:
    flags: dict[str, bool] = {}
    if args.read is not None:
        flags["read"] = args.read
    if args.star is not None:
        flags["starred"] = args.star
    if args.later is not None:
        flags["later"] = args.later
    if not flags:
        say("error: say what to mark: --read, --unread, --star, --unstar, --later or --no-later")
        return EXIT_USAGE
    with open_library() as library:
        undo = library.mark(args.items, **flags)
        items = [library.item(state[0]) for state in undo.previous]
        if args.json:
            print_json({"items": [item_json(item) for item in items]})
        else:
            print(undo.description)
        return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    with open_library() as library:
        if args.format == "opml":
            from reader.core.opml import OpmlFeed, write_opml

            feeds = [
                OpmlFeed(url=source.url, title=source.title, tags=tuple(source.tags))
                for source in library.sources()
                if source.kind == "feed"
            ]
            text = write_opml(feeds)
        else:
            items = library.export_items(args.items, args.view)
            if not items:
                say(empty_export_hint(args.view))
            text = library.export_markdown(items=items, title=args.title)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return EXIT_OK


def empty_export_hint(view: str) -> str:
    """What to do when `reader export markdown` finds nothing to export."""
    if view == "all":
        return "no items to export: import or add a source first"
    how = "star items (`reader mark ITEM --star`), " if view == "starred" else ""
    return f"no {view} items to export: {how}name items, or choose another --view"


def cmd_sources(args: argparse.Namespace) -> int:
    with open_library() as library:
        sources = library.sources()
        if args.json:
            print_json({"sources": [source_json(source) for source in sources]})
            return EXIT_OK
        for source in sources:
            if source.kind == "imports":
                # Never fetched: no status or refresh time, and no `imports:` pseudo-URL.
                status, when = LOCAL_STATUS, ""
                detail = "files added with `reader import`; nothing to refresh"
            else:
                status = source.status
                when = local_time(source.last_refresh) if source.last_refresh else "never"
                due = local_time(source.next_due) if source.next_due else "now"
                detail = f"{one_line(source.url)}  (next refresh: {due})"
            print(
                f"{source.id:>4}  {status:<12} {source.unread:>5} unread  "
                f"{when:<16}  {one_line(source.title)}"
            )
            print(f"      {detail}")
            if source.error:
                print(f"      error: {one_line(source.error)}")
        return EXIT_OK


def date_argument(text: str) -> date | datetime:
    """A --since/--until value: a date (YYYY-MM-DD) or an ISO 8601 time."""
    try:
        return date.fromisoformat(text) if len(text.strip()) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def save_targets(library: Any, targets: Sequence[str]) -> list[str]:
    """Item ids from issue ids (all their items) and item ids, prefixes allowed."""
    from reader.core.errors import NotFoundError

    item_ids: list[str] = []
    for target in targets:
        try:
            issue = library.issue(target)
        except NotFoundError:
            item_ids.append(library.item(target).id)
            continue
        item_ids += [item.id for section in issue.sections for item in section.items]
    return item_ids


def cmd_save(args: argparse.Namespace) -> int:
    from reader.core.articles import FAILED, SAVED, SaveProgress

    def progress(state: SaveProgress) -> None:
        if state.last is not None and not args.json:
            last = state.last
            text = last.message if last.message and last.status != SAVED else last.status
            say(f"[{state.done}/{state.total}] {last.item_id[:8]}  {text}")

    with open_library() as library:
        outcomes = library.save_articles(save_targets(library, args.targets), progress=progress)
        if args.json:
            print_json(
                {
                    "items": [
                        {"id": o.item_id, "url": o.url, "status": o.status, "message": o.message}
                        for o in outcomes
                    ]
                }
            )
        else:
            counts = {status: 0 for status in (SAVED, "already_saved", "skipped", FAILED)}
            for outcome in outcomes:
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
            print(
                f"{counts[SAVED]} saved, {counts['already_saved']} already saved,"
                f" {counts['skipped']} skipped, {counts[FAILED]} failed"
            )
        nothing_saved = not any(o.status in (SAVED, "already_saved") for o in outcomes)
        any_failed = any(o.status == FAILED for o in outcomes)
        return EXIT_ERROR if nothing_saved and any_failed else EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    with open_library() as library:
        if args.auto_read_repeats is not None:
            library.set_auto_read_repeats(args.auto_read_repeats)
        settings = {"auto_read_repeats": library.auto_read_repeats()}
        if args.json:
            print_json({"settings": settings})
        else:
            state = "on" if settings["auto_read_repeats"] else "off"
            print(f"auto-read-repeats: {state} (mark a story read when another issue had it)")
        return EXIT_OK


def cmd_vacuum(args: argparse.Namespace) -> int:
    with open_library() as library:
        report = library.vacuum()
        if args.json:
            print_json(
                {
                    "removed_issues": report.removed_issues,
                    "bytes_before": report.bytes_before,
                    "bytes_after": report.bytes_after,
                }
            )
        else:
            print(
                f"removed {plural(report.removed_issues, 'issue')}; library"
                f" {report.bytes_before / 1e6:.1f} MB -> {report.bytes_after / 1e6:.1f} MB"
            )
        return EXIT_OK


def resolve_source(library: Any, name: str) -> Source:
    """A source by id, URL or title (case-insensitive)."""
    source: Source = library.source(name)
    return source


def cmd_add(args: argparse.Namespace) -> int:
    with open_library() as library:
        result = library.add_source(args.source, title=args.title)
        # An existing subscription is left as it is ("changes nothing").
        if result.created and (args.interval or args.tag):
            library.configure_source(
                str(result.source.id),
                interval_s=args.interval * 60 if args.interval else None,
                tags=args.tag or None,
            )
        if args.json:
            payload = {
                "source": source_json(library.store.source(result.source.id)),
                "created": result.created,
                "new_issues": result.new_issues,
                "candidates": list(result.candidates),
                "message": result.message,
            }
            print_json(payload)
        else:
            print(one_line(result.message))
            if result.created:
                print(f"{plural(result.new_issues, 'issue')} from {one_line(result.source.title)}")
        return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    with open_library() as library:
        result = library.remove_source(args.source)
        message = f"removed {one_line(result.source.title)}"
        if result.kept_issues:
            holds = "holds" if result.kept_issues == 1 else "hold"
            message += (
                f"; kept {plural(result.kept_issues, 'issue')} that {holds} starred or later items"
            )
        if args.json:
            print_json({"source": source_json(result.source), "kept_issues": result.kept_issues})
        else:
            print(message)
        return EXIT_OK


def cmd_source(args: argparse.Namespace) -> int:
    with open_library() as library:
        source = library.configure_source(
            args.source,
            title=args.title,
            interval_s=args.interval * 60 if args.interval is not None else None,
            tags=args.tag,
        )
        if args.keep is not None or args.keep_days is not None:
            source = library.set_source_retention(
                str(source.id), keep_issues=args.keep, keep_days=args.keep_days
            )
        if args.auto_save is not None:
            source = library.set_source_auto_save(str(source.id), args.auto_save)
        if args.json:
            print_json({"sources": [source_json(source)]})
        else:
            interval = f"every {source.interval_s // 60} min" if source.interval_s else "default"
            tags = ", ".join(source.tags) or "no tags"
            print(f"{source.id}  {one_line(source.title)}  ({interval}; {one_line(tags)})")
            shown = source_json(source)
            if shown["keep_issues"] or shown["keep_days"]:
                days = shown["keep_days"]
                recent = f" and those of the last {plural(days, 'day')}" if days else ""
                newest = (
                    plural(shown["keep_issues"], "issue") if shown["keep_issues"] else "all issues"
                )
                print(f"      keeps the newest {newest}{recent}")
            if shown["auto_save"]:
                print("      saves the articles of new items")
        return EXIT_OK


def cmd_refresh(args: argparse.Namespace) -> int:
    from reader.core.refresh import RefreshProgress

    show_progress = sys.stderr.isatty() and not args.quiet

    def progress(state: RefreshProgress) -> None:
        if show_progress:
            failed = f", {state.failed} failed" if state.failed else ""
            print(
                f"\rrefreshing: {state.done}/{plural(state.total, 'source')}{failed}  ",
                end="",
                file=sys.stderr,
            )

    with open_library() as library:
        outcomes = library.refresh(
            args.sources, force=args.force, progress=progress, concurrency=args.jobs
        )
        if show_progress:
            print(file=sys.stderr)
        if args.json:
            print_json({"sources": [outcome_json(outcome) for outcome in outcomes]})
        else:
            if not outcomes:
                print("no source is due; `reader refresh --force` fetches them all")
            for outcome in outcomes:
                print(f"{one_line(outcome.title)[:50]:<50}  {describe_outcome(outcome)}")
        failed = any(outcome.status == "error" for outcome in outcomes)
        return EXIT_ERROR if failed and len(outcomes) == 1 else EXIT_OK


def describe_outcome(outcome: Any) -> str:
    if outcome.status == "error":
        return f"error: {one_line(outcome.error)}"
    if outcome.status == "not_modified":
        return "not modified"
    text = f"{plural(outcome.new_issues, 'new issue')}, {plural(outcome.new_items, 'new item')}"
    if outcome.updated_issues:
        text += f", {outcome.updated_issues} updated"
    return text


def outcome_json(outcome: Any) -> dict[str, Any]:
    return {
        "id": outcome.source_id,
        "title": outcome.title,
        "status": outcome.status,
        "new_issues": outcome.new_issues,
        "new_items": outcome.new_items,
        "updated_issues": outcome.updated_issues,
        "error": outcome.error,
    }


def backup_json(info: Any) -> dict[str, Any]:
    return {
        "file": str(info.path),
        "version": info.version,
        "issues": info.issues,
        "items": info.items,
        "bytes": info.size_bytes,
    }


def cmd_backup(args: argparse.Namespace) -> int:
    from reader.core.library import Library

    # Not opened first: a library in a read-only folder can still be copied out.
    info = Library.backup_file(paths.database_path(), Path(args.file), overwrite=args.force)
    if args.json:
        print_json({"backup": backup_json(info)})
    else:
        print(
            f"backed up {plural(info.issues, 'issue')} ({plural(info.items, 'item')})"
            f" to {one_line(str(info.path))}"
            f" ({info.size_bytes / 1_048_576:.1f} MB)"
        )
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from reader.core.library import Library

    # Not opened first: restoring must work on a library too damaged to open.
    result = Library.restore(paths.database_path(), Path(args.file))
    with open_library() as library:  # upgrades an older backup, keeping a copy first
        issues = len(library.issues(limit=1_000_000))
    if args.json:
        payload = backup_json(result.restored)
        payload["issues"] = issues
        payload["kept_as"] = str(result.kept_as) if result.kept_as else None
        print_json({"restore": payload})
    else:
        print(
            f"restored {plural(issues, 'issue')} ({plural(result.restored.items, 'item')})"
            f" from {one_line(args.file)}"
        )
        if result.kept_as:
            print(f"the library it replaced is kept as {one_line(str(result.kept_as))}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from reader.demo import build_demo_library

    home = build_demo_library(paths.cache_dir() / "demo")
    paths.set_home(home)
    return open_app(notice=DEMO_NOTICE)


DEMO_NOTICE = (
    "This is the demo library, made afresh each time `reader demo` starts: try anything, "
    "nothing is kept. `reader` opens your own library."
)


def open_app(notice: str | None = None) -> int:
    try:
        from reader.tui.app import run_app
    except ImportError:
        # The app is not built yet: show the library as a list instead.
        return cmd_issues(
            argparse.Namespace(source=None, limit=50, offset=0, unread=False, json=False)
        )
    return run_app(paths.database_path(), notice=notice)


# --- parser --------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reader",
        description="A terminal reader for digest newsletters. Without a command, opens the app.",
    )
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="keep the library, configuration and cache in DIR (also READER_HOME)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str, json_flag: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if json_flag:
            sub.add_argument("--json", action="store_true", help="print JSON")
        return sub

    command("demo", "open the app on a fresh copy of the bundled demo library", json_flag=False)

    sub = command("import", "import issue files (.md .txt .html .eml .mbox, folders) or OPML")
    sub.add_argument("paths", nargs="+", metavar="PATH")
    sub.set_defaults(func=cmd_import)

    sub = command("issues", "list issues, newest first, with read progress")
    sub.add_argument("--source", help="only this source (id, URL or title)")
    sub.add_argument("--unread", action="store_true", help="only issues with unread items")
    sub.add_argument("--limit", type=int, default=100)
    sub.add_argument("--offset", type=int, default=0)
    sub.set_defaults(func=cmd_issues)

    sub = command("show", "show one issue with its sections and items")
    sub.add_argument("issue", metavar="ISSUE", help="issue id (a prefix is enough)")
    sub.set_defaults(func=cmd_show)

    sub = command("search", "search items (English words, Chinese of any length)")
    sub.add_argument(
        "query", help="words an item must all hold; OR (in capitals) between words gives choices"
    )
    sub.add_argument("--source", help="only this source (id, URL or title)")
    sub.add_argument("--view", choices=VIEWS, default="all")
    sub.add_argument("--since", type=date_argument, help="issues from this date (YYYY-MM-DD)")
    sub.add_argument("--until", type=date_argument, help="issues up to this date, included")
    sub.add_argument("--limit", type=int, default=50)
    sub.set_defaults(func=cmd_search)

    sub = command("mark", "set read, star and later flags of items")
    sub.add_argument("items", nargs="+", metavar="ITEM", help="item ids (a prefix is enough)")
    sub.add_argument("--read", dest="read", action="store_true", default=None)
    sub.add_argument("--unread", dest="read", action="store_false")
    sub.add_argument("--star", dest="star", action="store_true", default=None)
    sub.add_argument("--unstar", dest="star", action="store_false")
    sub.add_argument("--later", dest="later", action="store_true", default=None)
    sub.add_argument("--no-later", dest="later", action="store_false")
    sub.set_defaults(func=cmd_mark)

    sub = command(
        "export",
        "export subscriptions (opml) or a Markdown digest of items (starred by default)",
        False,
    )
    sub.add_argument("format", choices=("opml", "markdown"))
    sub.add_argument(
        "items", nargs="*", metavar="ITEM", help="items to export (markdown; a prefix is enough)"
    )
    sub.add_argument(
        "--view",
        choices=VIEWS,
        default="starred",
        help="the items to export when no ITEM is named (default: starred)",
    )
    sub.add_argument("--title", default="Digest", help="title of the Markdown digest")
    sub.add_argument("-o", "--output", help="write to this file instead of stdout")
    sub.set_defaults(func=cmd_export)

    sub = command("sources", "list sources with status, last refresh, error and unread count")
    sub.set_defaults(func=cmd_sources)

    sub = command("add", "subscribe to a feed URL, a page URL, a feed file or a folder of issues")
    sub.add_argument("source", metavar="SOURCE")
    sub.add_argument("--title", help="call the source this instead of its own title")
    sub.add_argument("--interval", type=int, metavar="MINUTES", help="refresh interval")
    sub.add_argument("--tag", action="append", help="a tag (repeat for several)")
    sub.set_defaults(func=cmd_add)

    sub = command("remove", "unsubscribe (issues with starred or later items are kept)")
    sub.add_argument("source", metavar="SOURCE", help="id, URL or title")
    sub.set_defaults(func=cmd_remove)

    sub = command("source", "rename a source, set its refresh interval, tags, retention, auto-save")
    sub.add_argument("source", metavar="SOURCE", help="id, URL or title")
    sub.add_argument("--title", help="new name")
    sub.add_argument("--interval", type=int, metavar="MINUTES", help="refresh interval")
    sub.add_argument("--tag", action="append", help="set the tags (repeat for several)")
    sub.set_defaults(func=cmd_source)

    sub.add_argument("--keep", type=int, metavar="N", help="keep the newest N issues (0: all)")
    sub.add_argument(
        "--keep-days", type=int, metavar="D", help="and issues younger than D days (0: all)"
    )
    sub.add_argument(
        "--auto-save",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="save the articles of new items at each refresh",
    )

    sub = command("save", "save items' source articles for offline reading")
    sub.add_argument("targets", nargs="+", metavar="ISSUE_OR_ITEM", help="ids (a prefix is enough)")
    sub.set_defaults(func=cmd_save)

    sub = command("backup", "copy the library to FILE (safe while reader runs)")
    sub.add_argument("file", metavar="FILE", help="the copy to write (or a folder for it)")
    sub.add_argument("--force", action="store_true", help="replace FILE if it exists")
    sub.set_defaults(func=cmd_backup)

    sub = command("restore", "replace the library by a backup (the current one is kept beside)")
    sub.add_argument("file", metavar="FILE", help="a file made with `reader backup`")
    sub.set_defaults(func=cmd_restore)

    sub = command("vacuum", "apply retention, then compact the library file", json_flag=True)
    sub.set_defaults(func=cmd_vacuum)

    sub = command("settings", "show or change library settings")
    sub.add_argument(
        "--auto-read-repeats",
        dest="auto_read_repeats",
        action="store_true",
        default=None,
        help="mark an item read when its story was already seen in another issue",
    )
    sub.add_argument("--no-auto-read-repeats", dest="auto_read_repeats", action="store_false")
    sub.set_defaults(func=cmd_settings)

    sub = command("refresh", "fetch due sources (or the named ones) and show what is new")
    sub.add_argument("sources", nargs="*", metavar="SOURCE", help="id, URL or title")
    sub.add_argument("--force", action="store_true", help="fetch every source, due or not")
    sub.add_argument("--jobs", type=int, default=None, help="feeds fetched at once")
    sub.add_argument("--quiet", action="store_true", help="no progress on stderr")
    sub.set_defaults(func=cmd_refresh)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.home:
        paths.set_home(args.home)
    try:
        if args.command is None:
            return open_app()
        if args.command == "demo":
            return cmd_demo(args)
        result: int = args.func(args)
        return result
    except ReaderError as error:
        say(f"error: {error}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `reader issues | head` closes the pipe early: not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
