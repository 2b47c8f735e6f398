"""ppschema.py: check a phases.json against man/phaseprof-json.5. The schema is
read from the page itself (the block between its "schema begin" and "schema
end" comments), so the page and the writer cannot drift apart unnoticed; the
RULES section's invariants are checked here by hand.

validate(doc) returns a list of problems, empty when the document holds."""

import os
import re

import pp

PHASES = ["startup", "load", "compile", "instantiate", "execute", "teardown"]


def load_schema(path=None):
    """{path: (set of types, enum or None, optional)} from the man page."""
    path = path or os.path.join(pp.SOURCE_DIR, "man", "phaseprof-json.5")
    with open(path) as f:
        text = f.read()
    block = text.split('.\\" schema begin', 1)[1].split('.\\" schema end', 1)[0]
    schema = {}
    for line in block.splitlines():
        if not line or line.startswith("."):
            continue
        name, types = line.split(None, 1)
        optional = name.endswith("?")
        name = name.rstrip("?")
        enum = None
        m = re.fullmatch(r"string\(([^)]*)\)(\|null)?", types.strip())
        if m:
            enum, types = m.group(1).split("|"), "string" + (m.group(2) or "")
        schema[name] = (set(types.strip().split("|")), enum, optional)
    return schema


def _type_ok(value, types):
    for t in types:
        if t == "null" and value is None:
            return True
        if t == "bool" and isinstance(value, bool):
            return True
        if isinstance(value, bool):
            continue
        if t == "string" and isinstance(value, str):
            return True
        if t == "object" and isinstance(value, dict):
            return True
        if t == "array" and isinstance(value, list):
            return True
        if t == "number" and isinstance(value, (int, float)):
            return True
        if t == "int" and isinstance(value, int):
            return True
        if t == "uint" and isinstance(value, int) and value >= 0:
            return True
    return False


def _walk(value, path, schema, problems):
    types, enum, _ = schema[path]
    if not _type_ok(value, types):
        problems.append(f"{path}: {value!r} is not {'|'.join(sorted(types))}")
        return
    if enum is not None and value is not None and value not in enum:
        problems.append(f"{path}: {value!r} is not one of {enum}")
    if isinstance(value, list):
        for v in value:
            _walk(v, path + "[]", schema, problems)
    elif isinstance(value, dict):
        if path + "{}" in schema:
            for v in value.values():
                _walk(v, path + "{}", schema, problems)
            return
        prefix = path + "." if path else ""
        members = {k[len(prefix):]: k for k in schema
                   if k.startswith(prefix) and "." not in k[len(prefix):].replace("[]", "")
                   and not k[len(prefix):].endswith(("[]", "{}")) and k != path}
        for key in value:
            if key not in members:
                problems.append(f"{prefix}{key}: not in phaseprof-json(5)")
        for key, full in members.items():
            if key in value:
                _walk(value[key], full, schema, problems)
            elif not schema[full][2]:
                problems.append(f"{full}: missing")


def _rules(doc, problems):
    names = [p["name"] for p in doc.get("phases", [])]
    want = PHASES + (["unknown"] if doc.get("fallback") else [])
    if names != want:
        problems.append(f"phases: {names}, not {want}")
    for p in doc.get("phases", []):
        n = p.get("name")
        if p.get("seen"):
            if p.get("wall_ns") is None or p.get("cpu_ns") is None:
                problems.append(f"phase {n}: seen, but no numbers")
            if not p.get("intervals"):
                problems.append(f"phase {n}: seen with 0 intervals")
        else:
            if p.get("wall_ns") is not None or p.get("cpu_ns") is not None:
                problems.append(f"phase {n}: not seen, but has numbers {p}")
            if p.get("intervals"):
                problems.append(f"phase {n}: not seen, but {p['intervals']} intervals")
        if p.get("unresolved") != ("why" in p) or (p.get("unresolved") and p.get("seen")):
            problems.append(f"phase {n}: unresolved goes with why, and is not seen: {p}")
    sampled = "samples" in doc
    if sampled != ("complete_stacks" in doc):
        problems.append("samples and complete_stacks go together")
    for p in doc.get("phases", []):
        if ("samples" in p) != sampled:
            problems.append(f"phase {p.get('name')}: samples only with sampling")
    for pr in doc.get("probes", []):
        if (pr.get("status") == "unresolved") != ("why" in pr):
            problems.append(f"probe {pr.get('site')}: why goes with unresolved")
    for t in doc.get("threads", []):
        for k in t.get("phase_ns", {}):
            if k not in PHASES + ["unknown"]:
                problems.append(f"thread {t.get('tid')}: phase_ns.{k} is not a phase")
    status, sig = doc.get("exit_status"), doc.get("term_signal")
    if sig and status != 128 + sig:
        problems.append(f"exit_status {status} with term_signal {sig}")


def validate(doc, schema=None):
    schema = schema or load_schema()
    problems = []
    schema = dict(schema)
    schema[""] = ({"object"}, None, False)
    _walk(doc, "", schema, problems)
    _rules(doc, problems)
    return problems


def check_file(path, what):
    """pp.check that the phases.json at path holds to the schema."""
    doc = pp.load_json(path)
    problems = validate(doc)
    pp.check(not problems, f"{what}: phases.json against phaseprof-json(5): {problems}")
    return doc
