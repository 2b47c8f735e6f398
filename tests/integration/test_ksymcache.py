"""The kernel's symbols are cached between runs (symbols/kallsyms.c): the first
run reads /proc/kallsyms and writes an entry root's alone, mode 0600 (kernel
addresses are secret); the next takes the symbols from it. A corrupt entry is
ignored and rewritten; a directory others may write is not used."""
import os
import pp

pp.need_root()
cache = os.path.join(pp.tmpdir(), "kallsyms")
env = {"PHASEPROF_KSYMS_CACHE_DIR": cache}


def record():
    r = pp.phaseprof(["-v", "-x", pp.PHASETEST, "-o", pp.tmpdir(), "--", "load=5",
                      "execute=20:busy"], env=env)
    pp.check(r.returncode == 0, f"record: {r.stderr[-500:]}")
    return r.stderr


def entries():
    return [os.path.join(cache, e) for e in os.listdir(cache)] if os.path.isdir(cache) else []


err = record()
pp.check("kernel symbols read from /proc/kallsyms (cached as" in err,
         f"the first run reads /proc/kallsyms and caches it: {err[-400:]}")
pp.check(len(entries()) == 1, f"one entry: {entries()}")
entry = entries()[0] if entries() else None
if entry:
    st = os.lstat(entry)
    pp.check(st.st_uid == 0 and st.st_mode & 0o7777 == 0o600, f"root's, 0600: {oct(st.st_mode)}")
    size = st.st_size
    err = record()
    pp.check("kernel symbols from the cache" in err and "/proc/kallsyms (cached" not in err,
             f"the second run takes them from the cache: {err[-400:]}")
    with open(entry, "r+b") as f:
        f.truncate(size - 1)
    err = record()
    pp.check("ignoring the kernel symbol cache entry" in err and "(cached as" in err,
             f"a truncated entry is ignored and written again: {err[-400:]}")
    pp.check(os.path.getsize(entry) == size, "rewritten whole")
    os.chmod(cache, 0o777)
    err = record()
    pp.check("not using the kernel symbol cache" in err
             and "kernel symbols from the cache" not in err,
             f"a directory others may write is not used: {err[-400:]}")
    os.chmod(cache, 0o755)
    os.chown(entry, 1, 1)
    err = record()
    pp.check("ignoring cache entry" in err and "kernel symbols from the cache" not in err,
             f"an entry not root's is ignored: {err[-400:]}")
pp.done()
