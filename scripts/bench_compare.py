"""Side-by-side speed of PedSleep Assist and EDFbrowser, measured from outside (issue 16).

    make bench-compare            # or: .venv/bin/python scripts/bench_compare.py [--rounds N]

Every viewer is measured the same way, as a person sees it: a virtual X screen (Xvfb,
1920x1080) with a window manager (openbox) that maximises every window, key presses
injected through XTest, and the screen polled (XGetImage of one region of the trace
area, the same for every viewer) until it changes. So a "flip" is the key press to the
first changed pixel of the new page on screen, whatever the program does inside.

- flip: Page Down in a 30-s window, one press every ``--gap`` s (a scorer's pace);
  median and 95th percentile.
- whole night: from a 2-h window to the whole recording (PedSleep: Ctrl+-; EDFbrowser:
  Timescale > whole recording) to the changed screen; median, and PedSleep's first one
  after the flips (the slowest over the rounds): a view that still had to wait for the
  envelope pyramids shows there.
- first page from launch: process start to the first page of traces in the region.
  EDFbrowser asks which signals to show before drawing any: its figure is start to that
  dialog plus its "Add signal(s)" click to traces.
- peak RSS / file: the process's VmHWM at the end over the EDF's size.
- with its processes: PedSleep's peak over the app and every process it started (YASA's
  stager runs in a child), sampled by a separate process: the peak of the summed RSS
  (every 50 ms; shared library pages counted once per process) and of the summed PSS
  (every 0.5 s and whenever the RSS sum is near its peak; each shared page split between
  the processes that map it: the memory they take together). The footer prints issue
  16's budget, 1.5 × the file + 300 MB.
- floor: a bare Qt window (PySide6, no data) that repaints all of itself on each Page
  Down: what the X server, the screen polling and a full-window repaint cost on this
  machine; a viewer that repaints its whole window cannot flip faster.
- PedSleep runs three ways: ``assistant working`` (flips while the model's first pass
  runs), ``assistant finished`` (the same process once its background job threads have
  used no CPU for 5 s: the pass is done and every overlay is on screen), and
  ``--no-assistant``.

Rounds run the viewers in rotated order. The file is the bench's generated 10-h,
16-channel, 256 Hz EDF (tests/bench/conftest.py), read once first so it is in page
cache. Needs Linux with apt (root) to install xvfb, openbox, xdotool and edfbrowser when
they are missing; skips with a clear message (exit 0) when it cannot.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCREEN_W, SCREEN_H = 1920, 1080
# the region polled: inside the trace area of both viewers when maximised (PedSleep's
# docks are on the right and at the bottom; EDFbrowser's traces fill the window)
REGION = (260, 220, 640, 300)  # x, y, width, height
APT_PACKAGES = {"Xvfb": "xvfb", "openbox": "openbox", "xdotool": "xdotool", "edfbrowser": "edfbrowser"}
OPENBOX_RC = """<?xml version="1.0" encoding="UTF-8"?>
<openbox_config xmlns="http://openbox.org/3.4/rc">
  <applications>
    <application class="*" type="normal"><maximized>yes</maximized></application>
  </applications>
</openbox_config>
"""


def skip(msg: str) -> None:
    print(f"bench-compare skipped: {msg}")
    sys.exit(0)


# --- tools -----------------------------------------------------------------------------
def ensure_tools() -> None:
    missing = [pkg for exe, pkg in APT_PACKAGES.items() if shutil.which(exe) is None]
    if not missing:
        return
    if not sys.platform.startswith("linux") or shutil.which("apt-get") is None:
        skip(f"{', '.join(missing)} missing and no apt-get to install them")
    if os.geteuid() != 0:
        skip(f"{', '.join(missing)} missing; installing them needs root (sudo apt-get install {' '.join(missing)})")
    print(f"installing {' '.join(missing)} with apt-get …", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    ok = subprocess.run(["apt-get", "update", "-qq"], env=env).returncode == 0 and subprocess.run(
        ["apt-get", "install", "-y", "-qq", *missing], env=env).returncode == 0
    still = [pkg for exe, pkg in APT_PACKAGES.items() if shutil.which(exe) is None]
    if not ok or still:
        skip(f"could not install {', '.join(still or missing)} with apt-get")


class X11:
    """The few Xlib/XTest calls the benchmark needs, through ctypes (no extra package)."""

    def __init__(self, display: str):
        x11 = ctypes.util.find_library("X11")
        xtst = ctypes.util.find_library("Xtst")
        if not x11 or not xtst:
            skip("libX11 / libXtst not found")
        self.x = ctypes.CDLL(x11)
        self.t = ctypes.CDLL(xtst)
        self.x.XOpenDisplay.restype = ctypes.c_void_p
        self.x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x.XDefaultRootWindow.restype = ctypes.c_ulong
        self.x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.x.XGetImage.restype = ctypes.c_void_p
        self.x.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
        self.x.XDestroyImage = None  # a macro in Xlib: freed through the image's own function table
        self.x.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x.XStringToKeysym.restype = ctypes.c_ulong
        self.x.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x.XFlush.argtypes = [ctypes.c_void_p]
        self.x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.t.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.t.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.t.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                                ctypes.c_ulong]
        self.dpy = self.x.XOpenDisplay(display.encode())
        if not self.dpy:
            raise RuntimeError(f"cannot open display {display}")
        self.root = self.x.XDefaultRootWindow(self.dpy)
        self._libc = ctypes.CDLL(None)

    def grab(self, region=REGION) -> bytes:
        x, y, w, h = region
        img = self.x.XGetImage(self.dpy, self.root, x, y, w, h, 0xFFFFFFFF, 2)  # ZPixmap
        if not img:
            return b""
        # XImage: int width, height, xoffset, format; char *data; ... (data at offset 16)
        data = ctypes.cast(ctypes.c_void_p.from_address(img + 16).value, ctypes.POINTER(ctypes.c_char))
        out = ctypes.string_at(data, w * h * 4)
        # f.destroy_image is the first function pointer of XImage.f (after 10 ints/pointers)
        destroy = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(ctypes.c_void_p.from_address(img + 96).value)
        destroy(img)
        return out

    def keycode(self, keysym: str) -> int:
        return int(self.x.XKeysymToKeycode(self.dpy, self.x.XStringToKeysym(keysym.encode())))

    def key(self, keys: str) -> None:
        """Press and release a chord like "ctrl+minus" or "Next"."""
        codes = [self.keycode({"ctrl": "Control_L", "shift": "Shift_L"}.get(k, k)) for k in keys.split("+")]
        for c in codes:
            self.t.XTestFakeKeyEvent(self.dpy, c, 1, 0)
        for c in reversed(codes):
            self.t.XTestFakeKeyEvent(self.dpy, c, 0, 0)
        self.x.XFlush(self.dpy)

    def click(self, x: int, y: int) -> None:
        self.t.XTestFakeMotionEvent(self.dpy, -1, x, y, 0)
        self.t.XTestFakeButtonEvent(self.dpy, 1, 1, 0)
        self.t.XTestFakeButtonEvent(self.dpy, 1, 0, 0)
        self.x.XFlush(self.dpy)


def traces_in(img: bytes) -> bool:
    """The region shows a page of traces: many pixels differ from its most common colour."""
    if not img:
        return False
    px = np.frombuffer(img, np.uint32) & 0xFFFFFF
    vals, counts = np.unique(px, return_counts=True)
    return (len(px) - counts.max()) > 0.02 * len(px) and len(vals) > 3


def wait_change(x: X11, before: bytes, timeout_s: float = 5.0) -> float | None:
    """Seconds from now until the region differs from ``before``; None on timeout."""
    t0 = time.perf_counter()
    while True:
        img = x.grab()
        now = time.perf_counter()
        if img and img != before:
            return now - t0
        if now - t0 > timeout_s:
            return None


def wait_stable(x: X11, quiet_s: float = 0.25, timeout_s: float = 10.0) -> bytes:
    """Wait until the region has not changed for ``quiet_s``; returns it."""
    last = x.grab()
    t_last = t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        time.sleep(0.01)
        img = x.grab()
        if img != last:
            last, t_last = img, time.perf_counter()
        elif time.perf_counter() - t_last >= quiet_s:
            break
    return last


def window_ids(name: str, display: str) -> list[str]:
    r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name], capture_output=True, text=True,
                       env=dict(os.environ, DISPLAY=display))
    return r.stdout.split()


def window_geometry(wid: str, display: str) -> tuple[int, int, int, int]:
    r = subprocess.run(["xdotool", "getwindowgeometry", "--shell", wid], capture_output=True, text=True,
                       env=dict(os.environ, DISPLAY=display))
    kv = dict(line.split("=", 1) for line in r.stdout.split() if "=" in line)
    return int(kv["X"]), int(kv["Y"]), int(kv["WIDTH"]), int(kv["HEIGHT"])


# --- processes -------------------------------------------------------------------------
def vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def job_threads(pid: int) -> dict[str, int]:
    """CPU ticks of each of the app's background job threads (gui.workers.JOB_THREAD_NAME)."""
    out = {}
    for t in Path(f"/proc/{pid}/task").glob("*"):
        try:
            if (t / "comm").read_text().strip() == "pedsleep-job":
                f = (t / "stat").read_text().rsplit(")", 1)[1].split()
                out[t.name] = int(f[11]) + int(f[12])
        except (OSError, IndexError, ValueError):
            pass
    return out


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process it started, and theirs."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for t in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (t / "children").read_text().split()]
            except (OSError, ValueError):
                pass
    return out


def tree_memory_mb(pid: int, pss: bool = True) -> tuple[float, float]:
    """(summed RSS, summed PSS) in MB of ``pid`` and its processes; (0, 0) once it is gone.
    RSS comes from /proc/PID/status (counters: cheap); PSS from smaps_rollup, which walks
    the process's page tables (~4 ms for the app): ``pss=False`` skips it (0)."""
    rss = pss_mb = 0.0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1]) / 1024
            if pss:
                for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        pss_mb += int(line.split()[1]) / 1024
        except OSError:
            pass
    return rss, pss_mb


def sample_tree(pid: int, out: str, period_s: float = 0.05, pss_every: int = 10) -> int:
    """``--sample-tree``: the peaks of ``tree_memory_mb(pid)`` until ``pid`` is gone or
    SIGTERM comes, in ``out`` as "RSS PSS" (rewritten whenever a peak grows, so it holds
    the peaks so far even if this process is killed): RSS every ``period_s``; PSS every
    ``pss_every``-th sample and whenever the summed RSS is within 2 % of its peak so far
    (its page-table walk is kept off most of the app's frames, not off its peaks)."""
    peak = [0.0, 0.0]
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    part = Path(out + ".part")
    n = 0
    while not done and Path(f"/proc/{pid}").exists():
        rss, _ = tree_memory_mb(pid, pss=False)
        before = list(peak)
        if n % pss_every == 0 or rss >= 0.98 * peak[0]:
            rss, pss = tree_memory_mb(pid)
            peak[1] = max(peak[1], pss)
        peak[0] = max(peak[0], rss)
        if peak != before or n == 0:
            part.write_text(f"{peak[0]:.1f} {peak[1]:.1f}\n")
            os.replace(part, out)
        n += 1
        time.sleep(period_s)
    return 0


class TreeSampler:
    """``sample_tree`` in its own process (no GIL shared with the screen polling)."""

    def __init__(self, pid: int, folder: Path, niceness: int = 19):
        """``niceness`` 19: below everything PedSleep runs (its GUI at 0, its jobs and
        YASA's process at 10), which leaves it the ~1 % of a core it needs."""
        self.out = folder / f"tree-{pid}.txt"
        self.p = subprocess.Popen(["nice", "-n", str(niceness), sys.executable, str(Path(__file__).resolve()),
                                   "--sample-tree", str(pid), str(self.out)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def sampled(self) -> bool:
        """It has taken its first sample."""
        return self.out.exists()

    def peaks(self) -> tuple[float, float] | None:
        """Stop it; the peaks it saw (None if it never took a sample)."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        try:
            rss, pss = (float(v) for v in self.out.read_text().split())
        except (OSError, ValueError):
            return None
        return rss, pss


FLOOR_WINDOW = """
import sys
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QApplication, QWidget

class Floor(QWidget):
    n = 0

    def keyPressEvent(self, e):
        if e.key() == Qt.Key.Key_PageDown:
            self.n += 1
            self.update()

    def paintEvent(self, e):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor.fromHsv(self.n * 37 % 360, 120, 230))
        for x in range(0, self.width(), 7):  # lines of three colours: the region "shows traces"
            p.setPen(QColor(*((0, 0, 0), (40, 40, 160), (160, 40, 40))[x // 7 % 3]))
            p.drawLine(x, 0, x, self.height())

app = QApplication(sys.argv)
w = Floor()
w.setWindowTitle("bench floor")
w.showMaximized()
sys.exit(app.exec())
"""


def run_floor(scr: "Screen", args) -> dict[str, "Result"]:
    home = scr.tmp / f"home-floor-{time.monotonic_ns()}"
    p, t_win, t_page = launch_until_page(scr, [str(ROOT / ".venv/bin/python"), "-c", FLOOR_WINDOW], home)
    r = Result(note="" if t_page is not None else "the floor window did not show")
    if t_page is not None:
        time.sleep(0.5)
        r.flips_ms = measure_flips(scr.x, args.flips, args.gap)
    stop(p)
    return {"floor": r}


def wait_jobs_done(pid: int, timeout_s: float, quiet_s: float = 5.0) -> float:
    """Wait until PedSleep's background jobs are done: no job thread has used any CPU for
    ``quiet_s`` (a finished job's thread may linger idle); returns the seconds waited."""
    t0 = time.perf_counter()
    last, t_quiet = job_threads(pid), time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        time.sleep(0.5)
        now = job_threads(pid)
        if any(now.get(k, -1) != v for k, v in last.items()) or set(now) - set(last):
            last, t_quiet = now, time.perf_counter()
        elif time.perf_counter() - t_quiet >= quiet_s:
            break
    return time.perf_counter() - t0


@dataclass
class Result:
    flips_ms: list = field(default_factory=list)
    whole_ms: list = field(default_factory=list)
    whole_first_ms: list = field(default_factory=list)  # each run's first whole-night view
    first_page_s: list = field(default_factory=list)
    after_window_s: list = field(default_factory=list)
    rss_ratio: list = field(default_factory=list)
    tree_rss_mb: list = field(default_factory=list)  # the app and its processes (TreeSampler)
    tree_pss_mb: list = field(default_factory=list)
    note: str = ""


class Screen:
    """Xvfb + openbox on a free display."""

    def __init__(self):
        d = 70
        while Path(f"/tmp/.X11-unix/X{d}").exists() or Path(f"/tmp/.X{d}-lock").exists():
            d += 1
        self.display = f":{d}"
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-compare-"))
        self.xvfb = subprocess.Popen(["Xvfb", self.display, "-screen", "0", f"{SCREEN_W}x{SCREEN_H}x24",
                                      "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{d}").exists():
                break
            time.sleep(0.05)
        rc = self.tmp / "rc.xml"
        rc.write_text(OPENBOX_RC)
        self.wm = subprocess.Popen(["openbox", "--config-file", str(rc)], env=self.env(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        self.x = X11(self.display)

    def env(self, home: Path | None = None) -> dict:
        e = dict(os.environ, DISPLAY=self.display, QT_QPA_PLATFORM="xcb")
        if home is not None:  # a fresh home: default settings, nothing remembered
            e.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                     XDG_DATA_HOME=str(home / ".local/share"), XDG_RUNTIME_DIR=str(home / "run"))
            (home / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
        return e

    def close(self) -> None:
        for p in (self.wm, self.xvfb):
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def measure_flips(x: X11, n: int, gap_s: float, key: str = "Next") -> list[float]:
    out = []
    for _ in range(n):
        before = wait_stable(x, quiet_s=min(0.1, gap_s / 2), timeout_s=gap_s + 1)
        x.key(key)
        dt = wait_change(x, before)
        if dt is not None:
            out.append(dt * 1000)
        time.sleep(gap_s)
    return out


def launch_until_page(scr: Screen, cmd: list[str], home: Path, timeout_s: float = 60.0):
    """Start ``cmd``; return (process, seconds to a first non-black region, seconds to traces).
    The empty screen is taken once the region has been still for 0.3 s: the window of the
    run before may still be closing, and its disappearance is not this window appearing."""
    blank = wait_stable(scr.x, 0.3, 10)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=scr.env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         cwd=str(ROOT))
    t_window = None
    while time.perf_counter() - t0 < timeout_s:
        img = scr.x.grab()
        now = time.perf_counter() - t0
        if t_window is None and img != blank:
            t_window = now
        if traces_in(img):
            return p, t_window if t_window is not None else now, now
        if p.poll() is not None:
            break
        time.sleep(0.002)
    return p, t_window, None


def run_pedsleep(scr: Screen, edf: str, assistant: bool, args) -> dict[str, Result]:
    home = scr.tmp / f"home-ped-{time.monotonic_ns()}"
    journal = Path(edf + ".pedsleep.jsonl")
    journal.unlink(missing_ok=True)  # start from a blank scoring each time
    cmd = [str(ROOT / ".venv/bin/python"), str(ROOT / "main.py"), edf]
    if not assistant:
        cmd.append("--no-assistant")
    p, t_win, t_page = launch_until_page(scr, cmd, home)
    sampler = TreeSampler(p.pid, scr.tmp) if args.tree_memory else None
    size_mb = os.path.getsize(edf) / 2**20
    out: dict[str, Result] = {}
    if t_page is None:
        if sampler is not None:
            sampler.peaks()
        stop(p)
        r = Result(note="no page drawn")
        return {"working" if assistant else "off": r}
    time.sleep(0.5)
    if assistant:
        working = Result(first_page_s=[t_page], after_window_s=[t_page - t_win])
        jobs_before = job_threads(p.pid)
        working.flips_ms = measure_flips(scr.x, args.flips, args.gap)
        if job_threads(p.pid) == jobs_before:
            working.note = "no job thread used CPU during these flips (the model was done or starved)"
        out["working"] = working
        waited = wait_jobs_done(p.pid, timeout_s=args.model_timeout)
        done = waited < args.model_timeout
        finished = Result(note=f"model pass {'done' if done else 'NOT done (timeout)'} {waited:.0f} s "
                               "after the working flips")
        finished.flips_ms = measure_flips(scr.x, args.flips, args.gap)
        finished.whole_ms = measure_whole_pedsleep(scr.x, args.whole)
        finished.whole_first_ms = finished.whole_ms[:1]
        rss = vm_hwm_mb(p.pid) / size_mb
        working.rss_ratio = finished.rss_ratio = [rss]
        out["finished"] = finished
    else:
        off = Result(first_page_s=[t_page], after_window_s=[t_page - t_win])
        off.flips_ms = measure_flips(scr.x, args.flips, args.gap)
        off.whole_ms = measure_whole_pedsleep(scr.x, args.whole)
        off.whole_first_ms = off.whole_ms[:1]
        off.rss_ratio = [vm_hwm_mb(p.pid) / size_mb]
        out["off"] = off
    tree = sampler.peaks() if sampler is not None else None
    if tree is not None:
        for r in out.values():
            r.tree_rss_mb, r.tree_pss_mb = [tree[0]], [tree[1]]
    stop(p)
    journal.unlink(missing_ok=True)
    return out


def measure_whole_pedsleep(x: X11, n: int) -> list[float]:
    for _ in range(7):  # 30 s -> 1, 2, 5, 10, 30, 60 min -> 2 h
        x.key("ctrl+minus")
        time.sleep(0.3)
    wait_stable(x, 0.5, 60)
    out = []
    for _ in range(n):
        before = wait_stable(x, 0.3, 30)
        x.key("ctrl+minus")  # 2 h -> whole night
        dt = wait_change(x, before, 10)
        if dt is not None:
            out.append(dt * 1000)
        wait_stable(x, 0.3, 30)
        x.key("ctrl+equal")  # back to 2 h
        time.sleep(0.3)
    return out


def run_edfbrowser(scr: Screen, edf: str, args) -> dict[str, Result]:
    home = scr.tmp / f"home-edfb-{time.monotonic_ns()}"
    blank = scr.x.grab()
    t0 = time.perf_counter()
    p = subprocess.Popen(["edfbrowser", edf], env=scr.env(home), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    r = Result()
    t_win = t_dialog = None
    while time.perf_counter() - t0 < 60 and p.poll() is None:
        if t_win is None and scr.x.grab() != blank:
            t_win = time.perf_counter() - t0
        ids = window_ids("Add signals", scr.display)
        if ids:
            t_dialog = time.perf_counter() - t0
            break
        time.sleep(0.005)
    if t_dialog is None:
        stop(p)
        r.note = "EDFbrowser did not open the file"
        return {"edfbrowser": r}
    time.sleep(0.5)
    before = scr.x.grab()
    t1 = time.perf_counter()
    scr.x.click(*EDFB_ADD_SIGNALS)
    while time.perf_counter() - t1 < 30:
        img = scr.x.grab()
        if img != before and traces_in(img):
            break
        time.sleep(0.002)
    t_draw = time.perf_counter() - t1
    r.first_page_s = [t_dialog + t_draw]
    r.after_window_s = [t_draw]
    time.sleep(0.5)
    edfb_timescale(scr, "30 Sec/page")
    # Amplitude > Fit to pane: each trace within its row, as PedSleep draws it (at its
    # default 100 uV/cm this file's traces overrun their rows and take ~0.5 s a page)
    scr.x.click(*EDFB_AMPLITUDE_MENU)
    time.sleep(0.4)
    scr.x.click(*EDFB_FIT_TO_PANE)
    wait_stable(scr.x, 0.5, 10)
    r.flips_ms = measure_flips(scr.x, args.flips, args.gap)
    for _ in range(args.whole):
        edfb_timescale(scr, "1 hour/page")  # its menu has no 2 h: from 1 h
        before = wait_stable(scr.x, 0.3, 30)
        t = edfb_timescale(scr, "whole recording")
        dt = wait_change(scr.x, before, 10)
        if t is not None and dt is not None:
            r.whole_ms.append((dt + t) * 1000)
    r.rss_ratio = [vm_hwm_mb(p.pid) / (os.path.getsize(edf) / 2**20)]
    stop(p)
    return {"edfbrowser": r}


# EDFbrowser's Timescale menu, measured on 2.00 at 1920x1080 (y of each entry's centre
# relative to the menu's top); opened by a click on "Timescale" in the menu bar.
EDFB_MENU_X, EDFB_MENU_Y = 204, 29
EDFB_ADD_SIGNALS = (841, 725)  # the "Add signal(s)" button of its dialog, centred on the screen
EDFB_AMPLITUDE_MENU, EDFB_FIT_TO_PANE = (283, 29), (309, 53)
EDFB_ITEMS = {"30 Sec/page": 605, "1 hour/page": 705, "whole recording": 911}


def edfb_timescale(scr: Screen, item: str) -> float | None:
    """Pick a Timescale menu entry; returns the seconds from the click to its release
    (0) or None when the entry is unknown."""
    y = EDFB_ITEMS.get(item)
    if y is None:
        return None
    scr.x.click(EDFB_MENU_X, EDFB_MENU_Y)
    time.sleep(0.4)
    scr.x.click(300, y)
    return 0.0


# --- report ----------------------------------------------------------------------------
ROWS = [("working", "PedSleep, assistant working"), ("finished", "PedSleep, assistant finished"),
        ("off", "PedSleep `--no-assistant`"), ("edfbrowser", "EDFbrowser"),
        ("floor", "floor: a bare Qt window repainted whole")]


def fmt(v, unit="", digits=1) -> str:
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{digits}f}{unit}"


def table(res: dict[str, Result], edfb_version: str) -> str:
    ref = res.get("edfbrowser")
    ref_med = float(np.median(ref.flips_ms)) if ref and ref.flips_ms else None
    floor = res.get("floor")
    floor_med = float(np.median(floor.flips_ms)) if floor and floor.flips_ms else None
    lines = ["| state | flip median | p95 | flip / EDFbrowser | flip / floor | whole night | first page from launch "
             "| window → page | peak RSS / file | with its processes: RSS sum / PSS sum |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for key, name in ROWS:
        r = res.get(key)
        if r is None:
            continue
        if key == "edfbrowser":
            name = f"EDFbrowser {edfb_version}"
        med = float(np.median(r.flips_ms)) if r.flips_ms else None
        p95 = float(np.percentile(r.flips_ms, 95)) if r.flips_ms else None
        ratio = med / ref_med if med and ref_med else None
        # the box's own speed changes from hour to hour (X server, host load): the floor of
        # the same run is the yardstick that moves with it
        over_floor = med / floor_med if med and floor_med and key != "floor" else None
        whole = float(np.median(r.whole_ms)) if r.whole_ms else None
        first = float(np.max(r.whole_first_ms)) if r.whole_first_ms else None
        fp = float(np.median(r.first_page_s)) if r.first_page_s else None
        aw = float(np.median(r.after_window_s)) if r.after_window_s else None
        rss = float(np.median(r.rss_ratio)) if r.rss_ratio else None
        tree = (f"{fmt(max(r.tree_rss_mb), ' MB', 0)} / {fmt(max(r.tree_pss_mb), ' MB', 0)}"
                if r.tree_rss_mb else "—")
        lines.append(f"| {name} | {fmt(med, ' ms')} | {fmt(p95, ' ms', 1)} | {fmt(ratio, '×', 2)} | {fmt(over_floor, '×', 2)} | "
                     f"{fmt(whole, ' ms', 0)}{f' (first ≤ {first:.0f})' if first is not None else ''} | "
                     f"{fmt(fp, ' s', 2)} | {fmt(aw, ' s', 2)} | {fmt(rss, '×', 2)} | "
                     f"{tree} |")
    return "\n".join(lines)


def merge(total: dict[str, Result], part: dict[str, Result]) -> None:
    for k, r in part.items():
        t = total.setdefault(k, Result())
        for f in ("flips_ms", "whole_ms", "whole_first_ms", "first_page_s", "after_window_s", "rss_ratio", "tree_rss_mb",
                  "tree_pss_mb"):
            getattr(t, f).extend(getattr(r, f))
        if r.note:
            t.note = (t.note + "; " if t.note else "") + r.note


def bench_file() -> str:
    from tests.bench.conftest import BENCH_DIR
    from tests.helpers.edf_factory import psg_signals, write_edf

    os.makedirs(BENCH_DIR, exist_ok=True)
    p = os.path.join(BENCH_DIR, "night-10h-16ch-256hz.edf")
    if not os.path.exists(p) or os.path.getsize(p) < 290_000_000:
        print("writing the 10-h 16-channel 256 Hz bench file …", flush=True)
        write_edf(p, psg_signals(256.0), n_records=36000, record_s=1.0)
    with open(p, "rb") as f:  # into page cache, as for every viewer
        while f.read(1 << 24):
            pass
    return p


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--flips", type=int, default=40, help="page flips per state and round")
    ap.add_argument("--whole", type=int, default=5, help="whole-night redraws per state and round")
    ap.add_argument("--gap", type=float, default=0.3, help="seconds between key presses")
    ap.add_argument("--model-timeout", type=float, default=900.0,
                    help="longest wait for the model's pass to finish")
    ap.add_argument("--only", choices=("pedsleep", "edfbrowser"), help="one viewer only")
    ap.add_argument("--no-floor", action="store_true", help="skip the bare Qt window's floor row")
    ap.add_argument("--no-tree-memory", dest="tree_memory", action="store_false",
                    help="do not sample the memory of PedSleep's processes (a separate process at nice 19)")
    ap.add_argument("--sample-tree", nargs=2, metavar=("PID", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.sample_tree:
        return sample_tree(int(args.sample_tree[0]), args.sample_tree[1])
    if not sys.platform.startswith("linux"):
        skip("needs Linux (Xvfb, /proc)")
    if not (ROOT / ".venv/bin/python").exists():
        skip("no .venv: run `make setup` first")
    ensure_tools()
    edf = bench_file()
    v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "edfbrowser"], capture_output=True, text=True)
    edfb_version = v.stdout.split("+")[0] or "?"
    viewers = ["ped-assistant", "ped-off", "edfbrowser"]
    if args.only == "pedsleep":
        viewers = viewers[:2]
    elif args.only == "edfbrowser":
        viewers = viewers[2:]
    if not args.no_floor and args.only is None:
        viewers.append("floor")
    scr = Screen()
    total: dict[str, Result] = {}
    try:
        for rnd in range(args.rounds):
            order = viewers[rnd % len(viewers):] + viewers[:rnd % len(viewers)]
            for name in order:
                t = time.perf_counter()
                if name == "ped-assistant":
                    part = run_pedsleep(scr, edf, True, args)
                elif name == "ped-off":
                    part = run_pedsleep(scr, edf, False, args)
                elif name == "floor":
                    part = run_floor(scr, args)
                else:
                    part = run_edfbrowser(scr, edf, args)
                merge(total, part)
                print(f"round {rnd + 1}/{args.rounds} {name}: {time.perf_counter() - t:.0f} s", flush=True)
            print(table(total, edfb_version), flush=True)  # so far: a long run can be read early
    finally:
        scr.close()
    load = os.getloadavg()
    print()
    print(f"{os.path.basename(edf)} ({os.path.getsize(edf) / 2**20:.0f} MB), screen {SCREEN_W}x{SCREEN_H} "
          f"(Xvfb + openbox, maximised), {args.rounds} rounds in rotated order, {args.flips} flips "
          f"per state and round, {os.cpu_count()} cores, load average at the end {load[0]:.1f}")
    size_mb = os.path.getsize(edf) / 2**20
    print(f"issue 16's memory budget: 1.5 × the file + 300 MB = {1.5 * size_mb + 300:.0f} MB")
    print(table(total, edfb_version))
    for k, r in total.items():
        if r.note:
            print(f"note ({k}): {r.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
