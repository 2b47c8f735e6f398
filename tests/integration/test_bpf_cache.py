"""The BPF program cache (bpf_cache.h, phaseprof-cache(1)): a run keeps the
programs it loaded, pinned in bpffs; the next run with the same options
reuses them instead of loading, and measures exactly what a fresh load does
(each run against its own clock, ppclock.py); concurrent runs take separate
instances; a run after a killed one sees nothing of it, nor does one beside
an earlier run's uprobe link still coming down; kept programs are
attached to nothing and listed by bpftool under their names; `cache drop`
frees them; --no-bpf-cache keeps nothing. A private cache directory keeps
other runs on this machine out of it."""
import json
import os
import signal
import subprocess
import time
import pp
import ppclock
import pprun

pp.need_root()
if not os.path.isdir("/sys/fs/bpf") or not os.path.ismount("/sys/fs/bpf"):
    pp.skip("bpffs is not mounted at /sys/fs/bpf")

CACHE = f"/sys/fs/bpf/phaseprof-test-{os.getpid()}"
ENV = dict(os.environ, PHASEPROF_PROBE_PATH=pp.TEST_PROBES, PHASEPROF_BPF_CACHE_DIR=CACHE)
pprun.BPF_CACHE_DIR = CACHE  # what it keeps there is not a leftover
STALELINK = os.path.join(pp.BUILD_DIR, "tests", "stalelink")


def record(load, execute, extra=(), out=None):
    """One run: (returncode, stderr, output dir)."""
    out = out or pp.tmpdir()
    env = dict(ENV, PHASETEST_CLOCK=os.path.join(out, "phasetest.clock"))
    r = pp.run([pp.PHASEPROF, "-v", "-F", "0", *extra, "-x", pp.PHASETEST, "-o", out, "--",
                f"load={load}", f"execute={execute}"], env=env)
    return r.returncode, r.stderr, out


def measured_right(out, load, what):
    """The run's phases agree with its own clock, and it saw one process."""
    doc = pp.load_json(os.path.join(out, "phases.json"))
    ph = {x["name"]: x for x in doc["phases"]}
    own = ppclock.read_clock(os.path.join(out, "phasetest.clock"))
    for n in ("load", "execute"):
        pp.check(n in own and ppclock.agree(ph[n]["wall_ns"], own[n]),
                 f"{what}: {n} {ph[n]['wall_ns']} ns, its clock {own.get(n)}")
    hits = {x["site"]: x["hits"] for x in doc["probes"]}
    pp.check(hits.get("during pt_load") == 1, f"{what}: one pt_load hit: {hits}")
    pids = {t["pid"] for t in doc["threads"]}
    pp.check(len(pids) == 1, f"{what}: threads of one process only: {pids}")


def cache_list():
    r = pp.run([pp.PHASEPROF, "cache", "--json"], env=ENV)
    pp.check(r.returncode == 0, f"cache --json: {r.returncode} {r.stderr}")
    return json.loads(r.stdout)["bpf"]["instances"]


def wait_idle(timeout=20):
    """Until every kept instance is idle: the runs' keepers are done."""
    end = time.time() + timeout
    while any(i["in_use"] for i in cache_list()) and time.time() < end:
        time.sleep(0.1)


def used_slot(err, what):
    for line in err.splitlines():
        for said in ("reused from ", "kept in "):
            if said in line:
                return said.strip(), line.split(said, 1)[1].split(":")[0].split(" ")[0]
    pp.check(False, f"{what}: -v names the instance it used:\n{err}")
    return None, None


def generation(err, what):
    """The generation -v says a reusing run's probes carry."""
    for line in err.splitlines():
        if "reused from " in line and "; run " in line:
            return int(line.split("; run ")[1].split()[0])
    pp.check(False, f"{what}: -v names its generation:\n{err}")
    return 0


try:
    # a first run loads and keeps; the next reuses, loading nothing
    rc, err, out = record(40, 60)
    pp.check(rc == 0, f"first run: {rc}\n{err}")
    how, first = used_slot(err, "first run")
    pp.check(how == "kept in" and "instructions verified" in err, f"the first run loads and keeps: {err}")
    measured_right(out, 40, "first run")
    wait_idle()
    rc, err, out = record(40, 60)
    pp.check(rc == 0, f"second run: {rc}\n{err}")
    how, second = used_slot(err, "second run")
    pp.check(how == "reused from" and second == first, f"the second run reuses {first}: {err}")
    pp.check("instructions verified" not in err, "a reusing run verifies nothing")
    measured_right(out, 40, "reusing run")

    # an earlier run's uprobe link still coming down (its keeper gives the slot
    # up first, and may be slow to close it on a busy machine) keeps no run
    # out of the instance, and its hits count for nothing: stalelink holds one
    # on pt_load, with the generation of the run before
    wait_idle()
    gen = generation(err, "reusing run")
    offset = pp.run([pp.PHASEPROF, "resolve", "-x", pp.PHASETEST, "pt_load"]).stdout.split()[-3]
    stale = subprocess.Popen([STALELINK, first + "/prog_pp_site_multi", pp.PHASETEST, offset, str(gen)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        pp.check(stale.stdout.readline().strip() == "linked", "stalelink holds a link on pt_load")
        rc, err, out = record(40, 60)
        how, third = used_slot(err, "run beside a stale link")
        pp.check(rc == 0 and how == "reused from" and third == first and
                 "still coming down" in err, f"it takes the instance all the same: {err}")
        pp.check(generation(err, "run beside a stale link") not in (0, gen), "as the next generation")
        measured_right(out, 40, "run beside a stale link")
    finally:
        stale.stdin.close()
        stale.wait(timeout=30)

    # kept: pinned under their names, attached to nothing, listed with their memory
    wait_idle()
    inst = cache_list()
    pp.check(len(inst) == 1 and inst[0]["path"] == first and inst[0]["programs"] >= 5
             and inst[0]["memlock_bytes"] > 0 and not inst[0]["in_use"], f"cache list: {inst}")
    progs = pprun.bpftool_objects("-f", "prog", "show")
    kept = {p["id"]: p["name"] for p in progs
            if any(x.startswith(first + "/") for x in p.get("pinned") or [])}
    pp.check({"pp_site_multi", "pp_exec", "pp_fork", "pp_exit", "pp_switch"} <= set(kept.values()),
             f"bpftool lists the kept programs by name: {kept}")
    links = pprun.bpftool_objects("link", "show")
    pp.check(not [l for l in links if l.get("prog_id") in kept], "no link runs a kept program")

    # two at once: separate instances, each its own process
    out_long = pp.tmpdir()
    env = dict(ENV, PHASETEST_CLOCK=os.path.join(out_long, "phasetest.clock"))
    long_run = subprocess.Popen([pp.PHASEPROF, "-v", "-F", "0", "-x", pp.PHASETEST, "-o", out_long,
                                 "--", "load=250", "execute=600"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    time.sleep(0.15)
    rc, err, out = record(30, 30)
    _, long_err = long_run.communicate(timeout=60)
    pp.check(rc == 0 and long_run.returncode == 0, f"concurrent runs: {rc} {long_run.returncode}")
    a, b = used_slot(long_err, "long run")[1], used_slot(err, "short run")[1]
    pp.check(a != b, f"concurrent runs use separate instances: {a} {b}")
    measured_right(out_long, 250, "long concurrent run")
    measured_right(out, 30, "short concurrent run")

    # a run killed half way: the next one sees nothing of it
    wait_idle()
    killed = pprun.Run(["-v", "-F", "0", "-x", pp.PHASETEST, "--", "load=20", "execute=3000"],
                       env=ENV)
    killed.wait_for("probes armed")
    time.sleep(0.3)
    killed.kill()
    pprun.wait_dead(killed.pids)
    rc, err, out = record(40, 60)
    pp.check(rc == 0, f"the run after a killed one: {rc}\n{err}")
    measured_right(out, 40, "the run after a killed one")
    left = pprun.leftovers(killed)
    pp.check(not left, f"the killed run left: {left}")

    # --no-bpf-cache: loads, keeps nothing
    before = {i["path"] for i in cache_list()}
    rc, err, out = record(20, 20, extra=["--no-bpf-cache"])
    pp.check(rc == 0 and "instructions verified" in err and "reused from" not in err
             and "kept in" not in err, f"--no-bpf-cache loads afresh: {err}")
    pp.check({i["path"] for i in cache_list()} == before, "--no-bpf-cache keeps nothing")

    # drop: every idle instance goes, and its programs with it
    wait_idle()
    r = pp.run([pp.PHASEPROF, "cache", "drop", "--bpf"], env=ENV)
    pp.check(r.returncode == 0 and "dropped" in r.stdout, f"cache drop: {r.returncode} {r.stdout}")
    pp.check(cache_list() == [], "nothing is kept after drop")
    time.sleep(0.5)
    live = {p["id"] for p in pprun.bpftool_objects("prog", "show")}
    pp.check(not (set(kept) & live), f"dropped programs are freed: {set(kept) & live}")
finally:
    pp.run([pp.PHASEPROF, "cache", "drop", "--bpf"], env=ENV)
    try:
        for root, dirs, _ in os.walk(CACHE, topdown=False):
            for d in dirs:
                os.rmdir(os.path.join(root, d))
        os.rmdir(CACHE)
    except OSError:
        pass
pp.done()
