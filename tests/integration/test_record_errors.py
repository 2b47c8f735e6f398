"""Clear messages on stderr and distinct documented exit codes for every way a
record can fail before the runtime runs."""
import os
import stat
import pp

tmp = pp.tmpdir()
os.chmod(tmp, 0o755)


def write(name, text, mode=0o644):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def expect(args, code, *needles, env=None, wrap=None):
    cmd = [pp.PHASEPROF] + args
    r = pp.run((wrap or []) + cmd, env=dict(os.environ, PHASEPROF_PROBE_PATH=pp.TEST_PROBES, **(env or {})))
    pp.check(r.returncode == code, f"{args}: exit {r.returncode}, want {code}\n{r.stderr}")
    pp.check(r.stdout == "", f"{args}: nothing on stdout: {r.stdout!r}")
    pp.check(r.stderr.startswith("phaseprof: "), f"{args}: message on stderr: {r.stderr!r}")
    for n in needles:
        pp.check(n in r.stderr, f"{args}: message mentions {n!r}: {r.stderr!r}")
    return r


# usage errors (64)
expect(["-o", tmp], 64, "no runtime given")
expect(["-x", "node", "--frobnicate"], 64, "unknown option '--frobnicate'")
expect(["-x", "node", "--buffer-size", "3"], 64, "power of two")
expect(["frobnicate"], 64, "not a phaseprof command")

# runtime binary not found (127)
expect(["-x", "no-such-runtime-here", "--", "a.wasm"], 127, "cannot find runtime 'no-such-runtime-here'", "PATH")
expect(["-x", "/nonexistent/dir/wasmtime", "--", "a.wasm"], 127, "no such file")

# not an ELF file (126)
text = write("notelf", "just some text\n", 0o755)
expect(["-x", text, "--", "a.wasm"], 126, "not an ELF file", text)
script = write("wrapper", "#!/bin/sh\nexec node \"$@\"\n", 0o755)
expect(["-x", script, "--", "a.wasm"], 126, "script")

# unknown runtime: no profile names it (67), when the generic fallback is not wanted
expect(["-x", "/bin/true", "--no-fallback", "--"], 67, "no profile for runtime", "'true'", "--probes")

# probe file error (65), pointing at file:line:column
bad = write("bad.probe", "profile bad\nbinaries phasetest\nphase lod\n\tduring pt_load\n")
expect(["-x", pp.PHASETEST, "--probes", bad, "--"], 65, f"{bad}:3:7")
expect(["-x", pp.PHASETEST, "--probes", os.path.join(tmp, "missing.probe"), "--"], 65, "cannot open")

# probe symbol not found (66): which site, which binary, what to try
nosym = write("nosym.probe", "profile nosym\nbinaries phasetest\nphase load\n\tduring no_such_function_xyz\n")
expect(["-x", pp.PHASETEST, "--probes", nosym, "--"], 66, "no_such_function_xyz",
       os.path.realpath(pp.PHASETEST), "--debuginfo", "nosym.probe:4")

# missing root or capabilities (77): the same run as an unprivileged user
if os.geteuid() == 0 and pp.run(["which", "setpriv"]).returncode == 0:
    expect(["-x", pp.PHASETEST, "--", "load=1"], 77, "needs root", "CAP_BPF",
           wrap=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
else:
    print("note: unprivileged case not run (needs root and setpriv)")

# kernel without BTF (78)
expect(["-x", pp.PHASETEST, "--backend", "bpf", "--btf", "/nonexistent/vmlinux", "--", "load=1"], 78, "BTF", "CONFIG_DEBUG_INFO_BTF")
pp.done()
