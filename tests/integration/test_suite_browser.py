"""test_suite_browser.py: `phaseprof suite report --format html` in headless
Chromium. A small suite runs on copies of tests/phasetest under two profiles
(ptslow sleeps 20 ms more in execute) and a failing one; report.html must
show the ranking, sort it by a column click (both ways), filter it with the
search box, list the exclusion, draw a bar per runtime and phase, and link
the runs' flame graphs. A harness script appended to a copy of the page
writes the results into the DOM, which --dump-dom prints; a screenshot is
kept in PHASEPROF_BUILD_DIR/test-artifacts/suite-report.png."""
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
<script>
window.addEventListener("load", function () {
	var r = {};
	function cases() {
		return Array.prototype.slice.call(document.querySelectorAll("#ranking tbody tr"))
			.filter(function (t) { return t.style.display !== "none"; })
			.map(function (t) { return t.getAttribute("data-case"); });
	}
	try {
		r.initial = cases();
		var th = document.querySelectorAll("#ranking th")[2]; /* distance */
		th.click();
		r.ascending = cases();
		th.click();
		r.descending = cases();
		r.arrow = th.getAttribute("data-dir");
		var q = document.getElementById("search");
		q.value = "mid";
		q.dispatchEvent(new Event("input"));
		r.searched = cases();
		r.sectionsShown = Array.prototype.slice.call(document.querySelectorAll("section"))
			.filter(function (s) { return s.style.display !== "none"; }).length;
		q.value = "";
		q.dispatchEvent(new Event("input"));
		r.cleared = cases().length;
		r.excluded = document.querySelectorAll("#exclusions tbody tr").length;
		r.excludedText = document.querySelector("#exclusions tbody tr").textContent;
		r.bars = document.querySelectorAll(".bar").length;
		r.slowBars = document.querySelectorAll(".fill.slow").length;
		r.flames = document.querySelectorAll("a[href$='flamegraph.svg']").length;
	} catch (e) {
		r.error = String(e) + " " + (e.stack || "");
	}
	var p = document.createElement("pre");
	p.id = "ppresult";
	p.textContent = JSON.stringify(r);
	document.body.appendChild(p);
});
</script>
"""


def chromium(args, profile):
    return pp.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--no-first-run", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={profile}", "--virtual-time-budget=5000"] + args,
                  timeout=120)


def make_results(work):
    probes = os.path.join(work, "probes")
    os.makedirs(probes)
    rts = []
    for name, extra in (("ptfast", ""), ("ptslow", "execute=20 "), ("ptbad", "no-such-step ")):
        rts.append(os.path.join(work, name))
        shutil.copy(pp.PHASETEST, rts[-1])
        with open(os.path.join(probes, name + ".probe"), "w") as f:
            f.write(f"profile {name}\nbinaries {name}\nargv {{runtime}} {extra}{{args}}\n"
                    "phase execute\n\tduring pt_execute\n")
    with open(os.path.join(work, "m.wasm"), "wb") as f:
        f.write(b"\0asm\1\0\0\0")
    suite = os.path.join(work, "s.suite")
    with open(suite, "w") as f:
        for name, ms in (("tiny", 2), ("mid", 30), ("big", 150)):
            f.write(f"case {name}\n\tmodule m.wasm\n\targs execute={ms}\n")
    out = os.path.join(work, "out")
    r = pp.phaseprof(["suite", "run", "-x", ",".join(rts), "-n", "2", "--warmup", "0", "-F", "97",
                      "-o", out, suite], env={"PHASEPROF_PROBE_PATH": probes})
    pp.check(r.returncode == 0, f"suite run: {r.returncode} {r.stderr}")
    return out


def main():
    pp.need_root()
    if not os.path.exists(CHROMIUM):
        pp.skip(f"{CHROMIUM} is missing (Debian package chromium)")
    work = pp.tmpdir()
    out = make_results(work)
    r = pp.phaseprof(["suite", "report", "--format", "html", out])
    page = os.path.join(out, "report.html")
    if not pp.check(r.returncode == 0 and os.path.exists(page), f"report.html: {r.stderr}"):
        pp.done()
    with open(page) as f:
        text = f.read()
    pp.check("http" not in text.replace("http://www.w3.org", ""), "self-contained: no external URL")
    harness = os.path.join(out, "harness.html")
    with open(harness, "w") as f:
        f.write(text.replace("</body>", HARNESS + "</body>"))
    profile = tempfile.mkdtemp(prefix="pptest.chromium.")
    try:
        r = chromium(["--dump-dom", "file://" + harness], profile)
        m = re.search(r'<pre id="ppresult">(.*?)</pre>', r.stdout, re.S)
        if not pp.check(m is not None, f"harness ran (chromium rc {r.returncode}): "
                        f"{r.stdout[-500:]!r} {r.stderr[-500:]!r}"):
            pp.done()
        res = json.loads(html.unescape(m.group(1)))
        pp.check("error" not in res, f"no script error: {res.get('error')}")
        pp.check(sorted(res.get("initial", [])) == ["big", "mid", "tiny"], f"ranked: {res.get('initial')}")
        pp.check(res.get("initial") == res.get("descending"), f"the page is ranked by distance: {res}")
        pp.check(res.get("ascending") == list(reversed(res.get("descending", []))),
                 f"a click sorts ascending, a second descending: {res.get('ascending')} {res.get('descending')}")
        pp.check(res.get("arrow") == "desc", "the header shows the direction")
        pp.check(res.get("searched") == ["mid"] and res.get("sectionsShown") == 1,
                 f"the search keeps 'mid' only: {res.get('searched')} {res.get('sectionsShown')}")
        pp.check(res.get("cleared") == 3, "clearing the search shows all")
        pp.check(res.get("excluded") == 3 and "unknown step" in res.get("excludedText", ""),
                 f"ptbad excluded in each case, with its stderr: {res.get('excludedText')}")
        # per case: run, startup, execute, teardown rows x 3 runtimes (ptbad has runs too)
        pp.check(res.get("bars", 0) >= 3 * 3 * 3, f"bars drawn: {res.get('bars')}")
        pp.check(res.get("slowBars", 0) >= 1, "the driving phase is marked")
        pp.check(res.get("flames", 0) >= 3, f"flame graphs linked: {res.get('flames')}")

        artifacts = os.path.join(pp.BUILD_DIR, "test-artifacts")
        os.makedirs(artifacts, exist_ok=True)
        png = os.path.join(artifacts, "suite-report.png")
        if os.path.exists(png):
            os.unlink(png)
        r = chromium(["--screenshot=" + png, "--window-size=1200,1400", "file://" + page], profile)
        pp.check(os.path.exists(png) and os.path.getsize(png) > 1000,
                 f"screenshot written to {png}: {r.stderr[-300:]!r}")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    pp.done()


if __name__ == "__main__":
    main()
