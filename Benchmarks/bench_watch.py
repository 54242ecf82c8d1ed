#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The watched-opens section of `make bench` (not part of `make test`; run as root).

Opens of a watched file, timed by bench_opener.c, for:
  - an unwatched file (what an open costs with no filter);
  - the floor: bench_fanotify_floor.c, the least C that does the job (fanotify, a Unix socket to a client
    process, the verdict), bare (a 4-byte request) and with minifltd's work (same-work: the path looked up and
    sent in a 4,096-byte message on a stream socket, the verdict acknowledged);
  - minifltd --watch with its default options but --verdict-cache false (so that every open is asked) and a C
    client through libfltlib (bench_watch_client.c, one thread answering at once); again at --log-level warning;
  - a client with 4 threads that each take 1 ms per verdict: 4 processes opening at once against 1;
  - a cached open (the default options: the file was allowed once) against an unwatched one;
  - minifltscan --pass-descriptors --verdict-cache false with a C client (bench_scan_client.c) that scans the
    file's first 1,024 bytes copied into SCANNER_NOTIFICATION ("copy", all a copy can carry), one that reads
    those same bytes with pread through the descriptor that comes with the message ("fd"), and one that reads
    the whole file through the descriptor ("fd-all"), for a 100-byte and a 64 KiB file.
The floors and the two minifltd rows run in turn, 3 rounds, and report medians. Then the verdict-latency
histogram of the minifltd row. One pass with every process pinned to CPU 0, one unpinned. Appends one markdown section to --out and prints it.

Usage: bench_watch.py --bin DIR --minifltd PATH [--minifltscan PATH] --seconds S --out FILE
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

PORT = "\\MiniFltBenchWatch"
SCAN_PORT = "\\MiniFltBenchScan"
SCAN_FILES = [("100 B", 100), ("64 KiB", 65536)]
SCAN_MODES = ["copy", "fd", "fd-all"]
# What each scanner client reads of a file of `size` bytes, for the report.
SCAN_READS = {
    "copy": lambda size: f"first {min(size, 1024):,} B, copied into the message",
    "fd": lambda size: f"first {min(size, 1024):,} B, pread through the descriptor",
    "fd-all": lambda size: f"all {size:,} B, pread through the descriptor",
}
BUCKETS = ["<= 50 us", "<= 100 us", "<= 500 us", "<= 1 ms", "<= 10 ms", "> 10 ms"]
# The floors and minifltd run in turn, this many rounds, and each reports its median: one run of a few seconds
# moves by several percent with whatever else the machine does, more than the margins the targets leave.
ROUNDS = 3
ROUND_ROWS = ["floor", "floor, same work", "minifltd", "minifltd, --log-level warning"]


def listening(name):
    with open("/proc/net/unix") as table:
        return any(line.split()[-1] == "@" + name.lower() for line in table if len(line.split()) >= 8)


class Processes:
    """What a row starts, stopped by pid when it ends."""

    def __init__(self):
        self.started = []

    def start(self, command, ready=None):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.started.append(process)
        if ready == "line":
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"{command[0]} did not start")
        return process

    def stop(self):
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.started = []


def opener(binary, prefix, path, seconds, processes=1):
    output = subprocess.run(
        prefix + [binary, path, str(seconds), str(processes)], capture_output=True, text=True, check=True
    ).stdout.split()
    values = dict(zip(output[0:8:2], output[1:8:2]))
    return {
        "p50": float(values["p50_us"]),
        "p99": float(values["p99_us"]),
        "rate": float(values["rt_per_s"]),
        "hist": [int(count) for count in output[9:15]],
    }


def median(runs):
    """The median run's p50 and the median rate (each over the rounds), and every round's histogram summed."""
    middle = len(runs) // 2
    return {
        "p50": sorted(run["p50"] for run in runs)[middle],
        "p99": sorted(run["p99"] for run in runs)[middle],
        "rate": sorted(run["rate"] for run in runs)[middle],
        "hist": [sum(counts) for counts in zip(*(run["hist"] for run in runs))],
        "rates": [run["rate"] for run in runs],
    }


def minifltd_with_client(processes, args, prefix, directory, options, threads=1, delay_us=0):
    processes.start(prefix + [args.minifltd, "--port", PORT, "--watch", directory, "--log-target", "console"] + options)
    wait_listening(PORT, "minifltd")
    client = os.path.join(args.bin, "bench_watch_client")
    processes.start(prefix + [client, PORT, str(threads), str(delay_us)], ready="line")
    time.sleep(0.3)  # the connect routine registers the client


def wait_listening(name, what):
    deadline = time.time() + 10
    while not listening(name):
        if time.time() > deadline:
            raise RuntimeError(f"{what} did not listen")
        time.sleep(0.05)


def scanner_rows(args, prefix, base, open_bin):
    """minifltscan with a client scanning the copied bytes against one reading through the descriptor."""
    rows = {}
    directory = os.path.join(base, "scanned")
    os.mkdir(directory)
    for label, size in SCAN_FILES:
        with open(os.path.join(directory, f"{size}.txt"), "w") as file:
            file.write(("clean text " * (size // 11 + 1))[:size])
    processes = Processes()
    try:
        for label, size in SCAN_FILES:
            for mode in SCAN_MODES:
                processes.start(
                    prefix
                    + [args.minifltscan, "--port", SCAN_PORT, "--watch", directory, "--verdict-cache", "false"]
                    + ["--pass-descriptors"]
                )
                wait_listening(SCAN_PORT, "minifltscan")
                processes.start(prefix + [os.path.join(args.bin, "bench_scan_client"), SCAN_PORT, mode], ready="line")
                time.sleep(0.3)  # the connect routine registers the client
                rows[f"scanner {mode}, {label}"] = opener(
                    open_bin, prefix, os.path.join(directory, f"{size}.txt"), args.seconds
                )
                processes.stop()
    finally:
        processes.stop()
    return rows


def one_pass(args, pinned):
    prefix = ["taskset", "-c", "0"] if pinned else []
    open_bin = os.path.join(args.bin, "bench_opener")
    rows = {}
    with tempfile.TemporaryDirectory(prefix="minifltd-bench-watch-", dir="/var/tmp") as base:
        plain, watched = os.path.join(base, "plain"), os.path.join(base, "watched")
        for directory in (plain, watched):
            os.mkdir(directory)
            with open(os.path.join(directory, "file"), "w") as file:
                file.write("data\n")
        processes = Processes()
        try:
            rows["unwatched"] = opener(open_bin, prefix, os.path.join(plain, "file"), args.seconds)
            floor = os.path.join(args.bin, "bench_fanotify_floor")
            rounds = {name: [] for name in ROUND_ROWS}
            for _ in range(ROUNDS):
                for name, server in [("floor", [floor, watched]), ("floor, same work", [floor, watched, "same-work"])]:
                    processes.start(prefix + server, ready="line")
                    rounds[name].append(opener(open_bin, prefix, os.path.join(watched, "file"), args.seconds))
                    processes.stop()
                for name, options in [
                    ("minifltd", ["--verdict-cache", "false"]),
                    ("minifltd, --log-level warning", ["--verdict-cache", "false", "--log-level", "warning"]),
                ]:
                    minifltd_with_client(processes, args, prefix, watched, options)
                    rounds[name].append(opener(open_bin, prefix, os.path.join(watched, "file"), args.seconds))
                    processes.stop()
            rows.update({name: median(runs) for name, runs in rounds.items()})
            minifltd_with_client(processes, args, prefix, watched, ["--verdict-cache", "false"], threads=4, delay_us=1000)
            rows["1 ms client, 1 process"] = opener(open_bin, prefix, os.path.join(watched, "file"), args.seconds)
            rows["1 ms client, 4 processes"] = opener(open_bin, prefix, os.path.join(watched, "file"), args.seconds, 4)
            processes.stop()
            minifltd_with_client(processes, args, prefix, watched, [])
            opener(open_bin, prefix, os.path.join(watched, "file"), 0.2)  # the first open is asked, then cached
            rows["cached"] = opener(open_bin, prefix, os.path.join(watched, "file"), args.seconds)
            processes.stop()
            if args.minifltscan:
                rows.update(scanner_rows(args, prefix, base, open_bin))
        finally:
            processes.stop()
    return rows


def report(passes):
    lines = ["## Watched opens (fanotify)", ""]
    for title, rows in passes:
        floor, same, unwatched = rows["floor"], rows["floor, same work"], rows["unwatched"]
        lines += [
            f"### {title}",
            "",
            "| row | p50 us | p99 us | opens/s | p50 vs floor | opens/s vs floor | p50 vs same-work floor | "
            "opens/s vs same-work floor |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name in ["unwatched", "floor", "floor, same work", "minifltd", "minifltd, --log-level warning", "cached"]:
            row = rows[name]
            lines.append(
                f"| {name} | {row['p50']:.1f} | {row['p99']:.1f} | {row['rate']:.0f} | "
                f"{row['p50'] / floor['p50']:.2f}x | {row['rate'] / floor['rate']:.2f}x | "
                f"{row['p50'] / same['p50']:.2f}x | {row['rate'] / same['rate']:.2f}x |"
            )
        one, four = rows["1 ms client, 1 process"], rows["1 ms client, 4 processes"]
        cached = rows["cached"]
        mine = rows["minifltd"]
        lines += [
            "",
            f"Against the same-work floor (the floor doing minifltd's work; medians of {ROUNDS} rounds in turn): "
            f"minifltd's p50 **{mine['p50'] / same['p50']:.2f}x** (target at most 1.25x), its opens/s "
            f"**{mine['rate'] / same['rate']:.2f}x** (target at least 0.8x; each round: "
            + ", ".join(f"{rate / same_rate:.2f}x" for rate, same_rate in zip(mine["rates"], same["rates"]))
            + ").",
            f"- a client with 4 threads taking 1 ms per verdict: 4 processes {four['rate']:.0f} opens/s, 1 process "
            f"{one['rate']:.0f}: **{four['rate'] / one['rate']:.2f}x**",
            f"- a cached open against an unwatched one: p50 **{cached['p50'] / unwatched['p50']:.2f}x** "
            f"({cached['p50']:.1f} against {unwatched['p50']:.1f} us)",
            f"- verdict latency of the minifltd row (opens, its {ROUNDS} rounds): "
            + ", ".join(f"{bucket}: {count}" for bucket, count in zip(BUCKETS, rows["minifltd"]["hist"])),
            "",
        ]
        if "scanner copy, 100 B" in rows:
            lines += [
                "minifltscan --pass-descriptors, every open scanned, by what the client reads: a copy carries at "
                "most the first 1,024 bytes; only the descriptor lets it read the whole file",
                "",
                "| file | client | reads | p50 us | p99 us | opens/s | opens/s vs copy |",
                "|---|---|---|---|---|---|---|",
            ]
            for label, size in SCAN_FILES:
                copy = rows[f"scanner copy, {label}"]
                for mode in SCAN_MODES:
                    row = rows[f"scanner {mode}, {label}"]
                    lines.append(
                        f"| {label} | {mode} | {SCAN_READS[mode](size)} | {row['p50']:.1f} | {row['p99']:.1f} | "
                        f"{row['rate']:.0f} | {row['rate'] / copy['rate']:.2f}x |"
                    )
            lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--minifltd", required=True)
    parser.add_argument("--minifltscan", default=None)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_watch.py: fanotify needs root")
    passes = [("pinned to CPU 0", one_pass(args, True)), ("unpinned", one_pass(args, False))]
    text = report(passes)
    print(text)
    with open(args.out, "a") as out:
        out.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
