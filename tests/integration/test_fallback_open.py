"""Generic fallback honesty: a runtime that keeps its module file open (read,
or mapped, then closed only at exit) must not turn the whole run into load.
Load is the module-read span (open to last read or mapping); the time the
file stays open after that is unknown, and the report says so, and says when
the file was mapped (reads through a mapping are not seen)."""
import os
import pp

pp.need_root()
tmp = pp.tmpdir()
src = os.path.join(tmp, "keepopen.c")
with open(src, "w") as f:
    f.write(r"""
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
/* keepopen FILE map|read MS: read (or map) FILE, keep it open MS ms busy, then close */
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
int main(int argc, char **argv)
{
	char buf[4096];
	volatile unsigned x = 1;
	int fd = open(argv[1], O_RDONLY);
	double end;
	if (fd < 0)
		return 2;
	if (!strcmp(argv[2], "map")) {
		unsigned char *m = mmap(NULL, 8, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			return 3;
		x += m[0];
	} else {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	}
	end = now() + atoi(argv[3]);
	while (now() < end)
		x = x * 1664525u + 1013904223u;
	printf("done\n");
	close(fd);
	return 0;
}
""".replace("atoi", "(double)atoi").replace("#include <unistd.h>", "#include <unistd.h>\n#include <stdlib.h>"))
exe = os.path.join(tmp, "keepopen")
r = pp.run(["cc", "-O1", "-o", exe, src])
if r.returncode:
    pp.skip(f"cannot build the fixture: {r.stderr}")
ms = 1e6
for how in ("read", "map"):
    out = pp.tmpdir()
    r = pp.phaseprof(["-x", exe, "-o", out, "-F", "0", "--", pp.EXAMPLE_WASM, how, "200"])
    pp.check(r.returncode == 0 and r.stdout == "done\n", f"{how}: {r.returncode} {r.stderr}")
    doc = pp.load_json(os.path.join(out, "phases.json"))
    fb = doc["fallback"]
    ph = {p["name"]: p for p in doc["phases"]}
    pp.check(fb["module_close_ns"] is not None and fb["last_read_ns"] is not None and
             fb["module_close_ns"] - fb["last_read_ns"] >= 190 * ms,
             f"{how}: kept open after the last read: {fb}")
    pp.check(ph["load"]["wall_ns"] < 20 * ms, f"{how}: load is the read span: {ph['load']}")
    pp.check(ph["unknown"]["wall_ns"] >= 190 * ms, f"{how}: the rest is unknown: {ph['unknown']}")
    pp.check(fb["mapped"] == (how == "map"), f"{how}: mapped {fb['mapped']}")
    pp.check("kept open" in r.stderr, f"{how}: the table says it was kept open:\n{r.stderr}")
    if how == "map":
        pp.check("reads through the mapping are not seen" in r.stderr, "says what it cannot see")
pp.done()
