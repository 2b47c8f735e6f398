"""After phaseprof exits (normally, on Ctrl-C, when killed, or after the
target crashed), no BPF link, program or uprobe of ours remains."""
import json
import re
import os
import signal
import subprocess
import time
import pp

pp.need_root()
bpftool = pp.need_program("bpftool") if os.path.exists("/usr/sbin/bpftool") is False else "/usr/sbin/bpftool"

def our_program_names():
    """Every program of bpf/phaseprof.bpf.c, as bpftool shows them (15 characters)."""
    with open(os.path.join(pp.SOURCE_DIR, "bpf", "phaseprof.bpf.c")) as f:
        text = f.read()
    names = re.findall(r"^int BPF_\w+\((\w+)", text, re.M)
    names += re.findall(r"^int (\w+)\(struct bpf_perf_event_data", text, re.M)
    return {n[:15] for n in names}


OUR_PROGS = our_program_names()


def our_objects():
    progs = json.loads(pp.run([bpftool, "-j", "prog", "list"]).stdout or "[]")
    links = json.loads(pp.run([bpftool, "-j", "link", "list"]).stdout or "[]")
    ours = {p["id"] for p in progs if p.get("name") in OUR_PROGS}
    return ours, {l["id"] for l in links if l.get("prog_id") in ours}


def uprobe_events():
    for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        try:
            with open(os.path.join(d, "uprobe_events")) as f:
                return f.read()
        except OSError:
            continue
    return ""


def settle():
    # links die with their file descriptors; give the kernel's deferred frees a moment
    for _ in range(50):
        if our_objects() == (set(), set()):
            return
        time.sleep(0.1)


before_events = uprobe_events()


def check_clean(what):
    settle()
    progs, links = our_objects()
    pp.check(not progs, f"{what}: BPF programs left: {progs}")
    pp.check(not links, f"{what}: BPF links left: {links}")
    pp.check(uprobe_events() == before_events, f"{what}: tracefs uprobe_events changed")
    pp.check("phasetest" not in uprobe_events(), f"{what}: a uprobe on phasetest remains")


def start(args, **kw):
    env = dict(os.environ, PHASEPROF_PROBE_PATH=pp.TEST_PROBES)
    return subprocess.Popen([pp.PHASEPROF, "-x", pp.PHASETEST, "--"] + args, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def wait_running(p):
    # the target is up once phaseprof has armed it; wait for its first phase
    time.sleep(0.6)
    pp.check(p.poll() is None, "phaseprof still running")


pp.check({"site_hit", "on_exec", "on_switch", "on_sample", "on_sample_dwarf", "fallback_enter"}
         <= OUR_PROGS, f"program names found: {sorted(OUR_PROGS)}")
check_clean("before any run")

r = pp.phaseprof(["-x", pp.PHASETEST, "--", "load=10"])
pp.check(r.returncode == 0, f"normal run: {r.stderr}")
check_clean("after a normal run")

r = pp.phaseprof(["-x", pp.PHASETEST, "--generic", "--call-graph", "fp", "--", "load=10"])
pp.check(r.returncode == 0, f"generic fallback run: {r.stderr}")
check_clean("after a run with the generic fallback and fp stacks")

r = pp.phaseprof(["-x", pp.PHASETEST, "--", "load=10", "crash=11"])
pp.check(r.returncode == 139, f"crashed target: {r.returncode}")
check_clean("after the target crashed")

# Ctrl-C: the terminal signals the whole foreground process group
p = start(["load=5", "execute=20000"], start_new_session=True)
wait_running(p)
os.killpg(p.pid, signal.SIGINT)
_, err = p.communicate(timeout=30)
pp.check(p.returncode == 130, f"Ctrl-C: exit {p.returncode}, want 130\n{err}")
pp.check("killed by signal 2" in err and "execute" in err, f"Ctrl-C: report written\n{err}")
check_clean("after Ctrl-C")

# SIGTERM to phaseprof alone is forwarded to the runtime
p = start(["load=5", "execute=20000"])
wait_running(p)
p.send_signal(signal.SIGTERM)
_, err = p.communicate(timeout=30)
pp.check(p.returncode == 143, f"SIGTERM forwarded: exit {p.returncode}\n{err}")
check_clean("after SIGTERM")

# phaseprof killed outright: the kernel drops its links with its file descriptors
p = start(["load=5", "execute=3000"])
wait_running(p)
p.kill()
p.wait(timeout=30)
time.sleep(3.5)  # the orphaned target finishes on its own
check_clean("after SIGKILL of phaseprof")

# the output directory cannot be made: said before the runtime runs (no run is lost), clean
r = pp.phaseprof(["-x", pp.PHASETEST, "-o", "/proc/version/x", "--", "load=5"])
pp.check(r.returncode == 125, f"unwritable output: exit {r.returncode}")
pp.check("cannot use '/proc/version/x' for output" in r.stderr, f"says why: {r.stderr}")
pp.check("load" not in r.stderr, f"failed before the run, no table: {r.stderr}")
check_clean("after an output error")
pp.done()
