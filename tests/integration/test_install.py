"""test_install.py: `cmake --install build --prefix P` gives a tool that works
anywhere: P/bin/phaseprof, its profiles and node's runner in
P/share/phaseprof/probes, the man pages, the systemd unit running
P/bin/phaseprof. The installed binary, run from another directory, finds its
profiles under P (never the source tree's), records node, and the boot unit
`probes install --boot` writes runs the installed binary."""
import os
import shlex
import shutil
import pp

BUILD_FILES = ["bin/phaseprof", "share/phaseprof/probes/node.probe",
               "share/phaseprof/probes/node-wasi.cjs", "share/man/man1/phaseprof.1",
               "share/man/man1/phaseprof-record.1", "share/man/man1/phaseprof-resolve.1",
               "share/man/man5/phaseprof-probes.5",
               "lib/systemd/system/phaseprof-probes.service"]


def env_without_probe_path():
    env = dict(os.environ)
    env.pop("PHASEPROF_PROBE_PATH", None)
    return env


def install(prefix):
    r = pp.run(["cmake", "--install", pp.BUILD_DIR, "--prefix", prefix])
    if not pp.check(r.returncode == 0, f"cmake --install: {r.stdout[-500:]} {r.stderr[-500:]}"):
        pp.done()
    for f in BUILD_FILES:
        pp.check(os.path.exists(os.path.join(prefix, f)), f"installed {f}")
    with open(os.path.join(prefix, "lib/systemd/system/phaseprof-probes.service")) as f:
        unit = f.read()
    pp.check(f"ExecStart={prefix}/bin/phaseprof probes install --from-boot-config" in unit,
             f"the installed unit runs the installed binary: {unit}")


def check_profiles(exe, prefix, elsewhere):
    r = pp.run([exe, "runtimes", "--json", "--no-version"], cwd=elsewhere,
               env=env_without_probe_path())
    pp.check(r.returncode in (0, 66, 67), f"installed runtimes runs: {r.returncode} {r.stderr}")
    paths = [l for l in r.stdout.split('"') if l.endswith(".probe")]
    pp.check(paths and all(p.startswith(prefix + "/share/phaseprof/probes/") for p in paths),
             f"every profile comes from the prefix, none from the source tree: {paths[:3]}")


def check_record(exe, elsewhere):
    if not shutil.which("node") or not os.path.exists(pp.EXAMPLE_WASM):
        print("note: node or the example app missing; record not run")
        return
    shutil.copy(pp.EXAMPLE_WASM, os.path.join(elsewhere, "app.wasm"))
    r = pp.run([exe, "-x", "node", "--", "app.wasm"], cwd=elsewhere, env=env_without_probe_path())
    pp.check(r.returncode == 0 and "fib(30) = 832040" in r.stdout,
             f"installed phaseprof -x node -- app.wasm: {r.returncode} {r.stderr[-800:]}")
    pp.check("execute" in r.stderr and "fallback" not in r.stderr,
             f"node's profile and runner found under the prefix: {r.stderr[-800:]}")


def check_boot_unit(exe, prefix):
    import pputil_probes as up
    d = pp.tmpdir()
    env = dict(env_without_probe_path(), **up.private_env())
    probe = os.path.join(d, "inst.probe")
    with open(os.path.join(pp.TEST_PROBES, "phasetest.probe")) as f:
        text = f.read().replace("profile phasetest", "profile phasetest_install")
    with open(probe, "w") as f:
        f.write(text)
    r = pp.run([exe, "probes", "install", "-x", pp.PHASETEST, "--probes", probe, "--boot"],
               env=env)
    if r.returncode and ("refus" in r.stderr or "writable" in r.stderr):
        print(f"note: install --boot refused here: {r.stderr.strip()}")
        return
    pp.check(r.returncode == 0, f"installed probes install --boot: {r.stderr}")
    unit = os.path.join(env["PHASEPROF_UNIT_DIR"], "phaseprof-probes.service")
    if pp.check(os.path.exists(unit), "the boot unit is written"):
        with open(unit) as f:
            line = [l for l in f.read().splitlines() if l.startswith("ExecStart=")]
        argv = shlex.split(line[0].split("=", 1)[1]) if line else []
        pp.check(argv[:1] == [os.path.realpath(os.path.join(prefix, "bin/phaseprof"))],
                 f"the boot unit runs the installed binary: {argv}")
    r = pp.run([exe, "probes", "remove", "--boot", "phasetest_install"], env=env)
    pp.check(r.returncode == 0, f"probes remove --boot: {r.stderr}")


def main():
    if not shutil.which("cmake"):
        pp.skip("cmake is not installed")
    if not os.path.exists(pp.PHASEPROF):
        pp.skip(f"no phaseprof binary at {pp.PHASEPROF}")
    prefix = os.path.realpath(pp.tmpdir())
    elsewhere = pp.tmpdir()
    install(prefix)
    exe = os.path.join(prefix, "bin", "phaseprof")
    r = pp.run([exe, "--version"], cwd=elsewhere)
    pp.check(r.returncode == 0 and r.stdout.startswith("phaseprof "), f"--version: {r.stdout}")
    check_profiles(exe, prefix, elsewhere)
    # a prefix moved after installing still works: profiles are found from the binary
    moved = prefix + ".moved"
    os.rename(prefix, moved)
    check_profiles(os.path.join(moved, "bin", "phaseprof"), moved, elsewhere)
    os.rename(moved, prefix)
    if os.geteuid() != 0 or not os.path.exists("/sys/kernel/btf/vmlinux"):
        print("note: not root or no BTF; the installed binary's record and --boot not run")
        pp.done()
    check_record(exe, elsewhere)
    check_boot_unit(exe, prefix)
    pp.done()


main()
