#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""minifltd's benchmark (`make bench`; not part of `make test`).

Round trips per second and p50/p99 latency of a hello exchange (SIZE bytes in, "Hello, User" back) for
16 B, 4 KiB and 64 KiB messages, with 1 and 8 clients, for:
  - the floor: a plain C epoll server speaking the same framing (c-floor-server.c), via libfltlib;
  - minifltd with its default options (as `make run` and the unit run it; only --max-connections 8 and the
    port are given), via libfltlib (the same C client as the floor, so the ratio is the server's);
  - minifltd with --log-level warning, via libfltlib;
  - minifltd via the Swift client (minifltctl send --clients), default options;
  - D-Bus method calls through sd-bus, peer to peer and through a private dbus-daemon.
Then 32 SENDs in flight on one connection (bench_pipelined.c) to the floor and to the default minifltd,
each against the floor's 1-client synchronous rate. Then the get/reply round trip (bench_fltlib_get.c)
against the floor pushing messages (c-floor-server --push): FilterGetMessage with an OVERLAPPED and an
event, and with a completion port, each against the synchronous FilterGetMessage in the same pass (the
target: within 1.3x). One pass with every process pinned to CPU 0, one
unpinned. Then minifltd's memory idle and with 1,000 connected clients (RSS, and the private part: RssAnon
and PSS, since most of RSS is shared library pages), and its time from start to READY=1. Prints one
markdown report.

Usage: bench.py --bin DIR --minifltd PATH --minifltctl PATH [--seconds S] [--out FILE]
"""
import argparse
import os
import re
import resource
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

SIZES = [16, 4096, 65536]
CLIENT_COUNTS = [1, 8]
MINIFLTD_PORT = "\\MiniFltBench"
QUIET_PORT = "\\MiniFltBenchQuiet"
PIPELINE_DEPTH = 32
FLOOR_PORT = "\\MiniFltBenchFloor"
PUSH_PORT = "\\MiniFltBenchPush"
GET_MODES = [("sync", "get/reply: FilterGetMessage, synchronous (the base of this block's ratios)"),
             ("overlapped", "get/reply: FilterGetMessage with an OVERLAPPED and an event"),
             ("completion", "get/reply: FilterGetMessage with an OVERLAPPED, completion port")]
P2P_NAME = "minifltbench-dbus-p2p"
BUS_NAME = "minifltbench-dbus-daemon"

BUS_CONFIG = f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:abstract={BUS_NAME}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class Servers:
    """The processes a pass starts; all are stopped by pid when the pass ends."""

    def __init__(self):
        self.processes = []

    def start(self, command, **options):
        process = subprocess.Popen(command, **options)
        self.processes.append(process)
        return process

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []


def listening(abstract_name):
    """Whether a stream socket listens at @abstract_name (from /proc/net/unix)."""
    with open("/proc/net/unix") as table:
        return any(line.endswith(" @" + abstract_name) and " 00010000 " in line for line in table.read().splitlines())


def wait_listening(abstract_name, process):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if listening(abstract_name):
            return
        if process.poll() is not None:
            sys.exit(f"bench: {process.args[0]} exited with {process.returncode} before listening at @{abstract_name}")
        time.sleep(0.02)
    sys.exit(f"bench: nothing listens at @{abstract_name} after 10 s")


def parse_c(output):
    match = re.search(r"count (\d+) p50_us ([\d.]+) p99_us ([\d.]+) rt_per_s ([\d.]+)", output)
    if not match:
        sys.exit(f"bench: cannot read a result from: {output!r}")
    return {"rt": float(match[4]), "p50": float(match[2]), "p99": float(match[3])}


def parse_minifltctl(output):
    match = re.search(r"count (\d+)\s+p50 ([\d.]+) us\s+p99 ([\d.]+) us\s+(\d+) rt/s", output)
    if not match:
        sys.exit(f"bench: cannot read a result from minifltctl: {output!r}")
    return {"rt": float(match[4]), "p50": float(match[2]), "p99": float(match[3])}


def run(command):
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def measure_pass(args, pin):
    prefix = ["taskset", "-c", "0"] if pin else []
    servers = Servers()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    rows = []
    try:
        # The default daemon's stderr goes nowhere, but its log target is its own choice (`auto`), as shipped.
        daemon = servers.start(prefix + [args.minifltd, "--port", MINIFLTD_PORT, "--max-connections", "8"], **quiet)
        quiet_daemon = servers.start(prefix + [args.minifltd, "--port", QUIET_PORT, "--max-connections", "8",
                                               "--log-level", "warning", "--log-target", "console"], **quiet)
        floor = servers.start(prefix + [os.path.join(args.bin, "c-floor-server"), FLOOR_PORT], **quiet)
        push = servers.start(prefix + [os.path.join(args.bin, "c-floor-server"), PUSH_PORT, "--push"], **quiet)
        p2p = servers.start(prefix + [os.path.join(args.bin, "bench_dbus"), "serve-p2p", P2P_NAME], **quiet)
        config = os.path.join(args.bin, "bench-bus.conf")
        with open(config, "w") as file:
            file.write(BUS_CONFIG)
        bus = servers.start(prefix + ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        bus_address = bus.stdout.readline().strip()
        if not bus_address:
            sys.exit("bench: dbus-daemon printed no address")
        bus_server = servers.start(prefix + [os.path.join(args.bin, "bench_dbus"), "serve-bus", bus_address],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if bus_server.stdout.readline().strip() != "ready":
            sys.exit("bench: the D-Bus server did not take its name on dbus-daemon")
        wait_listening(MINIFLTD_PORT.lower(), daemon)
        wait_listening(QUIET_PORT.lower(), quiet_daemon)
        wait_listening(FLOOR_PORT.lower(), floor)
        wait_listening(PUSH_PORT.lower(), push)
        wait_listening(P2P_NAME, p2p)

        fltlib = os.path.join(args.bin, "bench_fltlib")
        pipelined = os.path.join(args.bin, "bench_pipelined")
        dbus = os.path.join(args.bin, "bench_dbus")
        seconds = str(args.seconds)
        for size in SIZES:
            for clients in CLIENT_COUNTS:
                n = str(clients)
                floor_result = parse_c(run(prefix + [fltlib, FLOOR_PORT, str(size), n, seconds]))
                c_result = parse_c(run(prefix + [fltlib, MINIFLTD_PORT, str(size), n, seconds]))
                quiet_result = parse_c(run(prefix + [fltlib, QUIET_PORT, str(size), n, seconds]))
                # minifltctl counts sends rather than seconds: as many as the C client managed in the time.
                repeat = max(1000, int(c_result["rt"] * args.seconds / clients))
                swift_result = parse_minifltctl(run(prefix + [
                    args.minifltctl, "send", "--port", MINIFLTD_PORT, "--size", str(size), "--capacity", "4096",
                    "--clients", n, "--repeat", str(repeat), "Hello"]))
                p2p_result = parse_c(run(prefix + [dbus, "call", f"unix:abstract={P2P_NAME}", "p2p", str(size), n, seconds]))
                bus_result = parse_c(run(prefix + [dbus, "call", bus_address, "bus", str(size), n, seconds]))
                for name, result in [("C epoll floor (libfltlib client)", floor_result),
                                     ("minifltd default options, libfltlib client", c_result),
                                     ("minifltd --log-level warning, libfltlib client", quiet_result),
                                     ("minifltd, Swift client", swift_result),
                                     ("D-Bus peer to peer (sd-bus)", p2p_result),
                                     ("D-Bus via dbus-daemon (sd-bus)", bus_result)]:
                    rows.append({"pin": pin, "size": size, "clients": clients, "name": name, **result,
                                 "floor": floor_result, "bus": bus_result})
                print(f"bench: {'pinned' if pin else 'unpinned'} {size} B x {clients}: floor {floor_result['rt']:.0f}, "
                      f"minifltd C {c_result['rt']:.0f}, warning {quiet_result['rt']:.0f}, Swift {swift_result['rt']:.0f}, "
                      f"D-Bus p2p {p2p_result['rt']:.0f}, dbus-daemon {bus_result['rt']:.0f} rt/s", file=sys.stderr)
                if clients == 1:
                    depth = str(PIPELINE_DEPTH)
                    for name, port in [("C epoll floor, 32 in flight on 1 connection", FLOOR_PORT),
                                       ("minifltd default options, 32 in flight on 1 connection", MINIFLTD_PORT)]:
                        result = parse_c(run(prefix + [pipelined, port, str(size), depth, seconds]))
                        rows.append({"pin": pin, "size": size, "clients": 1, "name": name, **result,
                                     "floor": floor_result, "bus": bus_result})
        # The get/reply round trip, 1 client; the synchronous get is the base. Three rounds, the median of each.
        getter = os.path.join(args.bin, "bench_fltlib_get")
        rounds = {mode: [] for mode, _ in GET_MODES}
        for _ in range(3):
            for mode, _ in GET_MODES:
                rounds[mode].append(parse_c(run(prefix + [getter, PUSH_PORT, mode, seconds])))
        median = {mode: {key: statistics.median(r[key] for r in results) for key in ("rt", "p50", "p99")}
                  for mode, results in rounds.items()}
        for mode, name in GET_MODES:
            rows.append({"pin": pin, "size": 16, "clients": 1, "name": name, **median[mode],
                         "floor": median["sync"], "bus": rows[0]["bus"]})
        print(f"bench: {'pinned' if pin else 'unpinned'} get/reply: sync {median['sync']['rt']:.0f} rt/s "
              f"p50 {median['sync']['p50']:.1f} us, overlapped {median['overlapped']['rt']:.0f} rt/s "
              f"p50 {median['overlapped']['p50']:.1f} us, completion port {median['completion']['rt']:.0f} rt/s "
              f"p50 {median['completion']['p50']:.1f} us", file=sys.stderr)
    finally:
        servers.stop()
    return rows


def memory_kib(pid):
    """RSS, its anonymous (private) part, and the proportional set size, in KiB."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon"):
                fields[key] = int(value.split()[0])
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                fields["Pss"] = int(line.split()[1])
    return {"rss": fields.get("VmRSS", -1), "anon": fields.get("RssAnon", -1), "pss": fields.get("Pss", -1)}


def memory_and_startup(args):
    """Idle RSS, RSS with 1,000 connected clients, and start to READY=1 (median of 5)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    servers = Servers()
    try:
        daemon = servers.start([args.minifltd, "--port", MINIFLTD_PORT, "--max-connections", "1000",
                                "--max-pending-handshakes", "1000"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(MINIFLTD_PORT.lower(), daemon)
        time.sleep(0.5)
        idle = memory_kib(daemon.pid)
        connections = []
        address = b"\0" + MINIFLTD_PORT.lower().encode()
        for _ in range(1000):
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.connect(address)
            connection.sendall(struct.pack("<IHHQHHI", 8, 1, 0, 0, 1, 2, 0))
            connections.append(connection)
        for connection in connections:
            answer = connection.recv(20, socket.MSG_WAITALL)
            if answer[:6] != struct.pack("<IH", 4, 2) or answer[16:20] != b"\0\0\0\0":
                sys.exit(f"bench: a client of the 1,000 was not connected: {answer!r}")
        time.sleep(0.5)
        loaded = memory_kib(daemon.pid)
        for connection in connections:
            connection.close()
    finally:
        servers.stop()

    ready_times = []
    for attempt in range(5):
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        name = f"minifltbench-notify-{os.getpid()}-{attempt}"
        notify.bind(b"\0" + name.encode())
        notify.settimeout(10)
        start = time.monotonic()
        daemon = servers.start([args.minifltd, "--port", MINIFLTD_PORT, "--log-level", "warning", "--log-target", "console"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "NOTIFY_SOCKET": "@" + name})
        try:
            while b"READY=1" not in notify.recv(4096):
                pass
            ready_times.append((time.monotonic() - start) * 1000)
        finally:
            servers.stop()
            notify.close()
    return idle, loaded, statistics.median(ready_times)


def report(rows, seconds, idle, loaded, ready_ms):
    lines = ["# minifltd benchmark", "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, {seconds} s per cell. "
             "A round trip: SIZE bytes in, \"Hello, User\" (22 bytes) back. Ratios are against the C floor in the "
             "same pass (rt/s: higher is better; p50: lower is better), and of rt/s against dbus-daemon. The get/reply "
             "rows (a 16-byte message pushed, a 4-byte reply) are against the synchronous FilterGetMessage instead, the "
             "median of three rounds.", ""]
    for pin in [True, False]:
        lines += [f"## {'Pinned: every process on CPU 0 (taskset -c 0)' if pin else 'Unpinned'}", "",
                  "| size | clients | transport | rt/s | p50 us | p99 us | rt/s vs floor | p50 vs floor | rt/s vs dbus-daemon |",
                  "|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
        for row in (r for r in rows if r["pin"] == pin):
            size = {16: "16 B", 4096: "4 KiB", 65536: "64 KiB"}[row["size"]]
            lines.append(f"| {size} | {row['clients']} | {row['name']} | {row['rt']:.0f} | {row['p50']:.1f} | "
                         f"{row['p99']:.1f} | {row['rt'] / row['floor']['rt']:.2f}x | {row['p50'] / row['floor']['p50']:.2f}x | "
                         f"{row['rt'] / row['bus']['rt']:.2f}x |")
        lines.append("")
    lines += ["## minifltd itself", "",
              "| measure | RSS | private (RssAnon) | PSS |", "|---|---:|---:|---:|"]
    for label, numbers in [("idle", idle), ("with 1,000 connected clients (`--max-connections 1000`)", loaded)]:
        lines.append(f"| {label} | {numbers['rss'] / 1024:.1f} MiB | {numbers['anon'] / 1024:.1f} MiB | {numbers['pss'] / 1024:.1f} MiB |")
    lines += [f"| per connected client | {(loaded['rss'] - idle['rss']) / 1000:.1f} KiB | "
              f"{(loaded['anon'] - idle['anon']) / 1000:.1f} KiB | {(loaded['pss'] - idle['pss']) / 1000:.1f} KiB |", "",
              f"Start to READY=1 (median of 5): {ready_ms:.1f} ms.", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="the folder with c-floor-server, bench_fltlib and bench_dbus")
    parser.add_argument("--minifltd", required=True)
    parser.add_argument("--minifltctl", required=True)
    parser.add_argument("--seconds", type=float, default=1.0, help="how long each cell runs (default 1)")
    parser.add_argument("--out", help="also write the report here")
    args = parser.parse_args()
    for name in [MINIFLTD_PORT.lower(), QUIET_PORT.lower(), FLOOR_PORT.lower(), PUSH_PORT.lower(), P2P_NAME, BUS_NAME]:
        if listening(name):
            sys.exit(f"bench: something already listens at @{name}; stop it first")
    rows = measure_pass(args, pin=True) + measure_pass(args, pin=False)
    idle, loaded, ready_ms = memory_and_startup(args)
    text = report(rows, args.seconds, idle, loaded, ready_ms)
    print(text)
    if args.out:
        with open(args.out, "w") as file:
            file.write(text + "\n")


if __name__ == "__main__":
    main()
