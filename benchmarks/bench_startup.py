"""Start-up cost: `import builder`, `convcanvas summary lenet5` and the app's first window.

    python benchmarks/bench_startup.py [--runs 7] [--gui-timeout 30] [--no-gui]

Each command runs in a fresh interpreter, once untimed to warm the file cache, then `--runs`
times with the commands interleaved so that they share the machine's state; the medians of wall
time and of the child's peak memory (max RSS from `os.wait4`) are printed, with ratios against
the bare `import builder` of the same run. Targets: `summary lenet5` under 0.5 s and under 4x the
bare import. The first window is timed from spawning `python -m ui.launcher` (offscreen, with
CONVCANVAS_STARTUP_PROBE=1) to the `first-window` line the app prints after its first paint;
target under 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SUMMARY_TARGET_S, SUMMARY_TARGET_RATIO, WINDOW_TARGET_S = 0.5, 4.0, 1.5


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MiB of one run of `argv` to its exit."""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe, so a chatty child cannot block
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        # wait4 reaps this one child and returns its own rusage, unlike RUSAGE_CHILDREN's running max
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(
                f"{' '.join(argv)} exited with {proc.returncode}:\n{err.read().decode(errors='replace')}"
            )
    return wall, max_rss_mib(usage.ru_maxrss)


def max_rss_mib(ru_maxrss: int) -> float:
    # Linux reports KiB, macOS bytes
    return ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


class ProbeUnavailable(Exception):
    """The app gave no `first-window` line; the message says what happened instead."""


def first_window(timeout: float) -> tuple[float, float]:
    """Seconds from spawning the app to its `first-window` line, and its peak RSS in MiB (NaN if
    it did not quit after the line)."""
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as state, tempfile.TemporaryFile() as err:
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            CONVCANVAS_STARTUP_PROBE="1",
            CONVCANVAS_STATE_DIR=state,  # no saved session or window geometry from earlier runs
        )
        start = time.perf_counter()
        proc = subprocess.Popen(
            [PY, "-m", "ui.launcher"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err
        )
        assert proc.stdout is not None
        seen = read_until(proc.stdout, b"first-window", deadline=start + timeout)
        wall = time.perf_counter() - start
        if seen is None:
            os.kill(proc.pid, signal.SIGKILL)  # not proc.kill(): its poll() would reap the child
        usage = reap(proc, timeout=10)  # the probe quits the app after the line
        proc.stdout.close()
        if not seen:
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines() or ["(no output)"]
            if seen is None:
                raise ProbeUnavailable(f"no 'first-window' line within {timeout:.0f} s")
            raise ProbeUnavailable(f"the app exited with {proc.returncode}: {lines[-1]}")
    return wall, max_rss_mib(usage.ru_maxrss) if usage else float("nan")


def read_until(stream: IO[bytes], marker: bytes, deadline: float) -> bool | None:
    """Read `stream` until `marker`: True once read, False at end of stream, None at `deadline`."""
    buffer = b""
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        while (left := deadline - time.perf_counter()) > 0:
            if not sel.select(left):
                break
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                return False
            buffer += chunk
            if marker in buffer:
                return True
    return None


def reap(proc: subprocess.Popen, timeout: float) -> resource.struct_rusage | None:
    """The rusage of `proc` once it exits; None if it had to be killed after `timeout` seconds."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return usage
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    _pid, status, _usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return None


def commands() -> dict[str, list[str]]:
    cases = {
        "python -c pass": [PY, "-c", "pass"],
        "import builder": [PY, "-c", "import builder"],
        "python -m builder summary lenet5": [PY, "-m", "builder", "summary", "lenet5"],
    }
    script = Path(PY).with_name("convcanvas")
    script_path = str(script) if script.exists() else shutil.which("convcanvas")
    if script_path:
        cases["convcanvas summary lenet5"] = [script_path, "summary", "lenet5"]
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--gui-timeout", type=float, default=30.0, help="seconds to wait for the window")
    parser.add_argument("--no-gui", action="store_true", help="skip the first-window measurement")
    args = parser.parse_args()
    cases = commands()
    for argv in cases.values():
        run_once(argv)  # warm the file cache
    walls: dict[str, list[float]] = {name: [] for name in cases}
    rss: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, argv in cases.items():  # interleaved: every command sees the same machine state
            wall, peak = run_once(argv)
            walls[name].append(wall)
            rss[name].append(peak)
    wall_med = {name: statistics.median(v) for name, v in walls.items()}
    rss_med = {name: statistics.median(v) for name, v in rss.items()}
    base = "import builder"
    print(f"median of {args.runs} runs each, {sys.version.split()[0]} on {sys.platform}")
    print(f"{'command':<34} {'wall s':>7} {'ratio':>6} {'peak MiB':>9} {'ratio':>6}")
    for name in cases:
        print(
            f"{name:<34} {wall_med[name]:>7.3f} {wall_med[name] / wall_med[base]:>5.1f}x "
            f"{rss_med[name]:>9.1f} {rss_med[name] / rss_med[base]:>5.1f}x"
        )
    summary = wall_med["python -m builder summary lenet5"]
    ratio = summary / wall_med[base]
    print(
        f"summary lenet5: {summary:.3f} s (target < {SUMMARY_TARGET_S} s: "
        f"{'met' if summary < SUMMARY_TARGET_S else 'MISSED'}), {ratio:.1f}x the bare import "
        f"(target < {SUMMARY_TARGET_RATIO:.0f}x: {'met' if ratio < SUMMARY_TARGET_RATIO else 'MISSED'})"
    )
    if not args.no_gui:
        gui_main(args.runs, args.gui_timeout)


def gui_main(runs: int, timeout: float) -> None:
    try:
        first_window(timeout)  # untimed: warms the file cache for Qt's libraries
        results = [first_window(timeout) for _ in range(runs)]
    except ProbeUnavailable as e:
        print(
            f"first window: probe unavailable ({e}; python -m ui.launcher with "
            "CONVCANVAS_STARTUP_PROBE=1, offscreen)"
        )
        return
    seconds = statistics.median(r[0] for r in results)
    peak = statistics.median(r[1] for r in results)
    print(
        f"first window (offscreen): {seconds:.3f} s, peak {peak:.0f} MiB "
        f"(target < {WINDOW_TARGET_S} s: {'met' if seconds < WINDOW_TARGET_S else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
