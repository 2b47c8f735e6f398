"""test_syscalls.py: --syscalls counts the runtime's system calls per phase and
thread in the kernel. The test runtime sleeps in load and calls getpid() 100,000
times in execute: getpid is counted at least 100,000 times in execute and
never in load, the sleep is load's clock_nanosleep with its time; the table
has the block; clock_gettime through the vDSO is not counted; without
--syscalls there is no count at all."""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402

TEST = os.path.join(pp.BUILD_DIR, "tests", "syscalltest")


def record(args, steps):
    out = pp.tmpdir()
    r = pp.phaseprof(["-x", TEST, "-o", out] + args + ["--"] + steps)
    doc = pp.load_json(os.path.join(out, "phases.json")) if r.returncode == 0 else None
    shutil.rmtree(out, ignore_errors=True)
    pp.check(r.returncode == 0, f"{args} {steps}: exit {r.returncode}: {r.stderr}")
    return r, doc


def by_name(calls):
    return {c["name"]: c for c in calls}


def main():
    pp.need_root()
    if not os.path.exists(TEST):
        pp.skip(f"{TEST} is not built")
    r, doc = record(["--syscalls", "-F", "0"], ["load=80", "execute=100000"])
    if not doc:
        pp.done()
    sc = doc.get("syscalls")
    if not pp.check(sc is not None, "phases.json has syscalls"):
        pp.done()
    pp.check(set(sc) >= {"startup", "load", "execute", "teardown", "lost"}, f"per-phase lists: {list(sc)}")
    for phase, calls in sc.items():
        if phase != "lost":
            for c in calls:
                pp.check(set(c) == {"name", "nr", "count", "total_ns", "threads"}, f"{phase} entry {c}")
                pp.check(sum(t["count"] for t in c["threads"]) == c["count"] and
                         sum(t["total_ns"] for t in c["threads"]) == c["total_ns"],
                         f"{phase} {c['name']}: its threads add up")
    execute, load = by_name(sc["execute"]), by_name(sc["load"])
    pp.check(execute.get("getpid", {}).get("count", 0) >= 100000,
             f"getpid >= 100000 in execute: {execute.get('getpid')}")
    pp.check("getpid" not in load, f"no getpid in load: {load.get('getpid')}")
    main = doc["threads"][0]["tid"]
    pp.check([t["tid"] for t in execute.get("getpid", {}).get("threads", [])] == [main],
             "getpid is the main thread's")
    pp.check(sc["execute"][0]["name"] == "getpid", "getpid tops execute")
    sleep = load.get("clock_nanosleep") or load.get("nanosleep")
    if pp.check(sleep is not None, f"the sleep is load's: {list(load)}"):
        ph = {p["name"]: p for p in doc["phases"]}
        # the call's kernel time is the sleep, within the load phase's wall time
        pp.check(70e6 < sleep["total_ns"] <= ph["load"]["wall_ns"],
                 f"sleep {sleep['total_ns']} ns within load {ph['load']['wall_ns']} ns")
    pp.check(by_name(sc["teardown"]).get("exit_group", {}).get("count") == 1, "exit_group in teardown")
    pp.check(sc["lost"] == 0, "nothing lost")
    pp.check("top system calls per phase" in r.stderr and "getpid 100" in r.stderr,
             f"the table's block: {r.stderr}")

    # the vDSO: 100,000 clock_gettime calls, none of them a system call
    r, doc = record(["--syscalls", "-F", "0"], ["clock=100000"])
    if doc:
        calls = {c["name"]: c["count"] for p, l in doc["syscalls"].items() if p != "lost" for c in l}
        pp.check(calls.get("clock_gettime", 0) < 100, f"clock_gettime through the vDSO: {calls.get('clock_gettime')}")

    r, doc = record(["-F", "0"], ["execute=1000"])
    if doc:
        pp.check("syscalls" not in doc, "no syscalls without --syscalls")
        pp.check("top system calls" not in r.stderr, "no block without --syscalls")
    pp.done()


if __name__ == "__main__":
    main()
