"""secutil.py: what the security tests share. Each test plays an ordinary
local user (ppsec, made here if missing) against phaseprof run as root with
that user's SUDO_UID/SUDO_GID/SUDO_USER, as `sudo phaseprof` would run it.
The user's files live in a home of the test's own; root's secrets in a
directory only root can read. Builds on tests/integration/pp.py."""
import os
import pwd
import shutil
import stat
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
import pp  # noqa: E402

USER = "ppsec"
MARKER = "PPSEC_ROOT_ONLY_SECRET_7f3a"


def need_user():
    """Root, BPF, and the unprivileged user (made idempotently); its uid and gid."""
    pp.need_root()
    try:
        pw = pwd.getpwnam(USER)
    except KeyError:
        r = pp.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    USER])
        if r.returncode not in (0, 9):  # 9: made meanwhile by a parallel test
            pp.skip(f"cannot create the user {USER}: {r.stderr.strip()}")
        pw = pwd.getpwnam(USER)
    return pw.pw_uid, pw.pw_gid


def sudo_env(uid, gid):
    return {"SUDO_UID": str(uid), "SUDO_GID": str(gid), "SUDO_USER": USER}


def phaseprof_sudo(args, uid, gid, env=None, exe=None, **kw):
    """phaseprof as root, on behalf of the user."""
    e = dict(os.environ)
    e.setdefault("PHASEPROF_PROBE_PATH", pp.TEST_PROBES)
    e.update(sudo_env(uid, gid))
    e.update(env or {})
    return pp.run([exe or pp.PHASEPROF] + list(args), env=e, **kw)


def home(uid, gid):
    """A directory the user owns, under one everyone may enter (mkdtemp makes 0700)."""
    top = tempfile.mkdtemp(prefix="ppsec.")
    os.chmod(top, 0o755)
    h = os.path.join(top, "home")
    os.mkdir(h, 0o755)
    os.chown(h, uid, gid)
    return h


def user_path(uid, gid, path, kind="dir", target=None, text=""):
    """Make path as the user would: a dir, a file with text, or a symlink to target."""
    if kind == "dir":
        os.makedirs(path, exist_ok=True)
    elif kind == "link":
        os.symlink(target, path)
    else:
        with open(path, "w") as f:
            f.write(text)
    os.lchown(path, uid, gid)
    return path


def secret(text=None):
    """A file only root can read (mode 0600 in a 0700 directory) holding MARKER."""
    d = tempfile.mkdtemp(prefix="ppsec-root.")
    p = os.path.join(d, "secret")
    with open(p, "w") as f:
        f.write(text if text is not None else f"{MARKER} 1\n")
    os.chmod(p, 0o600)
    return p


def root_owned_in(top):
    """Every path under top (top included) that root owns: none may be in a user's place."""
    found = []
    for d, dirs, files in os.walk(top):
        for name in [d] + [os.path.join(d, n) for n in dirs + files]:
            st = os.lstat(name)
            if st.st_uid == 0:
                found.append(name)
    return sorted(set(found))


def user_writable(path, uid, gid):
    """Whether the user owns path or could write it through its mode."""
    st = os.lstat(path)
    return st.st_uid == uid or bool(st.st_mode & stat.S_IWOTH) or \
        (st.st_gid == gid and bool(st.st_mode & stat.S_IWGRP))


def copy_as_user(src, dst, uid, gid, mode=0o755):
    shutil.copy(src, dst)
    os.chmod(dst, mode)
    os.chown(dst, uid, gid)
    return dst


def public_phasetest(profile="phasetest"):
    """phasetest and its profile (named profile: a test that installs events uses a group
    of its own) copied where any user can read them (the build tree may be in root's
    home); (binary, probe directory)."""
    d = tempfile.mkdtemp(prefix="ppsec-pub.")
    os.chmod(d, 0o755)
    exe = os.path.join(d, "phasetest")
    shutil.copy(pp.PHASETEST, exe)
    os.chmod(exe, 0o755)
    probes = os.path.join(d, "probes")
    os.mkdir(probes, 0o755)
    with open(os.path.join(pp.TEST_PROBES, "phasetest.probe")) as f:
        text = f.read().replace("profile phasetest", f"profile {profile}")
    with open(os.path.join(probes, "phasetest.probe"), "w") as f:
        f.write(text)
    os.chmod(os.path.join(probes, "phasetest.probe"), 0o644)
    return exe, probes
