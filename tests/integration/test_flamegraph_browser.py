"""test_flamegraph_browser.py: open our SVG in headless Chromium and drive
its script: it initializes, a search highlights exactly the matching frames
and reports the matched share, a click on a frame zooms to it (callees
scaled, callers dimmed, others hidden) and Reset Zoom restores it. A
harness script appended to a copy of the SVG writes the results into the
document, which --dump-dom prints. A screenshot is kept as a test artifact
(PHASEPROF_BUILD_DIR/test-artifacts/flamegraph.png). No network needed."""

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
SPAN = 1200 - 2 * 10

FOLDED = """\
proc;[load];read 10
proc;[compile];cl;regalloc 30
proc;[compile];cl;emit 20
proc;[execute];fib_[j];fib_[j] 25
proc;[execute];fib_[j];regalloc 10
proc;[execute];sys_write_[k] 5
"""

HARNESS = r"""
<script type="text/ecmascript"><![CDATA[
window.addEventListener("load", function () {
	setTimeout(function () {
		var r = {};
		function byName(n) { return pp.frames.filter(function (f) { return f.name === n; }); }
		function width(f) { return parseFloat(f.rect.getAttribute("width")); }
		function click(el) { el.dispatchEvent(new MouseEvent("click", { bubbles: true })); }
		try {
			ppInit();
			r.frames = pp.frames.length;
			r.pct = ppSearch("^(regalloc|emit)$");
			r.matchedText = pp.matched.textContent;
			r.searchText = pp.search.textContent;
			r.highlighted = pp.frames.filter(function (f) {
				return f.rect.getAttribute("fill") === "rgb(230,0,230)";
			}).map(function (f) { return f.name; }).sort();
			ppResetSearch();
			r.afterResetSearch = pp.frames.filter(function (f) {
				return f.rect.getAttribute("fill") === "rgb(230,0,230)";
			}).length;
			var z = byName("[compile]")[0];
			click(z.rect);
			r.zoomWidth = width(z);
			r.clWidth = width(byName("cl")[0]);
			r.emitWidth = width(byName("emit")[0]);
			r.procWidth = width(byName("proc")[0]);
			r.procDimmed = byName("proc")[0].g.classList.contains("pp-parent");
			r.hidden = pp.frames.filter(function (f) {
				return f.g.classList.contains("hide");
			}).map(function (f) { return f.name; }).sort();
			r.unzoomShown = !pp.unzoom.classList.contains("hide");
			r.zoomLabel = byName("emit")[0].label ? byName("emit")[0].label.textContent : null;
			click(pp.unzoom);
			r.resetWidth = width(z);
			r.resetHidden = pp.frames.filter(function (f) {
				return f.g.classList.contains("hide");
			}).length;
			/* leave a search on for the screenshot */
			ppSearch("regalloc");
		} catch (e) {
			r.error = String(e) + " " + (e.stack || "");
		}
		var t = document.createElementNS("http://www.w3.org/2000/svg", "text");
		t.setAttribute("id", "ppresult");
		t.setAttribute("class", "hide");
		t.textContent = JSON.stringify(r);
		document.documentElement.appendChild(t);
	}, 50);
});
]]></script>
"""


def flame_cmd():
    # look for the verb's usage text rather than run it: a phaseprof without
    # the verb would take it for a program to record
    if os.path.exists(pp.PHASEPROF):
        with open(pp.PHASEPROF, "rb") as f:
            if b"usage: phaseprof flamegraph" in f.read():
                return [pp.PHASEPROF, "flamegraph"]
    alone = os.path.join(pp.BUILD_DIR, "flamegraph", "phaseprof-flamegraph")
    if os.path.exists(alone):
        return [alone, "flamegraph"]
    pp.skip("neither phaseprof flamegraph nor phaseprof-flamegraph is built")


def chromium(args, profile):
    return pp.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--no-first-run", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={profile}", "--virtual-time-budget=5000"] + args,
                  timeout=120)


def main():
    if not os.path.exists(CHROMIUM):
        pp.skip(f"{CHROMIUM} is missing (Debian package chromium)")
    cmd = flame_cmd()
    d = pp.tmpdir()
    src = os.path.join(d, "t.folded")
    with open(src, "w") as f:
        f.write(FOLDED)
    r = pp.run(cmd + ["--title", "browser test", src])
    if not pp.check(r.returncode == 0, f"render: {r.stderr}"):
        pp.done()
    svg = r.stdout
    harness = os.path.join(d, "harness.svg")
    with open(harness, "w") as f:
        f.write(svg.replace("</svg>", HARNESS + "</svg>"))

    profile = tempfile.mkdtemp(prefix="pptest.chromium.")
    try:
        r = chromium(["--dump-dom", "file://" + harness], profile)
        m = re.search(r'<text id="ppresult"[^>]*>(.*?)</text>', r.stdout, re.S)
        if not pp.check(m is not None, f"harness ran (chromium rc {r.returncode}): "
                        f"{r.stdout[-500:]!r} {r.stderr[-500:]!r}"):
            pp.done()
        res = json.loads(html.unescape(m.group(1)))
        pp.check("error" not in res, f"no script error: {res.get('error')}")
        pp.check(res.get("frames") == 13, f"script found the 13 frames: {res.get('frames')}")
        # regalloc (30 + 10) and emit (20) cover 60% of the 100 samples
        pp.near(res.get("pct", -1), 60.0, 0.1, "search: matched percent")
        pp.check(res.get("matchedText") == "Matched: 60.0%", f"matched text {res.get('matchedText')!r}")
        pp.check(res.get("searchText") == "Reset Search", "search button offers a reset")
        pp.check(res.get("highlighted") == ["emit", "regalloc", "regalloc"],
                 f"exactly the matches highlighted: {res.get('highlighted')}")
        pp.check(res.get("afterResetSearch") == 0, "reset search clears the highlight")
        pp.near(res.get("zoomWidth", 0), SPAN, 0.05, "zoomed frame fills the width")
        pp.near(res.get("clWidth", 0), SPAN, 0.05, "its only callee fills it too")
        pp.near(res.get("emitWidth", 0), SPAN * 20 / 50, 0.05, "callees scale with the zoom")
        pp.near(res.get("procWidth", 0), SPAN, 0.05, "callers span the width")
        pp.check(res.get("procDimmed") is True, "callers are dimmed")
        pp.check(res.get("hidden") == ["[execute]", "[load]", "fib", "fib", "read", "regalloc",
                                       "sys_write"],
                 f"frames outside the zoom are hidden: {res.get('hidden')}")
        pp.check(res.get("unzoomShown") is True, "Reset Zoom appears")
        pp.check(res.get("zoomLabel") == "emit", f"zoomed label refit: {res.get('zoomLabel')!r}")
        pp.near(res.get("resetWidth", 0), SPAN * 50 / 100, 0.05, "Reset Zoom restores widths")
        pp.check(res.get("resetHidden") == 0, "Reset Zoom shows every frame")

        artifacts = os.path.join(pp.BUILD_DIR, "test-artifacts")
        os.makedirs(artifacts, exist_ok=True)
        png = os.path.join(artifacts, "flamegraph.png")
        if os.path.exists(png):
            os.unlink(png)
        r = chromium(["--screenshot=" + png, "--window-size=1200,800", "file://" + harness],
                     profile)
        pp.check(os.path.exists(png) and os.path.getsize(png) > 1000,
                 f"screenshot written to {png}: {r.stderr[-300:]!r}")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(d, ignore_errors=True)
    pp.done()


if __name__ == "__main__":
    main()
