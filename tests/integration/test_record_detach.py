"""phaseprof exits with the report before its probes come down (their grace
period is paid by a keeper process), and one second after it exits nothing of
its run remains: no BPF link, no program it held but those the BPF program
cache keeps (pinned, attached to nothing), no tracefs event of it. Only this
run's objects are looked at (others' runs are live)."""
import os
import subprocess
import time
import pp
import pprun

pp.need_root()
bpftool = "/usr/sbin/bpftool" if os.path.exists("/usr/sbin/bpftool") else pp.need_program("bpftool")


def held_by(pid):
    """The programs and links that process pid holds, by id, from its fdinfo."""
    progs, links = set(), set()
    d = f"/proc/{pid}/fdinfo"
    try:
        fds = os.listdir(d)
    except OSError:
        return progs, links
    for fd in fds:
        try:
            with open(os.path.join(d, fd)) as f:
                info = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
        except OSError:
            continue
        if "link_id" in info:
            links.add(int(info["link_id"]))
        elif "prog_id" in info:
            progs.add(int(info["prog_id"]))
    return progs, links


def alive():
    progs = pprun.bpftool_objects("prog", "list")
    links = pprun.bpftool_objects("link", "list")
    return {p["id"] for p in progs}, {l["id"] for l in links}, links


def uprobe_events():
    for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        try:
            with open(os.path.join(d, "uprobe_events")) as f:
                return f.read()
        except OSError:
            continue
    return ""


env = dict(os.environ, PHASEPROF_PROBE_PATH=pp.TEST_PROBES)
p = subprocess.Popen([pp.PHASEPROF, "-x", pp.PHASETEST, "--", "load=5", "execute=1500"], env=env,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
progs, links = set(), set()
for _ in range(100):  # armed within the first second, even on a loaded machine
    time.sleep(0.1)
    progs, links = held_by(p.pid)
    if links or p.poll() is not None:
        break
pp.check(progs and links, f"the run's programs and links seen while it runs: {progs} {links}")
out, err = p.communicate(timeout=60)
exited = time.monotonic()
pp.check(p.returncode == 0, f"exit status first: {p.returncode}\n{err}")
pp.check("execute" in err, f"the report came first: {err}")
time.sleep(max(0.0, exited + 1.0 - time.monotonic()))
ids, link_ids, all_links = alive()
kept = pprun.kept_bpf_ids()["prog_id"]
pp.check(not ((progs & ids) - kept),
         f"one second after exit, programs of the run remain: {(progs & ids) - kept}")
pp.check(not (links & link_ids), f"one second after exit, links of the run remain: {links & link_ids}")
pp.check(not any(l.get("prog_id") in progs for l in all_links), "a link to the run's programs remains")
pp.check(f"_{p.pid}_" not in uprobe_events(), "a tracefs uprobe event of the run remains")
pp.done()
