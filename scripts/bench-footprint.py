#!/usr/bin/env python3
"""Measures the footprint of the release build of Graphlink on this machine.

An account is linked against the simulator first. Then, for the tray alone
(window closed) and for the tray with the status window open, it records
over an idle period the total RSS and PSS of every Graphlink process: the
tray, the window and the WebKit processes the window starts. It also
records their CPU ticks (utime + stime) and voluntary context switches,
summed over all threads. It also
measures the time from starting the tray to its IPC socket accepting a
connection, which happens after the engine, the icon's event loop and the
socket are set up.

Run it inside a desktop session with a keyring, as scripts/bench-footprint.sh
does: xvfb-run, a private D-Bus session and gnome-keyring. It prints a
Markdown table and JSON.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IDLE_SECONDS = int(os.environ.get("IDLE_SECONDS", "60"))
STARTS = 5
USERNAME = "adele.vance@contoso.example"
PASSWORD = "sim-password"
DEMO_CLIENT_ID = "6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9c40"


def descendants(pid):
    """Returns pid and every process below it."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def process_name(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def memory_kib(pid):
    """Returns (RSS, PSS) in KiB from smaps_rollup."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if parts and parts[0] in ("Rss:", "Pss:"):
                values[parts[0]] = int(parts[1])
    except OSError:
        return 0, 0
    return values.get("Rss:", 0), values.get("Pss:", 0)


def ticks(pid):
    """Returns utime + stime of the whole process, in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def voluntary_switches(pid):
    """Returns the voluntary context switches of each thread of the process, by thread ID."""
    switches = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    switches[task.name] = int(line.split()[1])
        except OSError:
            pass
    return switches


def switches_between(early, late):
    """Sums the switches of threads alive at both samples. Threads that started
    or ended in between are left out, so the sum is a lower bound."""
    return sum(count - early[tid] for tid, count in late.items() if tid in early)


def sample(root_pids):
    pids = sorted({pid for root in root_pids for pid in descendants(root)})
    return {
        pid: {"name": process_name(pid), "memory": memory_kib(pid), "ticks": ticks(pid), "switches": voluntary_switches(pid)}
        for pid in pids
    }


def idle_measurement(root_pids, label):
    before = sample(root_pids)
    time.sleep(IDLE_SECONDS)
    after = sample(root_pids)
    processes = []
    for pid, late in after.items():
        early = before.get(pid, {"ticks": 0, "switches": {}})
        processes.append({
            "pid": pid,
            "name": late["name"],
            "rss_kib": late["memory"][0],
            "pss_kib": late["memory"][1],
            "cpu_ticks": late["ticks"] - early["ticks"],
            "voluntary_switches": switches_between(early["switches"], late["switches"]),
        })
    return {
        "label": label,
        "idle_seconds": IDLE_SECONDS,
        "processes": processes,
        "rss_mib": round(sum(p["rss_kib"] for p in processes) / 1024, 1),
        "pss_mib": round(sum(p["pss_kib"] for p in processes) / 1024, 1),
        "cpu_ticks": sum(p["cpu_ticks"] for p in processes),
        "voluntary_switches": sum(p["voluntary_switches"] for p in processes),
        "webkit_processes": [p["name"] for p in processes if "WebKit" in p["name"]],
    }


def wait_for_socket(path, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_UNIX) as client:
                client.connect(str(path))
                return True
        except OSError:
            time.sleep(0.001)
    return False


# Events the tray sends ahead of a reply.
PROGRESS_EVENTS = {"sign_in_page", "device_code"}


def request(path, message):
    """Sends one request and returns its reply, skipping the progress events
    (such as the sign-in address) that come before it."""
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(str(path))
        client.sendall((json.dumps(message) + "\n").encode())
        for line in client.makefile():
            event = json.loads(line)
            if event.get("type") not in PROGRESS_EVENTS:
                return event
        raise RuntimeError(f"the tray closed the connection without replying to {message}")


def main():
    release = Path(sys.argv[1]).resolve()
    debug = Path(sys.argv[2]).resolve()
    root = Path(tempfile.mkdtemp(prefix="graphlink-bench-"))
    runtime = root / "runtime"
    runtime.mkdir(mode=0o700)
    sim = subprocess.Popen([debug / "graphlink-sim", "--user", f"{USERNAME}:{PASSWORD}", "--access-token-lifetime", "3599"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = sim.stdout.readline().strip()
    env = dict(
        os.environ,
        HOME=str(root / "home"),
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_DATA_HOME=str(root / "data"),
        XDG_STATE_HOME=str(root / "state"),
        XDG_RUNTIME_DIR=str(runtime),
        GRAPHLINK_CLIENT_ID=DEMO_CLIENT_ID,
        GRAPHLINK_AUTHORITY=f"{base}/organizations/v2.0",
        GRAPHLINK_GRAPH_URL=f"{base}/v1.0",
        BROWSER=str(debug / "sim-browser"),
        SIM_BROWSER_USER=USERNAME,
        SIM_BROWSER_PASSWORD=PASSWORD,
        GRAPHLINK_WINDOW="true",
    )
    socket_path = runtime / "graphlink" / "tray.sock"
    tray_binary = release / "graphlink"
    results = {"tray_binary_bytes": tray_binary.stat().st_size, "window_binary_bytes": (release / "graphlink-window").stat().st_size}

    # Start until ready, with an account linked (the usual start at login).
    tray = subprocess.Popen([tray_binary], env=env, stderr=subprocess.DEVNULL)
    assert wait_for_socket(socket_path), "the tray did not start"
    outcome = request(socket_path, {"type": "connect"})
    assert outcome["outcome"]["result"] == "connected", outcome
    tray.terminate()
    tray.wait()
    starts = []
    for _ in range(STARTS):
        started = time.monotonic()
        tray = subprocess.Popen([tray_binary], env=env, stderr=subprocess.DEVNULL)
        assert wait_for_socket(socket_path), "the tray did not start"
        starts.append(round((time.monotonic() - started) * 1000, 1))
        tray.terminate()
        tray.wait()
    results["start_to_ready_ms"] = starts

    tray = subprocess.Popen([tray_binary], env=env, stderr=subprocess.DEVNULL)
    assert wait_for_socket(socket_path), "the tray did not start"
    time.sleep(5)  # let the first check finish
    results["window_closed"] = idle_measurement([tray.pid], "window closed")

    window_env = dict(env, GRAPHLINK_ENDPOINT=str(socket_path))
    window = subprocess.Popen([release / "graphlink-window"], env=window_env, stderr=subprocess.DEVNULL)
    time.sleep(5)
    results["window_open"] = idle_measurement([tray.pid, window.pid], "window open")
    window.terminate()
    window.wait()
    time.sleep(2)
    results["webkit_after_close"] = [p["name"] for p in sample([tray.pid]).values() if "WebKit" in p["name"]]

    tray.terminate()
    tray.wait()
    sim.terminate()
    sim.wait()

    print("| state | total RSS | total PSS | CPU ticks / idle minute | voluntary switches / idle minute | processes |")
    print("| --- | --- | --- | --- | --- | --- |")
    for key in ("window_closed", "window_open"):
        row = results[key]
        scale = 60 / row["idle_seconds"]
        names = ", ".join(f'{p["name"]} ({p["pss_kib"] / 1024:.1f} MiB PSS)' for p in row["processes"])
        print(f'| {row["label"]} | {row["rss_mib"]} MiB | {row["pss_mib"]} MiB | {row["cpu_ticks"] * scale:.0f} | {row["voluntary_switches"] * scale:.0f} | {names} |')
    print()
    print(f"start until the tray is ready: {results['start_to_ready_ms']} ms")
    print(f"WebKit processes after the window closed: {results['webkit_after_close'] or 'none'}")
    print()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
