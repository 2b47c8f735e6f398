"""phaseprof compare on the suite machinery, and the defects issue 15 named:
a runtime whose every run fails is excluded (named with its first stderr
line), never "the fastest"; the ratio compares a runtime with the mean of the
OTHER runtimes (two runtimes can differ by more than 2x); the table's columns
line up; -n 1 gives no spread-based score; -F, --call-graph, --backend and
--generic reach record; -v shows each record's report; the output directory
holds results.sqlite that `suite report` reads.

The runtimes are copies of tests/phasetest with their own profiles: ptfast
runs the app's steps, ptslow sleeps 20 ms more in execute first, ptbad exits 2
(an unknown step), ptfail's ELF interpreter does not exist, so record fails
every time (it cannot exec it).
Sleeps, not busy loops, where the ratio is checked: the expected ratio is
measured from the same runs (their medians), not assumed."""
import os
import re
import shutil
import struct
import pp

pp.need_root()
work = pp.tmpdir()
probes = os.path.join(work, "probes")
os.makedirs(probes)


def break_interp(path):
    """Point the ELF's PT_INTERP at a loader that does not exist: exec fails."""
    with open(path, "r+b") as f:
        elf = bytearray(f.read())
        phoff = struct.unpack_from("<Q", elf, 0x20)[0]
        phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
        for i in range(phnum):
            ph = phoff + i * phentsize
            if struct.unpack_from("<I", elf, ph)[0] == 3:  # PT_INTERP
                off = struct.unpack_from("<Q", elf, ph + 8)[0]
                elf[off + 1] = ord("X")  # /lib64/... -> /Xib64/...
                f.seek(0)
                f.write(elf)
                return
    pp.skip(f"{path} has no PT_INTERP (a static phasetest?)")

rts = {}
for name, extra in (("ptfast", ""), ("ptslow", "execute=20 "), ("ptbad", "no-such-step "),
                    ("ptfail", "")):
    rts[name] = os.path.join(work, name)
    shutil.copy(pp.PHASETEST, rts[name])
    body = (f"profile {name}\nbinaries {name}\nargv {{runtime}} {extra}{{args}}\n"
            "phase load\n\tduring pt_load\nphase compile\n\tduring pt_compile\n"
            "phase instantiate\n\tduring pt_instantiate\nphase execute\n\tduring pt_execute\n")
    with open(os.path.join(probes, name + ".probe"), "w") as f:
        f.write(body)
break_interp(rts["ptfail"])
ENV = {"PHASEPROF_PROBE_PATH": probes}
module = os.path.join(work, "m.wasm")
with open(module, "wb") as f:
    f.write(b"\0asm\1\0\0\0")


def compare(name, runtimes, opts, app=("execute=10",), env=ENV):
    out = os.path.join(work, name)
    r = pp.phaseprof(["compare", "-x", ",".join(rts[n] for n in runtimes), "-o", out] + opts +
                     ["--", module] + list(app), env=env)
    doc = None
    if os.path.exists(os.path.join(out, "compare.json")):
        doc = pp.load_json(os.path.join(out, "compare.json"))
    return r, doc, out


def by_name(doc):
    return {x["name"]: x for x in doc["runtimes"]} if doc else {}


def cells(line):
    """(start, end) of each cell: runs of words joined by single spaces."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S+(?: \S+)*", line)]


def check_aligned(lines, what):
    """The first column starts at one place, every other column ends at one place."""
    spans = [cells(x) for x in lines]
    ok = lines and all(len(s) == len(spans[0]) for s in spans)
    ok = ok and all(s[0][0] == spans[0][0][0] for s in spans)
    ok = ok and all([e for _, e in s[1:]] == [e for _, e in spans[0][1:]] for s in spans)
    if not pp.check(ok, f"{what}: columns aligned"):
        print("\n".join(lines))


def table(stdout):
    lines = stdout.splitlines()
    i = next(k for k, x in enumerate(lines) if " ms per phase: " in x)
    j = next(k for k, x in enumerate(lines) if x.startswith("anomalies"))
    return lines[i + 1:j], lines[j + 1:]


# ---- every run of ptfail fails; ptbad exits 2; the ratio; alignment ----
r, doc, out = compare("main", ["ptfast", "ptslow", "ptfail", "ptbad"],
                      ["-n", "5", "--warmup", "1", "-F", "0"])
pp.check(r.returncode == 1, f"a failed runtime and a mismatch: exit 1, not {r.returncode}: {r.stderr}")
rt = by_name(doc)
fail = rt.get("ptfail", {})
pp.check(fail.get("runs") == 0 and fail.get("failures") == 5 and not fail.get("ranked"),
         f"ptfail: no run, 5 failures, not ranked: {fail}")
with open(os.path.join(out, "runs", "b1", "m", "ptfail", "run-0", "stderr")) as f:
    first = f.readline().strip()
pp.check(first.startswith("phaseprof: cannot exec"), f"ptfail's stderr: {first}")
pp.check(first[len("phaseprof: "):] in (fail.get("excluded") or ""),
         f"ptfail excluded, named with its first stderr line: {fail.get('excluded')}")
pp.check(re.search(r"excluded: ptfail: record failed \(status \d+\): (phaseprof: )?cannot exec", r.stdout),
         f"ptfail's exclusion on stdout:\n{r.stdout}")
bad = rt.get("ptbad", {})
pp.check(not bad.get("ranked") and "unknown step" in (bad.get("excluded") or "")
         and bad.get("mismatch"), f"ptbad (exit 2) excluded with its stderr line: {bad}")
pp.check("MISMATCH: ptbad" in r.stderr, f"the mismatch is loud: {r.stderr}")
pp.check(not doc["outputs_match"], "outputs_match is false")
ranked_rts = {a["runtime"] for a in doc["anomalies"]}
pp.check(ranked_rts == {"ptfast", "ptslow"}, f"only ptfast and ptslow are ranked: {ranked_rts}")
top = doc["anomalies"][0] if doc["anomalies"] else {}
pp.check(top.get("runtime") == "ptslow" and top.get("phase") in ("execute", "run")
         and top.get("anomaly"), f"ptslow's execute (or run) leads the ranking: {top}")
fast_ex = rt["ptfast"]["phases"]["execute"]
slow_ex = rt["ptslow"]["phases"]["execute"]
want = slow_ex["median_ms"] / fast_ex["median_ms"]
pp.check(abs(slow_ex["ratio"] - want) <= 1e-3 * want,
         f"ptslow's ratio {slow_ex['ratio']:.3f} is its median over ptfast's ({want:.3f})")
pp.check(slow_ex["ratio"] > 2, f"two runtimes can differ by more than 2x: {slow_ex['ratio']:.3f}")
pp.check(abs(fast_ex["ratio"] * slow_ex["ratio"] - 1) < 1e-3, "and ptfast's is the inverse")
pp.check(slow_ex["others_mean_ms"] == fast_ex["median_ms"], "others' mean: ptfast's median alone")
pp.check(slow_ex["p"] is not None and slow_ex["p"] < 0.05,
         f"the rank test finds it: p={slow_ex['p']}")
main_rows, rest = table(r.stdout)
pp.check(len(main_rows) == 1 + 8, f"header and 8 phase rows: {main_rows}")
pp.check("(excluded)" in main_rows[0] and "(failed)" in main_rows[1], "the failed runtime's column")
check_aligned(main_rows, "the phase table")
anom = [x for x in rest if not x.lstrip().startswith("excluded:") and not x.startswith("results:")]
pp.check(len(anom) >= 2 and "runtime" in anom[0], f"the anomalies table: {anom}")
check_aligned(anom, "the anomalies table")
with open(os.path.join(out, "compare.csv")) as f:
    rows = f.read().splitlines()
pp.check(rows[0].startswith("runtime,phase,measured,n,median_ms,min_ms,max_ms,mad_ms,ratio,score,anomaly"),
         f"csv header: {rows[0]}")
pp.check(any(x.startswith("ptslow,execute,1,5,") for x in rows), "csv: ptslow's execute")
# the runs are in results.sqlite, interleaved, and suite report reads the directory
rep = pp.phaseprof(["suite", "report", "--format", "json", out])
pp.check(rep.returncode == 0 and '"ptfail"' in rep.stdout, f"suite report DIR: {rep.stderr}")
run0 = os.path.join(out, "runs", "b1", "m", "ptfast", "run-0")
pp.check(os.path.exists(os.path.join(run0, "phases.json")) and
         os.path.exists(os.path.join(run0, "stdout")), f"the run folder {run0}")

# ---- -n 1: no spread, no score ----
r, doc, _ = compare("n1", ["ptfast", "ptslow"], ["-n", "1", "--warmup", "0", "-F", "0"])
pp.check(r.returncode == 0, f"-n 1: exit {r.returncode}: {r.stderr}")
pp.check("n=1: no spread, not ranked" in r.stdout, f"-n 1 says it does not rank:\n{r.stdout}")
pp.check(not re.search(r"score\s+[0-9]", r.stdout) and doc and not doc["ranked"]
         and not doc["anomalies"], f"and gives no score: {doc and doc['anomalies']}")
pp.check(all(p["score"] is None for x in doc["runtimes"] for p in x["phases"].values()),
         "no score in the JSON")
check_aligned(table(r.stdout)[0], "-n 1 table")

# ---- options reach record ----
r, doc, out = compare("perf", ["ptfast", "ptslow"],
                      ["-n", "2", "--warmup", "0", "-F", "0", "--backend", "perf"])
pp.check(r.returncode == 0, f"--backend perf: exit {r.returncode}: {r.stderr}")
pj = pp.load_json(os.path.join(out, "runs", "b1", "m", "ptslow", "run-1", "phases.json"))
pp.check(pj.get("backend") == "perf", f"the run says backend perf: {pj.get('backend')}")
pp.check("samples" not in pj and not os.path.exists(os.path.join(out, "ptfast.folded")),
         "-F 0: no stacks")
pp.check(not [f for f in os.listdir(out) if f.endswith(".svg")], "-F 0: no flame graphs")
r, doc, _ = compare("bogus", ["ptfast", "ptslow"], ["-n", "1", "--warmup", "0",
                                                   "--backend", "bogus"])
pp.check(r.returncode == 1 and all("not 'bogus'" in (x["excluded"] or "") for x in doc["runtimes"]),
         f"--backend bogus reaches record, which refuses it: {r.stdout}")

r, doc, out = compare("stacks", ["ptfast", "ptslow"],
                      ["-n", "2", "--warmup", "0", "-F", "499", "--call-graph", "dwarf"],
                      app=("execute=60:busy",))
pp.check(r.returncode == 0, f"-F 499 --call-graph dwarf: exit {r.returncode}: {r.stderr}")
pj = pp.load_json(os.path.join(out, "runs", "b1", "m", "ptfast", "run-1", "phases.json"))
pp.check(pj.get("samples", {}).get("call_graph") == "dwarf" and pj["samples"]["frequency_hz"] == 499,
         f"--call-graph dwarf and -F 499 reach record: {pj.get('samples')}")
pp.check(os.path.getsize(os.path.join(out, "ptfast.folded")) > 0 and
         os.path.exists(os.path.join(out, "ptslow-vs-ptfast.svg")),
         f"stacks kept and the diff flame graph drawn: {os.listdir(out)}")

r, doc, out = compare("generic", ["ptfast", "ptslow"], ["-n", "2", "--warmup", "0", "-F", "0",
                                                      "--generic"])
pj = pp.load_json(os.path.join(out, "runs", "b1", "m", "ptfast", "run-0", "phases.json"))
pp.check(isinstance(pj.get("fallback"), dict), f"--generic reaches record: {pj.get('fallback')}")
pp.check(r.returncode == 0 and all(x["ranked"] for x in doc["runtimes"]),
         f"asked for, the fallback does not exclude: {r.returncode} {r.stdout}")

# ---- -v: each record's report ----
r, doc, _ = compare("verbose", ["ptfast", "ptslow"], ["-n", "2", "--warmup", "1", "-F", "0", "-v"])
heads = re.findall(r"---- m on (\w+), (\S+): record's report ----", r.stderr)
pp.check(sorted(heads) == sorted([(n, k) for n in ("ptfast", "ptslow")
                                  for k in ("warmup-0", "run-0", "run-1")]),
         f"one report per run: {heads}")
pp.check(len(re.findall(r"ptslow \(.*\) exited with status 0 after", r.stderr)) == 3,
         f"record's own report lines are shown:\n{r.stderr}")
pp.check(r.returncode == 0, f"-v: exit {r.returncode}")

shutil.rmtree(work, ignore_errors=True)
pp.done()
