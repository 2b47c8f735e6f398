"""test_timeline.py: every -o run writes trace.json (Chrome trace events) and
timeline.svg. trace.json has one named track per thread, and its phase
slices add up, per thread and phase, to phases.json's phase_ns (which its
intervals also add up to); probe hits are instants. timeline.svg, opened in
headless Chromium, has one row per thread, bars whose widths are their
share of the run, and hover titles; a screenshot is kept in
PHASEPROF_BUILD_DIR/test-artifacts/timeline.png."""

import html
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402

CHROMIUM = "/usr/bin/chromium"

HARNESS = r"""
<script type="text/ecmascript"><![CDATA[
window.addEventListener("load", function () {
	var r = {};
	try {
		var rows = document.querySelectorAll("g.thread");
		r.rows = rows.length;
		r.tids = [];
		r.widths = {};
		r.titles = 0;
		rows.forEach(function (g) {
			var tid = g.getAttribute("data-tid"), w = {};
			r.tids.push(parseInt(tid));
			g.querySelectorAll("rect.iv").forEach(function (rc) {
				var p = rc.getAttribute("data-phase");
				/* the rendered box, not the attribute: the browser laid it out */
				w[p] = (w[p] || 0) + rc.getBBox().width;
				if (rc.querySelector("title") && / ms\)$/.test(rc.querySelector("title").textContent))
					r.titles++;
			});
			r.widths[tid] = w;
		});
		r.rects = document.querySelectorAll("rect.iv").length;
	} catch (e) {
		r.error = String(e);
	}
	var t = document.createElementNS("http://www.w3.org/2000/svg", "text");
	t.setAttribute("id", "ppresult");
	t.textContent = JSON.stringify(r);
	document.documentElement.appendChild(t);
});
]]></script>
"""


def chromium(args, profile):
    return pp.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--no-first-run", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={profile}", "--virtual-time-budget=5000"] + args,
                  timeout=120)


def check_trace(doc, trace):
    pp.check(isinstance(trace.get("traceEvents"), list), "trace.json has a traceEvents array")
    ev = trace["traceEvents"]
    for e in ev:
        for key in ("name", "ph", "pid", "tid"):
            if not pp.check(key in e, f"event has {key}: {e}"):
                return
    threads = {t["tid"]: t for t in doc["threads"]}
    named = {e["tid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
    pp.check(set(named) == set(threads), f"one named track per thread: {named} vs {list(threads)}")
    for tid, t in threads.items():
        pp.check(named.get(tid) == t["comm"], f"track {tid} named {named.get(tid)!r}")
    procs = [e for e in ev if e["ph"] == "M" and e["name"] == "process_name"]
    pp.check(len(procs) == 1 and procs[0]["args"]["name"] == "phasetest", f"process name {procs}")

    sums = {}
    for e in ev:
        if e["ph"] == "X":
            pp.check(e["dur"] >= 0 and e["ts"] >= 0, f"slice has a time: {e}")
            key = (e["tid"], e["name"])
            sums[key] = sums.get(key, 0) + e["dur"]
    for tid, t in threads.items():
        pp.check(t["intervals_dropped"] == 0, f"thread {tid}: no interval dropped")
        for phase, ns in t["phase_ns"].items():
            # microseconds with three decimals: exact to the nanosecond, up to float sums
            pp.near(sums.pop((tid, phase), 0) * 1000, ns, 2, f"thread {tid} {phase}: slices sum to phase_ns")
            iv = sum(i["end_ns"] - i["start_ns"] for i in t["intervals"] if i["phase"] == phase)
            pp.check(iv == ns, f"thread {tid} {phase}: intervals {iv} sum to phase_ns {ns}")
    pp.check(not sums, f"no slice outside phases.json: {sums}")
    hits = [e for e in ev if e["ph"] == "i"]
    pp.check(any(e["name"] == "during pt_compile_worker" for e in hits), "probe hits are instants")
    pp.check(all(e.get("s") == "t" for e in hits), "instants are thread-scoped")


def check_svg(doc, svg, out):
    if not os.path.exists(CHROMIUM):
        print(f"note: {CHROMIUM} is missing (Debian package chromium): SVG not rendered")
        return
    d = tempfile.mkdtemp(prefix="pptest.timeline.")
    profile = tempfile.mkdtemp(prefix="pptest.chromium.")
    try:
        harness = os.path.join(d, "harness.svg")
        with open(harness, "w") as f:
            f.write(svg.replace("</svg>", HARNESS + "</svg>"))
        r = chromium(["--dump-dom", "file://" + harness], profile)
        m = re.search(r'<text id="ppresult"[^>]*>(.*?)</text>', r.stdout, re.S)
        if not pp.check(m is not None, f"harness ran (chromium rc {r.returncode}): {r.stderr[-500:]!r}"):
            return
        res = json.loads(html.unescape(m.group(1)))
        pp.check("error" not in res, f"no script error: {res.get('error')}")
        tids = [t["tid"] for t in doc["threads"]]
        pp.check(res.get("rows") == len(tids), f"one row per thread: {res.get('rows')} for {tids}")
        pp.check(sorted(res.get("tids", [])) == sorted(tids), f"rows are the threads: {res.get('tids')}")
        pp.check(res.get("titles") == res.get("rects") and res.get("rects", 0) > 0,
                 f"every bar has a hover title with times: {res.get('titles')}/{res.get('rects')}")
        # a bar's rendered width is its share of the run's 970 px time axis
        span = 1200 - 220 - 10
        for t in doc["threads"]:
            for phase, ns in t["phase_ns"].items():
                w = res["widths"].get(str(t["tid"]), {}).get(phase, 0)
                pp.near(w, span * ns / doc["wall_ns"], 1.0, f"thread {t['tid']} {phase} bar width")
        artifacts = os.path.join(pp.BUILD_DIR, "test-artifacts")
        os.makedirs(artifacts, exist_ok=True)
        png = os.path.join(artifacts, "timeline.png")
        if os.path.exists(png):
            os.unlink(png)
        chromium(["--screenshot=" + png, "--window-size=1200,300",
                  "file://" + os.path.join(out, "timeline.svg")], profile)
        pp.check(os.path.exists(png) and os.path.getsize(png) > 1000, f"screenshot {png}")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(d, ignore_errors=True)


def main():
    pp.need_root()
    out = pp.tmpdir()
    steps = ["load=20", "compile=40:busy:2", "instantiate=5", "execute=30:busy", "lazy=5", "execute=10"]
    r = pp.phaseprof(["-x", pp.PHASETEST, "-o", out, "--"] + steps)
    if not pp.check(r.returncode == 0, f"exit status {r.returncode}: {r.stderr}"):
        pp.done()
    doc = pp.load_json(os.path.join(out, "phases.json"))
    pp.check(len(doc["threads"]) == 3, f"three threads: {[t['tid'] for t in doc['threads']]}")
    main_iv = doc["threads"][0]["intervals"]
    pp.check([i["phase"] for i in main_iv] ==
             ["startup", "load", "compile", "instantiate", "execute", "compile", "execute", "teardown"],
             f"main thread's time line: {[i['phase'] for i in main_iv]}")
    pp.check(all(a["end_ns"] <= b["start_ns"] for a, b in zip(main_iv, main_iv[1:])), "in order")
    with open(os.path.join(out, "trace.json")) as f:
        check_trace(doc, json.load(f))
    with open(os.path.join(out, "timeline.svg")) as f:
        check_svg(doc, f.read(), out)
    shutil.rmtree(out, ignore_errors=True)
    pp.done()


if __name__ == "__main__":
    main()
