"""test_offcpu.py: --off-cpu measures blocked time per phase in the kernel.
The system call test runtime sleeps 80 ms in load: offcpu.folded (in
microseconds) has the sleep under [load] with its stack, offcpu.svg is
drawn, and phases.json says no thread of the runtime ended the wait. The
phase test runtime's main thread joins two compile workers: its blocked
time in compile is "waiting for" a worker, in compile. On node (when
installed), the main thread's waits name the threads that woke it and
their phases."""

import os
import shutil
import sys
import xml.dom.minidom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402

SYSCALLTEST = os.path.join(pp.BUILD_DIR, "tests", "syscalltest")


def record(runtime, args, steps):
    out = pp.tmpdir()
    r = pp.phaseprof(["-x", runtime, "-o", out, "--off-cpu"] + args + ["--"] + steps)
    pp.check(r.returncode == 0, f"{steps}: exit {r.returncode}: {r.stderr}")
    return r, out


def folded(path):
    lines = []
    with open(path) as f:
        for line in f:
            stack, n = line.rstrip("\n").rsplit(" ", 1)
            lines.append((stack.split(";"), int(n)))
    return lines


def test_sleep():
    r, out = record(SYSCALLTEST, ["-F", "0"], ["load=80", "execute=1000"])
    doc = pp.load_json(os.path.join(out, "phases.json"))
    off = doc.get("offcpu")
    if not pp.check(off is not None, "phases.json has offcpu"):
        return
    load_ns = {p["name"]: p for p in doc["phases"]}["load"]["wall_ns"]
    blocked = off["blocked_ns"]["load"]
    pp.check(75e6 <= blocked <= load_ns, f"load blocked {blocked} ns of its {load_ns}")
    waits = [w for w in off["waits"] if w["phase"] == "load"]
    pp.check(waits and waits[0]["waker_tid"] is None and waits[0]["ns"] > 75e6,
             f"the sleep ends by a timer, not a thread: {waits[:2]}")
    lines = folded(os.path.join(out, "offcpu.folded"))
    load = [(s, n) for s, n in lines if s[1] == "[load]"]
    us = sum(n for _, n in load)
    pp.near(us, blocked / 1000, len(load) + 1, f"offcpu.folded's [load] µs {us} = blocked")
    pp.check(sum(n for _, n in lines) == off["stacks_us"], "stacks_us is the file's total")
    sleeping = [s for s, n in load if n > 70000]
    pp.check(sleeping and any("nanosleep" in f for f in sleeping[0]),
             f"the sleep's stack: {sleeping[:1]}")
    pp.check(sleeping and sleeping[0][0] == "syscalltest", "process frame first")
    with open(os.path.join(out, "offcpu.svg")) as f:
        svg = xml.dom.minidom.parseString(f.read())
    pp.check(svg.documentElement.tagName == "svg", "offcpu.svg is an SVG")
    pp.check("off-CPU per phase" in r.stderr and "woken by no thread" in r.stderr,
             f"the table says it: {r.stderr}")
    shutil.rmtree(out, ignore_errors=True)


def test_join():
    # sleeping workers: with busy ones on a loaded 2-CPU machine the main
    # thread may sit preempted (runnable, not blocked) until they are done,
    # and then find nothing to wait for in pthread_join (seen once in CI)
    r, out = record(pp.PHASETEST, ["-F", "0"], ["load=5", "compile=60:sleep:2", "execute=5"])
    doc = pp.load_json(os.path.join(out, "phases.json"))
    main = doc["threads"][0]["tid"]
    workers = {t["tid"] for t in doc["threads"][1:]}
    waits = [w for w in doc["offcpu"]["waits"] if w["tid"] == main and w["phase"] == "compile"]
    joined = [w for w in waits if w["waker_tid"] in workers]
    pp.check(joined and joined[0]["waker_phase"] == "compile",
             f"main waits in compile for a worker in compile: {waits}")
    pp.check(sum(w["ns"] for w in joined) > 40e6, f"most of compile is that wait: {joined}")
    pp.check(f"thread {main} (phasetest) waiting for thread" in r.stderr and "in compile)" in r.stderr,
             f"the table names the wait: {r.stderr}")
    shutil.rmtree(out, ignore_errors=True)


def test_node():
    node = shutil.which("node")
    if not node or not os.path.exists(pp.EXAMPLE_WASM):
        print("note: node or the example app is missing: node waits not checked")
        return
    r, out = record("node", [], [pp.EXAMPLE_WASM, "27"])
    doc = pp.load_json(os.path.join(out, "phases.json"))
    main = doc["threads"][0]["tid"]
    others = {t["tid"]: t["comm"] for t in doc["threads"][1:]}
    by_thread = [w for w in doc["offcpu"]["waits"] if w["tid"] == main and w["waker_tid"] in others]
    pp.check(by_thread, f"node's main thread waits for its own threads: {doc['offcpu']['waits'][:5]}")
    for w in by_thread:
        pp.check(w["waker_phase"] in {p["name"] for p in doc["phases"]}, f"waker's phase named: {w}")
    print("node main thread waits:", [(others[w["waker_tid"]], w["phase"], w["waker_phase"], w["ns"])
                                      for w in by_thread[:5]])
    pp.check("waiting for thread" in r.stderr, "the table names node's waits")
    shutil.rmtree(out, ignore_errors=True)


def main():
    pp.need_root()
    if not os.path.exists(SYSCALLTEST):
        pp.skip(f"{SYSCALLTEST} is not built")
    test_sleep()
    test_join()
    test_node()
    pp.done()


if __name__ == "__main__":
    main()
