"""The symbol cache (symcache.h): the first load of a large runtime's symbols
keeps them (root's, mode 0600); the next reads them from the cache and
resolves exactly the same; a changed file (a new mtime) is read again; the
cache off (PHASEPROF_SYMS_CACHE_DIR empty) keeps nothing. On a copy of node,
with a private cache directory."""
import os
import shutil
import stat
import pp

pp.need_root()
node = shutil.which("node")
if not node:
    pp.skip("node is not installed")

work = pp.tmpdir()
cache = os.path.join(work, "syms")
copy = os.path.join(work, "node")
shutil.copy2(os.path.realpath(node), copy)
env = dict(os.environ, PHASEPROF_SYMS_CACHE_DIR=cache)
SPEC = "v8::internal::wasm::*Compile*"


def resolve(environ=env):
    r = pp.run([pp.PHASEPROF, "resolve", "-v", "-x", copy, SPEC], env=environ)
    pp.check(r.returncode == 0, f"resolve: {r.returncode} {r.stderr[-2000:]}")
    return r


def entries():
    return sorted(os.listdir(cache)) if os.path.isdir(cache) else []


first = resolve()
pp.check("symbols kept in" in first.stderr, f"the first load keeps the symbols: {first.stderr[-2000:]}")
kept = entries()
pp.check(len(kept) == 1 and kept[0].endswith(".syms"), f"one entry: {kept}")
st = os.stat(os.path.join(cache, kept[0]))
pp.check(st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o600, "root's, mode 0600")

second = resolve()
pp.check("from the symbol cache" in second.stderr, f"the next reads the cache: {second.stderr[-2000:]}")
pp.check(second.stdout == first.stdout and second.stdout.strip(),
         "the same functions resolve, at the same addresses, from the cache")

os.utime(copy)  # another mtime: another file as far as the cache knows
third = resolve()
pp.check("from the symbol cache" not in third.stderr and "symbols kept in" in third.stderr,
         f"a changed file is read again: {third.stderr[-2000:]}")
pp.check(third.stdout == first.stdout, "and resolves the same")
pp.check(len(entries()) == 2, f"an entry for it: {entries()}")

off = resolve(dict(env, PHASEPROF_SYMS_CACHE_DIR=""))
pp.check("symbol cache" not in off.stderr and "symbols kept" not in off.stderr,
         "with the cache off, nothing is read or kept")
pp.check(off.stdout == first.stdout, "and resolves the same")
pp.done()
