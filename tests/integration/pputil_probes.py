"""pputil_probes.py: what the probes and perf-backend tests share: a private
configuration directory (PHASEPROF_CONFIG_DIR, PHASEPROF_UNIT_DIR) so no test
touches /etc, tracefs, and reading or writing uprobe_events directly."""
import os
import pp

TRACEFS = "/sys/kernel/tracing"


def need_tracefs():
    pp.need_root()
    if not os.path.exists(os.path.join(TRACEFS, "uprobe_events")):
        pp.run(["mount", "-t", "tracefs", "nodev", TRACEFS])
    if not os.path.exists(os.path.join(TRACEFS, "uprobe_events")):
        pp.skip(f"no tracefs with uprobe_events at {TRACEFS}")


def private_env():
    """A configuration and unit directory of the test's own."""
    d = pp.tmpdir()
    return {"PHASEPROF_CONFIG_DIR": os.path.join(d, "etc"),
            "PHASEPROF_UNIT_DIR": os.path.join(d, "systemd")}


def uprobe_events():
    """{'group:event': 'p|r path:0xoff'} for every uprobe event defined now."""
    out = {}
    with open(os.path.join(TRACEFS, "uprobe_events")) as f:
        for line in f:
            kind_name, _, where = line.strip().partition(" ")
            kind, _, name = kind_name.partition(":")
            out[name.replace("/", ":")] = f"{kind} {where.split(' ')[0]}"
    return out


def group_events(group):
    return {k: v for k, v in uprobe_events().items() if k.startswith(group + ":")}


def write_uprobe_events(cmd):
    fd = os.open(os.path.join(TRACEFS, "uprobe_events"), os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, (cmd + "\n").encode())
    finally:
        os.close(fd)


def delete_group(group):
    """What a reboot does to a group's events."""
    for name in group_events(group):
        write_uprobe_events("-:" + name.replace(":", "/"))
