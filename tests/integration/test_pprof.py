"""test_pprof.py: every -o run with stacks writes profile.pb.gz. An independent
decoder reads it back: protobuf's own protoc (Debian's protobuf-compiler)
with our proto/profile.proto, over the gunzipped file. Per phase, the sample
totals (label "phase") equal stacks.folded's; every sample has its thread and
pid; locations and functions resolve; the runtime's mapping carries its
build-id."""

import ast
import gzip
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402

TOKEN = re.compile(r'\s*(?:([A-Za-z_][A-Za-z0-9_]*)\s*(\{|:\s*("(?:[^"\\]|\\.)*"|[^\s{}]+))|(\}))')


def parse_text(text):
    """protoc's text format to nested dicts of lists: {field: [value or dict, ...]}."""
    root, stack, pos = {}, [], 0
    cur = root
    while pos < len(text.rstrip()):
        m = TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot parse text format at {pos}: {text[pos:pos + 60]!r}")
        pos = m.end()
        name, brace, value, close = m.groups()
        if close:
            cur = stack.pop()
        elif brace == "{":
            child = {}
            cur.setdefault(name, []).append(child)
            stack.append(cur)
            cur = child
        elif value.startswith('"'):
            cur.setdefault(name, []).append(ast.literal_eval("b" + value).decode("utf-8", "replace"))
        elif value in ("true", "false"):
            cur.setdefault(name, []).append(value == "true")
        else:
            cur.setdefault(name, []).append(int(value))
    return root


def one(msg, field, default=0):
    return msg.get(field, [default])[0]


def folded_by_phase(path):
    totals = {}
    with open(path) as f:
        for line in f:
            stack, count = line.rstrip("\n").rsplit(" ", 1)
            phase = stack.split(";")[1].strip("[]")
            totals[phase] = totals.get(phase, 0) + int(count)
    return totals


def main():
    pp.need_root()
    protoc = pp.need_program("protoc")  # Debian: protobuf-compiler
    out = pp.tmpdir()
    # busy phases long enough to be sampled on a loaded machine
    r = pp.phaseprof(["-x", pp.PHASETEST, "-F", "499", "-o", out, "--", "load=80:busy",
                      "compile=80:busy:2", "execute=120:busy"])
    if not pp.check(r.returncode == 0, f"exit status {r.returncode}: {r.stderr}"):
        pp.done()
    doc = pp.load_json(os.path.join(out, "phases.json"))
    with gzip.open(os.path.join(out, "profile.pb.gz")) as f:
        raw = f.read()
    proto_dir = os.path.join(pp.SOURCE_DIR, "proto")
    d = pp.run([protoc, "--decode=perftools.profiles.Profile", f"-I{proto_dir}",
                os.path.join(proto_dir, "profile.proto")], input=raw.decode("latin-1"),
               encoding="latin-1")
    if not pp.check(d.returncode == 0, f"protoc decodes it: {d.stderr}"):
        pp.done()
    prof = parse_text(d.stdout)
    strings = prof["string_table"]
    pp.check(strings[0] == "", "string 0 is empty")
    types = [(strings[one(t, "type")], strings[one(t, "unit")]) for t in prof["sample_type"]]
    pp.check(types == [("samples", "count"), ("cpu", "nanoseconds")], f"sample types {types}")
    period = one(prof, "period")
    pp.check(period == 10**9 // 499, f"period {period} ns at 499 Hz")

    locs = {one(loc, "id"): loc for loc in prof.get("location", [])}
    fns = {one(fn, "id"): strings[one(fn, "name")] for fn in prof.get("function", [])}
    maps = {one(m, "id"): m for m in prof.get("mapping", [])}
    totals, names = {}, set()
    for s in prof.get("sample", []):
        labels = {strings[one(l, "key")]: (strings[one(l, "str")] if one(l, "str") else one(l, "num"))
                  for l in s.get("label", [])}
        pp.check({"phase", "thread", "process", "pid"} <= set(labels), f"sample labels {labels}")
        count, cpu = s["value"]
        pp.check(cpu == count * period, "cpu value is count times period")
        totals[labels.get("phase")] = totals.get(labels.get("phase"), 0) + count
        for lid in s.get("location_id", []):
            loc = locs.get(lid)
            if not pp.check(loc is not None, f"location {lid} exists"):
                continue
            mid = one(loc, "mapping_id")
            pp.check(mid == 0 or mid in maps, f"location {lid}'s mapping {mid} exists")
            fid = one(loc["line"][0], "function_id")
            pp.check(fid in fns, f"location {lid}'s function {fid} exists")
            names.add(fns.get(fid))
    folded = folded_by_phase(os.path.join(out, "stacks.folded"))
    pp.check(totals == folded, f"per-phase sample totals equal stacks.folded: {totals} vs {folded}")
    pp.check(sum(totals.values()) == doc["samples"]["total"], "total equals phases.json's")
    for fn in ("pt_load", "pt_compile_worker", "pt_execute", "main"):
        pp.check(fn in names, f"function {fn} is named")
    rt = [m for m in maps.values() if strings[one(m, "filename")] == doc["runtime"]["path"]]
    pp.check(len(rt) >= 1, f"the runtime is mapped: {[strings[one(m, 'filename')] for m in maps.values()]}")
    pp.check(all(strings[one(m, "build_id")] == doc["runtime"]["build_id"] for m in rt),
             f"its mappings carry its build-id {doc['runtime']['build_id']}")
    pp.check(all(one(m, "memory_start") < one(m, "memory_limit") for m in rt), "address ranges")
    threads = {s for s in (strings[one(l, "str")] for smp in prof["sample"] for l in smp["label"]
                           if strings[one(l, "key")] == "thread")}
    pp.check(threads == {"phasetest"}, f"thread labels {threads}")
    shutil.rmtree(out, ignore_errors=True)
    pp.done()


if __name__ == "__main__":
    main()
