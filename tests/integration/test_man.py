"""Every option --help lists is documented in the man page, every documented
exit code is real, and the man pages render without groff warnings."""
import glob
import os
import re
import shutil
import pp


def man_text(name):
    with open(os.path.join(pp.SOURCE_DIR, "man", name)) as f:
        return f.read().replace("\\-", "-")


r = pp.run([pp.PHASEPROF, "record", "--help"])
pp.check(r.returncode == 0, "record --help exits 0")
pp.check("examples:" in r.stdout, "help ends with examples")
opts = re.findall(r"--([a-z][a-z-]+)", r.stdout.split("examples:")[0])
pp.check(len(opts) >= 8, f"options listed: {opts}")
man = man_text("phaseprof.1")
for o in opts:
    pp.check(f"--{o}" in man, f"--{o} is documented in phaseprof.1")
with open(os.path.join(pp.SOURCE_DIR, "collector", "exitcodes.h")) as f:
    codes = re.findall(r"= (\d+),", f.read())
for c in codes:
    if c != "0":
        pp.check(re.search(rf"^\.B {c}$", man, re.M), f"exit code {c} is documented")
        pp.check(c in r.stdout, f"exit code {c} is in --help")

groff = shutil.which("groff")
for page in sorted(glob.glob(os.path.join(pp.SOURCE_DIR, "man", "*.[1-9]"))):
    if not groff:
        print("note: groff not installed, pages not rendered")
        break
    g = pp.run([groff, "-man", "-ww", "-z", page])
    pp.check(g.returncode == 0 and g.stderr == "", f"{os.path.basename(page)} renders cleanly: {g.stderr}")
pp.done()
