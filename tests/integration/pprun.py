"""pprun.py: one phaseprof run watched from outside, and what it leaves behind.

A run's objects are told apart from everyone else's (other phaseprof runs
share this machine) by identity, never by name: its processes are phaseprof
and every descendant seen while it ran; its BPF objects are the ids of the
links, programs and maps those processes held (from /proc/PID/fdinfo); its
tracefs group is phaseprof_PID; its perf maps are /tmp/perf-PID.map of its
processes. Programs and maps pinned in the BPF program cache are kept on
purpose (bpf_cache.h) and are not leftovers; links never stay."""
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time

import pp

TRACEFS = "/sys/kernel/tracing"
BPFTOOL = shutil.which("bpftool") or "/usr/sbin/bpftool"
BPF_CACHE_DIR = os.environ.get("PHASEPROF_BPF_CACHE_DIR", "/sys/fs/bpf/phaseprof")


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def tree(pid):
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        if p not in out:
            out.add(p)
            todo.extend(children(p))
    return out


def alive(pid):
    """Running or sleeping; a zombie is dead (its parent has yet to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except OSError:
        return False


def bpf_ids(pid):
    """{'map_id': {...}, 'prog_id': {...}, 'link_id': {...}} the process holds."""
    ids = {"map_id": set(), "prog_id": set(), "link_id": set()}
    try:
        fds = os.listdir(f"/proc/{pid}/fdinfo")
    except OSError:
        return ids
    for fd in fds:
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                for line in f:
                    key, _, val = line.partition(":")
                    if key in ids and val.strip().isdigit():
                        ids[key].add(int(val))
        except OSError:
            continue
    return ids


def bpftool_objects(*args):
    """bpftool -j ARGS: its objects. One that goes away while bpftool lists it
    comes out as {"error": ...} (other runs free theirs all the time): skipped."""
    r = pp.run([BPFTOOL, "-j", *args])
    return [o for o in json.loads(r.stdout or "[]") if "id" in o]


def kept_bpf_ids():
    """Programs and maps pinned in phaseprof's BPF program cache (bpf_cache.h):
    kept on purpose for the next run, attached to nothing."""
    out = {"map_id": set(), "prog_id": set(), "link_id": set()}
    for kind, key in (("map", "map_id"), ("prog", "prog_id")):
        for o in bpftool_objects("-f", kind, "show"):
            if any(p.startswith(BPF_CACHE_DIR + "/") for p in o.get("pinned") or []):
                out[key].add(o["id"])
    return out


def live_bpf_ids():
    out = {}
    for kind, key in (("map", "map_id"), ("prog", "prog_id"), ("link", "link_id")):
        out[key] = {o["id"] for o in bpftool_objects(kind, "show")}
    return out


def uprobe_groups():
    try:
        with open(os.path.join(TRACEFS, "uprobe_events")) as f:
            return {line.split()[0].split(":", 1)[1].split("/")[0] for line in f if line.strip()}
    except OSError:
        return set()


class Run:
    """phaseprof ARGS, with its stdout and stderr read line by line as they come."""

    def __init__(self, args, env=None, new_session=False):
        e = dict(os.environ, PHASEPROF_PROBE_PATH=pp.TEST_PROBES)
        e.update(env or {})
        # a perf map older than the run is another process's (its pid reused): not ours
        self.started = time.time()
        self.p = subprocess.Popen([pp.PHASEPROF] + list(args), env=e, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  start_new_session=new_session)
        self.pid = self.p.pid
        self.lines = queue.Queue()
        self.out, self.err = [], []
        self.pids = {self.pid}
        self.bpf = {"map_id": set(), "prog_id": set(), "link_id": set()}
        self.group_seen = False
        self._readers = [threading.Thread(target=self._read, args=(s, n, b), daemon=True)
                         for s, n, b in ((self.p.stdout, "out", self.out),
                                         (self.p.stderr, "err", self.err))]
        for t in self._readers:
            t.start()
        self._watch = threading.Thread(target=self._watcher, daemon=True)
        self._watch.start()

    def _read(self, stream, name, buf):
        for line in stream:
            buf.append(line)
            self.lines.put((name, line))
        self.lines.put((name, None))

    def _watcher(self):
        """Every 20 ms while phaseprof runs: its processes and their BPF objects."""
        while self.p.poll() is None:
            self.snapshot()
            time.sleep(0.02)

    def snapshot(self):
        for pid in tree(self.pid):
            self.pids.add(pid)
            for k, v in bpf_ids(pid).items():
                self.bpf[k] |= v
        self.group_seen |= f"phaseprof_{self.pid}" in uprobe_groups()

    def wait_for(self, text, timeout=60):
        """Read lines until one holds text; False at EOF of both streams or timeout."""
        end, eofs = time.time() + timeout, 0
        while time.time() < end and eofs < 2:
            try:
                _, line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                eofs += 1
            elif text in line:
                return True
        return False

    def kill(self):
        """SIGKILL phaseprof, unless it has exited already (then nothing)."""
        self.snapshot()
        if self.p.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def finish(self, timeout=120):
        self.p.wait(timeout=timeout)
        for t in self._readers:
            t.join(timeout=10)
        self.returncode = self.p.returncode
        self.stdout, self.stderr = "".join(self.out), "".join(self.err)
        return self


def wait_dead(pids, timeout=10):
    end = time.time() + timeout
    while any(alive(p) for p in pids) and time.time() < end:
        time.sleep(0.05)


def next_start():
    """A run after a killed one: it sweeps what the killed run left. Its stderr."""
    r = pp.phaseprof(["record", "-F", "0", "-x", pp.PHASETEST, "--", "load=1"])
    pp.check(r.returncode == 0, f"the next run: {r.returncode} {r.stderr}")
    return r.stderr


def made_since(path, t):
    """path exists and was last changed at t or later."""
    try:
        return os.stat(path).st_mtime >= t - 1
    except FileNotFoundError:
        return False


def leftovers(run, settle=10):
    """What of the run remains, after up to `settle` seconds for deferred frees."""
    end = time.time() + settle
    while True:
        left = {}
        procs = sorted(p for p in run.pids if alive(p))
        if procs:
            left["processes"] = procs
        live, kept = live_bpf_ids(), kept_bpf_ids()
        for k, ids in run.bpf.items():
            if (ids & live[k]) - kept[k]:
                left[k] = sorted((ids & live[k]) - kept[k])
        if f"phaseprof_{run.pid}" in uprobe_groups():
            left["tracefs group"] = f"phaseprof_{run.pid}"
        maps = [m for m in (f"/tmp/perf-{p}.map" for p in run.pids) if made_since(m, run.started)]
        if maps:
            left["perf maps"] = maps
        if not left or time.time() > end:
            return left
        time.sleep(0.2)
