"""test_record_options.py: profile options on record's command line. An
option the profile lacks is a usage error (exit 64) naming it and the options
there are, not a warning; NAME?= sets it only where it exists (what compare
passes); --keep-cache on a profile without a cache says so (exit 64); -vvv
prints events in words, one a line."""
import re
import pp

pp.need_root()


def record(args):
    return pp.phaseprof(["-x", pp.PHASETEST] + args + ["--", "load=2"])


r = record(["--option", "bogus=on"])
pp.check(r.returncode == 64, f"--option bogus=on: exit 64, not {r.returncode}")
pp.check("no option 'bogus'" in r.stderr and "its options: none" in r.stderr,
         f"the message names the option and the profile's options: {r.stderr}")
pp.check("warning" not in r.stderr, f"an error, not a warning: {r.stderr}")

r = record(["--option", "bogus?=on"])
pp.check(r.returncode == 0, f"--option bogus?=on runs: {r.returncode} {r.stderr[-500:]}")

r = record(["--option", "bogus=maybe"])
pp.check(r.returncode == 64 and "NAME=on" in r.stderr, f"a bad value is a usage error: {r.stderr}")

r = record(["--keep-cache"])
pp.check(r.returncode == 64, f"--keep-cache without a cache: exit 64, not {r.returncode}")
pp.check("no compilation cache" in r.stderr and "no-cache" in r.stderr,
         f"--keep-cache says the profile has no cache: {r.stderr}")

r = record(["-vvv", "-F", "0"])
events = [l for l in r.stderr.splitlines() if l.startswith("phaseprof: event ")]
pp.check(r.returncode == 0 and events, f"-vvv prints events: {r.returncode}")
pp.check(all(re.match(r"phaseprof: event +[+-]\d+\.\d{3} ms [a-z-]+ +tid \d+/\d+ \(", l)
             for l in events), f"every event a line in words: {events[:3]}")
pp.check(any(" exec " in l for l in events) and any(": site " in l and " load" in l
                                                    for l in events),
         f"exec and the load site's events are named: {events[:5]}")
pp.check(not any("cookie" in l for l in r.stderr.splitlines()), "no raw cookie dumps")
pp.done()
