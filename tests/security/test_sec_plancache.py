"""Finding 4: the plan cache. Under sudo it was made and handed to the
invoking user, and its entries were trusted: a forged entry placed an int3 in
the middle of an instruction. Now the cache is root's alone (made as root,
never handed over), an entry that is not root's alone is ignored (and named
with -v), and a root-owned entry whose offset is not a function start of the
binary now is not used either."""
import os
import re
import shutil
import secutil as su  # noqa: E402 (puts tests/integration on the path)
import pp  # noqa: E402

uid, gid = su.need_user()
exe, probes = su.public_phasetest()
env = {"PHASEPROF_PROBE_PATH": probes}
h = su.home(uid, gid)
top = pp.tmpdir()  # root's, 0700
os.mkdir(os.path.join(top, "cache"), 0o755)  # as /var/cache/phaseprof; phaseprof makes plans/
cache = os.path.join(top, "cache", "plans")

# a run under sudo makes the cache: root's, and no one else may write it
r = su.phaseprof_sudo(["-v", "-x", exe, "--", "load=1"], uid, gid,
                      env=dict(env, PHASEPROF_CACHE_DIR=cache))
pp.check(r.returncode == 0, f"record: {r.stderr}")
entries = os.listdir(cache) if os.path.isdir(cache) else []
pp.check(len(entries) == 1, f"one entry cached: {entries}")
for p in [os.path.join(top, "cache"), cache] + [os.path.join(cache, e) for e in entries]:
    pp.check(os.lstat(p).st_uid == 0 and not su.user_writable(p, uid, gid),
             f"{p} is root's alone (uid {os.lstat(p).st_uid})")
r = su.phaseprof_sudo(["-v", "-x", exe, "--", "load=1"], uid, gid,
                      env=dict(env, PHASEPROF_CACHE_DIR=cache))
pp.check(".plan from the cache" in r.stderr, f"a root-owned entry is used: {r.stderr[-400:]}")


def forge(path):
    """The entry, its first probe moved one byte into the function."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"^att (\d+) ([0-9a-f]+) ", text, re.M)
    bad = f"att {m.group(1)} {int(m.group(2), 16) + 1:x} "
    return text.replace(m.group(0), bad)


# a user's cache with a forged entry: never used, even by plain root
ucache = su.user_path(uid, gid, os.path.join(h, "cache"))
entry = os.path.join(cache, entries[0]) if entries else None
if entry:
    su.user_path(uid, gid, os.path.join(ucache, entries[0]), "file", text=forge(entry))
    for e in ({}, su.sudo_env(uid, gid)):
        r = pp.phaseprof(["-v", "-x", exe, "--", "load=1"],
                         env=dict(env, PHASEPROF_CACHE_DIR=ucache, **e))
        pp.check(".plan from the cache" not in r.stderr, f"a user's cache entry was used: {e}")
        pp.check("not using the plan cache" in r.stderr, f"-v names the ignored cache: {r.stderr[-300:]}")
    # a user-owned entry in root's cache: ignored too
    shutil.copy(entry, entry + ".keep")
    with open(entry, "w") as f:
        f.write(forge(entry + ".keep"))
    os.chown(entry, uid, gid)
    r = pp.phaseprof(["-v", "-x", exe, "--", "load=1"], env=dict(env, PHASEPROF_CACHE_DIR=cache))
    pp.check(".plan from the cache" not in r.stderr and "ignoring cache entry" in r.stderr,
             f"a user-owned entry is ignored and named: {r.stderr[-300:]}")
    # root's own entry with an offset inside a function: re-checked, not used
    with open(entry + ".bad", "w") as f:
        f.write(forge(entry + ".keep"))
    os.rename(entry + ".bad", entry)
    os.chmod(entry, 0o644)
    r = pp.phaseprof(["-v", "-x", exe, "--", "load=1"], env=dict(env, PHASEPROF_CACHE_DIR=cache))
    pp.check(".plan from the cache" not in r.stderr and "does not fit" in r.stderr,
             f"a mid-function offset is caught: {r.stderr[-300:]}")
pp.done()
