"""Startup benchmark (issue 6): the TUI on a library of 100,000 items.

Builds a library of 100,000 items (20 sources, 4,950 issues of 20 items and one
issue of 1,000), then starts `reader` in a pseudo-terminal (120x40, the real
Textual driver) and measures, to the first frame written to the terminal that
shows it: the item list populated, the reader pane filled, the largest issue
opened, the end of a 1,000-item and a 100,000-item list; and peak memory. The
same for a bare Textual app showing one label, and `newsboat -x print-unread`
on the same items. Then, with 200 feeds of the refresh benchmark added, it
presses R and times move keys (j/k) from the write to the terminal to the frame
that shows their effect, during the refresh and before it.

    .venv/bin/python bench/startup_bench.py [--small] [--runs 3] [--no-newsboat]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import pty
import queue
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path
from typing import Any

import benchlib as b

PROBE = b.BENCH_DIR / "tui_probe.py"
SIZE = (40, 120)  # rows, columns
AIM_MEMORY_MIB = 100.0
AIM_KEY_P95_MS = 50.0
# Keys pressed during the app's refresh at most: enough to outlast a slow one.
MAX_REFRESH_KEYS = 10_000
BIG_ISSUE_ITEMS = 1000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--small", action="store_true", help="3,000 items, 20 small feeds, one run (under 20 s)"
    )
    parser.add_argument(
        "--items", type=int, default=None, help="items in the library (default 100000)"
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="starts of each app (median is reported)"
    )
    parser.add_argument(
        "--feeds", type=int, default=None, help="feeds refreshed during the key test"
    )
    parser.add_argument("--no-newsboat", action="store_true")
    parser.add_argument("--no-keys", action="store_true", help="skip key latency during a refresh")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one start of reader up to its first screen"
    )
    args = parser.parse_args()
    total_items = args.items or (3000 if args.small else 100_000)
    runs = args.runs or (1 if args.small else 3)
    feeds = args.feeds or (20 if args.small else 200)
    entries = 4 if args.small else 50
    sources = 20

    sys.path.insert(0, str(b.REPO_DIR))
    print(f"startup benchmark: {b.machine_line()}")
    print(b.load_line())
    work = Path(tempfile.mkdtemp(prefix="reader-startup-bench-"))
    try:
        served = work / "served"
        home = work / "home"
        home.mkdir()
        (home / "config.toml").write_text(
            "auto_refresh = 0\n\n[fetch]\nconcurrency = 8\ndeadline_s = 10\n"
        )
        b.header(f"library of {total_items} items")
        started = time.perf_counter()
        big_issue, big_source, per_source_items = build_library(home, total_items, sources)
        print(
            f"built with Store.upsert_issues in {time.perf_counter() - started:.1f} s; largest issue "
            f"{big_issue[:8]} ({BIG_ISSUE_ITEMS} items)"
        )
        database = b.database_path(home)
        size = sum(path.stat().st_size for path in database.parent.glob(database.name + "*"))
        print(f"database {size / 1e6:.0f} MB")
        baseline_files = set(home.rglob("*"))

        b.header(
            f"start to first usable screen ({runs} runs each, median; {SIZE[1]}x{SIZE[0]} pty)"
        )
        results: dict[str, list[dict[str, Any]]] = {"reader": [], "bare": []}
        for mode in ("reader",) if args.small else ("bare", "reader"):
            # A first start writes the bytecode caches and warms the page cache: not measured.
            run_probe(
                {"BENCH_MODE": mode, "BENCH_SCRIPT": "none", "READER_HOME": str(home)},
                timeout=120,
                quit_after_ready=True,
            )
            forget_state(home, baseline_files, database)
        for _ in range(runs):
            for mode in ("bare", "reader"):
                env = {
                    "BENCH_MODE": mode,
                    "BENCH_SCRIPT": "startup",
                    "READER_HOME": str(home),
                    "BENCH_BIG_ISSUE": big_issue,
                    "BENCH_BIG_SOURCE": str(big_source),
                }
                # Start each run fresh: drop the state the app saved (open item, view).
                forget_state(home, baseline_files, database)
                outcome = run_probe(env, timeout=120)
                results[mode].append(outcome)
        bare_ready = median_of(results["bare"], "ready")
        bare_cpu = median_of(results["bare"], "ready-cpu")
        reader_cpu = median_of(results["reader"], "ready-cpu")
        bare_memory = statistics.median(r["memory"] for r in results["bare"] if "memory" in r)
        print(
            f"{'bare Textual app (one Label)':38} first frame {bare_ready * 1000:6.0f} ms   "
            f"CPU {bare_cpu * 1000:5.0f} ms   peak RSS {bare_memory:5.0f} MiB"
        )
        reader_ready = median_of(results["reader"], "ready")
        pane_ready = median_of(results["reader"], "pane-ready")
        reader_memory = max((r.get("memory", 0.0) for r in results["reader"]), default=0.0)
        print(
            f"{'reader: item list populated':38} first frame {reader_ready * 1000:6.0f} ms   "
            f"CPU {reader_cpu * 1000:5.0f} ms   ({reader_ready / bare_ready:.2f}x the bare app's wall time, "
            f"{reader_cpu / bare_cpu:.2f}x its CPU; aim <= 1.5x)"
        )
        print(f"{'reader: reader pane filled too':38} first frame {pane_ready * 1000:6.0f} ms")
        for label, what in (
            ("open-largest-issue", f"open the largest issue ({BIG_ISSUE_ITEMS} items)"),
            ("end-of-issue", "jump to the end of that issue (G)"),
            ("open-all-view", f"open the All view ({total_items} items)"),
            ("end-of-all", "jump to the end of All (G)"),
            ("back-to-top", "back to the top of All (g)"),
        ):
            value = median_of(results["reader"], label)
            print(f"{'reader: ' + what:48} {value * 1000:8.0f} ms")
        for outcome in results["reader"][:1]:
            for note in outcome.get("notes", []):
                print(f"  note: {note}")
        print(
            f"{'reader: peak RSS (after all of the above)':48} {reader_memory:8.0f} MiB   "
            f"(aim < {AIM_MEMORY_MIB:.0f} MiB)"
        )

        # The last run left the All view at its last item: the app reopens there.
        outcome = (
            {}
            if args.small
            else run_probe(
                {"BENCH_MODE": "reader", "BENCH_SCRIPT": "none", "READER_HOME": str(home)},
                timeout=60,
                quit_after_ready=True,
            )
        )
        if "ready" in outcome:
            print(
                f"{'reader: restart at the remembered last item of All':48} {outcome['ready'] * 1000:8.0f} ms"
            )
        forget_state(home, baseline_files, database)

        if args.profile:
            profile_start(home, work)
            forget_state(home, baseline_files, database)

        b.header("newsboat -x print-unread on the same items")
        newsboat = shutil.which("newsboat")
        served.mkdir()
        newsboat_result = None
        if args.no_newsboat:
            print("skipped (--no-newsboat)")
        elif not newsboat:
            print("skipped: newsboat is not installed (apt-get install -y newsboat)")
        else:
            newsboat_result = run_newsboat(newsboat, work, served, per_source_items, runs)

        key_result: dict[str, float | None] | None = None
        if not args.no_keys:
            b.header(f"key latency while a cold refresh of {feeds} feeds runs")
            key_result = key_latency(
                work,
                home,
                served,
                feeds,
                entries,
                idle_keys=10 if args.small else 30,
                compare_process=not args.small,
            )

        b.header("summary")
        rows = [
            (
                "first usable screen",
                f"{reader_ready * 1000:.0f} ms",
                f"<= 1.5x bare ({1.5 * bare_ready * 1000:.0f} ms)",
                reader_ready <= 1.5 * bare_ready,
            ),
        ]
        if newsboat_result:
            rows.append(
                (
                    "  vs newsboat print-unread",
                    f"{reader_ready * 1000:.0f} ms",
                    f"< newsboat ({newsboat_result * 1000:.0f} ms)",
                    reader_ready < newsboat_result,
                )
            )
        rows.append(
            (
                "peak memory",
                f"{reader_memory:.0f} MiB",
                f"< {AIM_MEMORY_MIB:.0f} MiB",
                reader_memory < AIM_MEMORY_MIB,
            )
        )
        if key_result and key_result.get("p95") is not None:
            rows.append(
                (
                    "keys during refresh p95",
                    f"{key_result['p95'] * 1000:.0f} ms",
                    f"<= {AIM_KEY_P95_MS:.0f} ms",
                    key_result["p95"] * 1000 <= AIM_KEY_P95_MS,
                )
            )
        if key_result and key_result.get("app_memory") is not None:
            rows.append(
                (
                    "app memory after refresh",
                    f"{key_result['app_memory']:.0f} MiB",
                    f"< {AIM_MEMORY_MIB:.0f} MiB",
                    key_result["app_memory"] < AIM_MEMORY_MIB,
                )
            )
        for name, value, aim, ok in rows:
            print(f"{name:28} {value:>10}   aim {aim:30} {'ok' if ok else 'MISSED'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def profile_start(home: Path, work: Path) -> None:
    import io
    import pstats

    stats_file = work / "start.prof"
    run_probe(
        {
            "BENCH_MODE": "reader",
            "BENCH_SCRIPT": "none",
            "READER_HOME": str(home),
            "BENCH_PROFILE": str(stats_file),
        },
        timeout=60,
        quit_after_ready=True,
    )
    if not stats_file.exists():
        print("no profile was written")
        return
    kept = b.BENCH_DIR / "out" / "startup.prof"
    kept.parent.mkdir(exist_ok=True)
    shutil.copy(stats_file, kept)
    print(f"(profile kept in {kept.relative_to(b.REPO_DIR)}; open it with pstats or snakeviz)")
    for order, count in (("cumulative", 45), ("tottime", 25)):
        out = io.StringIO()
        pstats.Stats(str(stats_file), stream=out).strip_dirs().sort_stats(order).print_stats(count)
        print(f"-- cProfile of one start up to the first populated list ({order}) --")
        print(out.getvalue())


def forget_state(home: Path, baseline: set[Path], database: Path) -> None:
    for path in sorted(set(home.rglob("*")) - baseline, reverse=True):
        if path.is_file() and not path.name.startswith(database.name):
            path.unlink()


def median_of(outcomes: list[dict[str, Any]], label: str) -> float:
    values = [outcome[label] for outcome in outcomes if isinstance(outcome.get(label), float)]
    return statistics.median(values) if values else float("nan")


# --- the library ----------------------------------------------------------------------------


def build_library(
    home: Path, total_items: int, sources: int
) -> tuple[str, int, list[list[tuple[str, str, str]]]]:
    """Fill the library; returns the largest issue's id, its source, and each source's items."""
    from reader.core.library import Library
    from reader.core.model import ParsedIssue, ParsedSection

    database = b.database_path(home)
    database.parent.mkdir(parents=True, exist_ok=True)
    per_source: list[list[tuple[str, str, str]]] = [[] for _ in range(sources)]
    regular = max(1, (total_items - BIG_ISSUE_ITEMS) // b.ITEMS_PER_ISSUE)
    with Library(database) as library:
        source_ids = [
            library.store.ensure_source(
                "feed", f"http://127.0.0.1:9/bench-{number}.xml", f"Bench Source {number}"
            )
            for number in range(sources)
        ]
        # The largest issue: 10 sections of 100 items, in source 0.
        parts = [b.parsed_issue(10_000_000 + part, items=100, sections=1) for part in range(10)]
        big = ParsedIssue(
            title="The largest issue: a year in review",
            date=b.issue_date(regular // 2),
            url="https://digest.example.com/year-in-review",
            sections=tuple(
                ParsedSection(title=f"Month {number + 1}", items=part.sections[0].items)
                for number, part in enumerate(parts)
            ),
            key="generated-largest",
        )
        big_result = library.store.upsert_issues(source_ids[0], [big])[0]
        for issue_part in big.sections:
            per_source[0].extend(
                (item.title, item.url or "", item.body) for item in issue_part.items
            )
        batch: dict[int, list[Any]] = {}
        for index in range(regular):
            parsed = b.parsed_issue(index)
            number = index % sources
            batch.setdefault(number, []).append(parsed)
            for section in parsed.sections:
                per_source[number].extend(
                    (item.title, item.url or "", item.body) for item in section.items
                )
            if len(batch[number]) >= 100:
                library.store.upsert_issues(source_ids[number], batch.pop(number))
        for number, issues in batch.items():
            library.store.upsert_issues(source_ids[number], issues)
        print(f"{library.count_items()} items in {regular + 1} issues, {sources} sources")
        return big_result.issue_id, source_ids[0], per_source


# --- running the apps in a pseudo-terminal ------------------------------------------------------


class Probe:
    """`tui_probe.py` in a pty: its screen output is drained, its reports are queued."""

    def __init__(self, env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        rows, columns = SIZE
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        report_read, report_write = os.pipe()
        full_env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "BENCH_FD": str(report_write),
            **env,
        }
        full_env.pop("TEXTUAL", None)
        # Users' Pythons cache bytecode; without it every start compiles ~300 modules.
        full_env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.master = master
        self.tail = b""
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.output_bytes = 0
        self.spawned = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, str(PROBE)],
            # Textual writes the screen to stderr: all three go to the terminal.
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            pass_fds=(report_write,),
            start_new_session=True,
            cwd=str(b.REPO_DIR),
        )
        os.close(slave)
        os.close(report_write)
        threading.Thread(target=self._drain, daemon=True).start()
        threading.Thread(target=self._read_reports, args=(report_read,), daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output_bytes += len(data)
            self.tail = (self.tail + data)[-20000:]

    def _read_reports(self, fd: int) -> None:
        with os.fdopen(fd) as reports:
            for line in reports:
                with_event = json.loads(line)
                self.events.put(with_event)
        self.events.put({"event": "closed", "t": time.monotonic()})

    def next_event(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait_for(
        self, name: str, timeout: float, seen: list[dict[str, Any]] | None = None
    ) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while True:
            event = self.next_event(max(0.0, deadline - time.monotonic()))
            if event is None:
                return None
            if seen is not None:
                seen.append(event)
            if event["event"] == name:
                return event
            if event["event"] == "closed":
                return None

    def press(self, keys: str) -> float:
        written = time.monotonic()
        os.write(self.master, keys.encode())
        return written

    def finish(self, timeout: float = 10.0) -> str:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        time.sleep(0.1)
        os.close(self.master)
        # The last screen, without escape sequences: a traceback shows up here.
        text = re.sub(
            r"\x1b\[[0-9;?<>=]*[A-Za-z~]|\x1b[()][A-Z0-9]|\x1b\][^\x07]*\x07",
            " ",
            self.tail.decode(errors="replace"),
        )
        return re.sub(r"[ \t]+", " ", text)[-2000:]


def run_probe(
    env: dict[str, str], timeout: float, quit_after_ready: bool = False
) -> dict[str, Any]:
    probe = Probe(env)
    outcome: dict[str, Any] = {"notes": []}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = probe.next_event(max(0.0, deadline - time.monotonic()))
        if event is None or event["event"] in ("closed", "exit"):
            break
        name = event["event"]
        if name in ("ready", "pane-ready"):
            outcome[name] = event["shown"] - probe.spawned
            outcome[name + "-cpu"] = event.get("cpu", float("nan"))
            if name == "ready":
                outcome["memory"] = event.get("maxrss_mib", 0.0)
                if quit_after_ready:
                    time.sleep(0.3)
                    probe.press("q")
        elif name == "memory":
            outcome["memory"] = event["maxrss_mib"]
        elif name == "list-size":
            outcome["notes"].append(f"{event['what']}: {event['total']} items in the list")
        elif "seconds" in event:
            outcome[name] = event["seconds"]
        elif event.get("timeout"):
            outcome["notes"].append(f"{name}: no frame showed it within 20 s")
    else:
        outcome["notes"].append("the probe ran out of time")
    errors = probe.finish()
    if "ready" not in outcome:
        print(f"  the app never showed a populated list; its stderr ends with:\n{errors}")
    return outcome


# --- newsboat ----------------------------------------------------------------------------------


def run_newsboat(
    newsboat: str, work: Path, served: Path, per_source: list[list[tuple[str, str, str]]], runs: int
) -> float | None:
    for number, items in enumerate(per_source):
        (served / f"items-{number:02d}.xml").write_bytes(b.items_feed_xml(f"source{number}", items))
    folder = work / "newsboat"
    folder.mkdir()
    env = {
        **os.environ,
        "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder),
        "XDG_DATA_HOME": str(folder),
    }
    with b.FeedServer(served, latency_s=0.0) as server:
        (folder / "urls").write_text(
            "".join(server.url(f"items-{n:02d}.xml") + "\n" for n in range(len(per_source)))
        )
        (folder / "config").write_text("reload-threads 8\nmax-items 0\n")
        base = [
            newsboat,
            "-u",
            str(folder / "urls"),
            "-c",
            str(folder / "cache.db"),
            "-C",
            str(folder / "config"),
        ]
        started = time.perf_counter()
        done = subprocess.run(
            [*base, "-x", "reload"],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        print(
            f"reload once to fill its cache: {time.perf_counter() - started:.1f} s"
            + (
                ""
                if done.returncode == 0
                else f" (exit {done.returncode}: {done.stderr.strip()[-200:]})"
            )
        )
    walls = []
    output = ""
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [*base, "-x", "print-unread"],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        walls.append(time.perf_counter() - started)
        output = done.stdout.strip()
    wall = statistics.median(walls)
    # ru_maxrss of a direct child carries this (large) process's peak over fork and exec;
    # /usr/bin/time forks newsboat from a small process, so its figure is newsboat's own.
    memory = "n/a (no /usr/bin/time)"
    if Path("/usr/bin/time").exists():
        done = subprocess.run(
            ["/usr/bin/time", "-f", "maxrss_kib=%M", *base, "-x", "print-unread"],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        for line in done.stderr.splitlines():
            if line.startswith("maxrss_kib="):
                memory = f"{int(line.split('=')[1]) / 1024:.0f} MiB"
    print(f"print-unread: median {wall * 1000:.0f} ms, peak RSS {memory}, says {output!r}")
    return wall


# --- keys during a refresh -------------------------------------------------------------------------


def compare_with_cli_refresh(probe: Probe, other_home: Path, seen: list[dict[str, Any]]) -> None:
    reader_command = Path(sys.executable).with_name("reader")
    if not reader_command.exists():
        return
    env = {**os.environ, "READER_HOME": str(other_home)}
    started = time.monotonic()
    process = subprocess.Popen(
        [str(reader_command), "refresh", "--force"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    latencies: list[float] = []
    while process.poll() is None and len(latencies) < 5000:
        latencies.extend(press_keys(probe, 1, stop_event=None, seen=seen, first=len(latencies)))
    process.wait()
    print(
        f"for comparison, the same keys while `reader refresh --force` runs in another process "
        f"({time.monotonic() - started:.1f} s):"
    )
    print(f"                  {b.summary_ms(latencies)}")


def key_latency(
    work: Path,
    home: Path,
    served: Path,
    feeds: int,
    entries: int,
    idle_keys: int,
    compare_process: bool = True,
) -> dict[str, float | None] | None:
    """Key latency during the app's refresh: returns its p95 (s) and the app's peak
    memory (MiB) by the end of the refresh."""
    corpus = work / "feeds"
    b.write_feed_corpus(corpus, feeds, entries)
    for path in corpus.iterdir():
        shutil.copy(path, served / path.name)
    keys_home = work / "keys-home"
    shutil.copytree(home, keys_home)
    keys_home_2 = work / "keys-home-2"
    from reader.core.library import Library

    with b.FeedServer(served, latency_s=0.05, hang_s=15) as server:
        with Library(b.database_path(keys_home)) as library:
            existing = [source for source in library.sources() if source.kind == "feed"]
            for number in range(feeds):
                url = server.url(f"{number:03d}.xml")
                if number < len(existing):
                    library.store.update_source(existing[number].id, url=url)
                else:
                    library.store.ensure_source("feed", url, url)
            item_count = library.count_items()
        if compare_process:
            shutil.copytree(keys_home, keys_home_2)
        print(
            f"library: the {item_count} items above plus {feeds} feeds of {entries} entries to refresh "
            f"(+50 ms per response); refresh available: {callable(getattr(library, 'refresh', None))}"
        )
        probe = Probe(
            {"BENCH_MODE": "reader", "BENCH_SCRIPT": "keys", "READER_HOME": str(keys_home)}
        )
        seen: list[dict[str, Any]] = []
        p95: float | None = None
        app_memory: float | None = None
        try:
            if probe.wait_for("ready", 60, seen) is None:
                print(f"the app did not start: {probe.finish()[-800:]}")
                return None
            time.sleep(0.5)
            idle_parts: dict[str, list[float]] = {"wait": [], "action": [], "frame": []}
            idle = press_keys(probe, idle_keys, stop_event=None, parts=idle_parts)
            print(f"idle              {b.summary_ms(idle)}")
            print_parts(idle_parts)
            written = probe.press("R")
            requested = probe.wait_for("refresh-requested", 5, seen)
            if requested is None or not requested.get("available"):
                print("skipped: the app has no refresh yet (Library.refresh is missing)")
                probe.press("q")
                return None
            parts: dict[str, list[float]] = {"wait": [], "action": [], "frame": []}
            sampler = DescendantMemory(probe.process.pid)
            during = press_keys(
                probe, MAX_REFRESH_KEYS, stop_event="refresh-finished", seen=seen, parts=parts
            )
            finished = [event for event in seen if event["event"] == "refresh-finished"]
            refresh_wall = (finished[-1]["t"] - written) if finished else float("nan")
            print(f"during refresh    {b.summary_ms(during)}")
            print_parts(parts)
            progress = [event for event in seen if event["event"] == "refresh-progress"]
            summary = finished[-1].get("summary") if finished else "did not finish"
            print(
                f"refresh in the app: {refresh_wall:.1f} s, {len(progress)} progress messages; {summary}"
            )
            if finished and "maxrss_mib" in finished[-1]:
                print(
                    f"peak RSS of the app process by the end of the refresh: {finished[-1]['maxrss_mib']:.0f} MiB "
                    f"(parse workers not included)"
                )
            sampler.stop()
            if sampler.peaks:
                peaks = sorted(sampler.peaks.values(), reverse=True)
                print(
                    f"peak RSS of the app's child processes during the refresh (the refresh "
                    f"process and its parse workers): {', '.join(f'{m:.0f}' for m in peaks[:4])} MiB"
                )
            p95 = b.percentile(during, 0.95) if during else None
            if finished and "maxrss_mib" in finished[-1]:
                app_memory = finished[-1]["maxrss_mib"]
            if compare_process:
                # The same refresh again (every feed anew: the library is a fresh copy) by
                # `reader refresh` in its own process, to tell GIL and event-loop contention
                # inside the app apart from two busy cores.
                compare_with_cli_refresh(probe, keys_home_2, seen)
            probe.press("q")
        finally:
            errors = probe.finish()
            if p95 is None and "Traceback" in errors:
                print(f"the app's last screen: {errors[-600:]}")
    return {"p95": p95, "app_memory": app_memory}


class DescendantMemory:
    """Samples the peak RSS (VmHWM) of every descendant of a process, twice a second."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _children(self, pid: int) -> list[int]:
        found: list[int] = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
        return found

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            pending, seen = self._children(self.pid), set()
            while pending:
                pid = pending.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                pending += self._children(pid)
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            mib = int(line.split()[1]) / 1024
                            self.peaks[pid] = max(self.peaks.get(pid, 0.0), mib)
                except OSError:
                    pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def print_parts(parts: dict[str, list[float]]) -> None:
    names = {"wait": "key to action", "action": "the action", "frame": "action to frame"}
    for name, values in parts.items():
        print(f"  {names[name]:15} {b.summary_ms(values)}")


def press_keys(
    probe: Probe,
    limit: int,
    stop_event: str | None,
    seen: list[dict[str, Any]] | None = None,
    parts: dict[str, list[float]] | None = None,
    first: int = 0,
) -> list[float]:
    """Press j and k in turn, each after the previous one showed; returns latencies (s).

    `parts` collects where each one went: waiting for the event loop (wait), the
    move action itself (action), and until the next frame was written (frame)."""
    latencies: list[float] = []
    stopped = False
    for number in range(limit):
        written = probe.press("j" if (number + first) % 2 == 0 else "k")
        deadline = written + 5.0
        while True:
            event = probe.next_event(max(0.0, deadline - time.monotonic()))
            if event is None:
                latencies.append(5.0)
                break
            if seen is not None:
                seen.append(event)
            if event["event"] == "key":
                latencies.append(event["shown"] - written)
                if parts is not None:
                    parts["wait"].append(event["action_started"] - written)
                    parts["action"].append(event["action_finished"] - event["action_started"])
                    parts["frame"].append(event["shown"] - event["action_finished"])
                break
            if stop_event and event["event"] == stop_event:
                stopped = True
            if event["event"] == "closed":
                return latencies
        if stopped:
            break
        time.sleep(0.03)
    return latencies


if __name__ == "__main__":
    raise SystemExit(main())
