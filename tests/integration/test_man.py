"""test_man.py: the man pages and --help say the same, both ways, as
bpftool's sync test checks: every option a verb's --help lists is in the
OPTIONS of its page, and every option a page documents is in --help. Also:
`phaseprof help VERB` is `phaseprof VERB --help`; phaseprof(1) names every
verb in SYNOPSIS, COMMANDS and SEE ALSO; defaults in --help are plain
numbers; every page has one date; examples use the file names record
writes; every documented exit code is real; the pages render without groff
warnings."""
import glob
import os
import re
import shutil
import pp

MAN = os.path.join(pp.SOURCE_DIR, "man")
# every verb and the page documenting its options
PAGES = {
    "record": "phaseprof-record.1",
    "resolve": "phaseprof-resolve.1",
    "probes": "phaseprof-probes.1",
    "flamegraph": "phaseprof-flamegraph.1",
    "diff": "phaseprof-diff.1",
    "runtimes": "phaseprof-runtimes.1",
    "compare": "phaseprof-compare.1",
    "suite": "phaseprof-suite.1",
    "cache": "phaseprof-cache.1",
}
# verbs made of subcommands: each subcommand's --help against its .SS section of the page
SUBCOMMANDS = {"suite": ("run", "report", "gate", "merge")}
HELP_OPTION = re.compile(r"^\s+(?:-([A-Za-z]), )?--([a-z][a-z0-9-]*)")


def read_page(name):
    """A page's roff, following a '.so man1/other.1' redirection."""
    with open(os.path.join(MAN, name)) as f:
        text = f.read()
    m = re.match(r"\.so man\d/(\S+)\s*$", text)
    return read_page(m.group(1)) if m else text


def plain(roff):
    """Roff to text enough to read option names: \\- is -, font escapes gone."""
    text = re.sub(r"\\f[BIRP]|\\&|\\e", "", roff.replace("\\-", "-"))
    return re.sub(r"^\.(?:B|I|BI|IB|BR|RB|IR|RI)\s+", "", text, flags=re.M).replace('"', "")


def section(roff, name):
    m = re.search(rf"^\.SH {name}\n(.*?)(?=^\.SH |\Z)", roff, re.M | re.S)
    return m.group(1) if m else ""


def man_options(roff, verb):
    """{option: True} of the OPTIONS entries (.TP tags) that apply to verb.
    An entry whose text starts '(VERB only)' applies to that verb alone."""
    opts = set()
    entries = re.split(r"^\.TP.*\n", section(roff, "OPTIONS"), flags=re.M)[1:]
    for e in entries:
        tag, _, body = e.partition("\n")
        only = re.match(r"\s*\(\s*(\w+)\s+only\)", plain(body).replace("\n", " "))
        if only and only.group(1) != verb:
            continue
        t = plain(tag)
        opts.update("--" + o for o in re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", t))
        opts.update("-" + o for o in re.findall(r"(?<![\w-])-([A-Za-z])\b", t))
    return opts


def help_options(text):
    """Options listed in a --help's options block."""
    opts = set()
    block = text.split("\noptions:\n", 1)[1] if "\noptions:\n" in text else ""
    for line in block.split("\n\n", 1)[0].splitlines():
        m = HELP_OPTION.match(line)
        if m:
            opts.add("--" + m.group(2))
            if m.group(1):
                opts.add("-" + m.group(1))
    return opts


def subsection(roff, name):
    m = re.search(rf"^\.SS {name}\n(.*?)(?=^\.S[HS] |\Z)", roff, re.M | re.S)
    return m.group(1) if m else ""


def check_subcommand(verb, sub, page):
    """`phaseprof VERB SUB --help` against the .TP tags of the page's '.SS VERB SUB'."""
    r = pp.run([pp.PHASEPROF, verb, sub, "--help"])
    pp.check(r.returncode == 0 and "\nexamples:\n" in r.stdout, f"{verb} {sub} --help, with examples")
    in_help = help_options(r.stdout)
    in_man = man_options(".SH OPTIONS\n" + subsection(read_page(page), f"{verb} {sub}"), sub)
    for o in sorted(in_help ^ in_man):
        pp.check(False, f"{verb} {sub}: {o} is in only one of '{verb} {sub} --help' "
                        f"({sorted(in_help)}) and '.SS {verb} {sub}' of man/{page} ({sorted(in_man)})")


def check_verb(verb, page):
    if verb in SUBCOMMANDS:
        for sub in SUBCOMMANDS[verb]:
            check_subcommand(verb, sub, page)
        return
    r = pp.run([pp.PHASEPROF, verb, "--help"])
    pp.check(r.returncode == 0, f"phaseprof {verb} --help exits 0: {r.returncode}")
    h = pp.run([pp.PHASEPROF, "help", verb])
    pp.check(h.returncode == 0 and h.stdout == r.stdout,
             f"'phaseprof help {verb}' prints what 'phaseprof {verb} --help' does")
    pp.check("\nexamples:\n" in r.stdout, f"{verb} --help ends with examples")
    for m in re.finditer(r"\(default ([^);]*)", r.stdout):
        pp.check(not re.search(r"<<|>>|\(|\*", m.group(1)),
                 f"{verb} --help shows a default as a plain value, not '{m.group(1)}'")
    if not pp.check(os.path.exists(os.path.join(MAN, page)),
                    f"{verb} has its own page man/{page}"):
        return
    in_help = help_options(r.stdout)
    in_man = man_options(read_page(page), verb)
    pp.check(len(in_help) >= 2, f"{verb} --help lists options: {sorted(in_help)}")
    for o in sorted(in_help - in_man):
        pp.check(False, f"{verb}: {o} is in 'phaseprof {verb} --help' but not in the OPTIONS "
                        f"of man/{page}; document it there")
    for o in sorted(in_man - in_help):
        pp.check(False, f"{verb}: {o} is in the OPTIONS of man/{page} but not in "
                        f"'phaseprof {verb} --help'; add it to the verb's option table or "
                        f"take it out of the page")


def check_overview():
    r = pp.run([pp.PHASEPROF, "help"])
    block = r.stdout.split("\ncommands:\n", 1)[-1].split("\n\n", 1)[0]
    listed = re.findall(r"^  ([a-z]+)\s", block, re.M)
    for verb in listed:
        if verb not in ("help", "version"):
            pp.check(verb in PAGES, f"'phaseprof help' lists '{verb}', which has no page here")
    for verb in PAGES:
        pp.check(verb in listed, f"'phaseprof help' lists {verb}")
    main = read_page("phaseprof.1")
    commands, see = (plain(section(main, s)) for s in ("COMMANDS", "SEE ALSO"))
    # one synopsis line per .br, its roff lines joined
    synopsis = [" ".join(plain(chunk).split()) for chunk in section(main, "SYNOPSIS").split(".br")]
    for verb, page in PAGES.items():
        pp.check(any(re.match(rf"phaseprof (\[ )?{verb}\b", line) for line in synopsis),
                 f"phaseprof(1) SYNOPSIS shows {verb}: {synopsis}")
        pp.check(re.search(rf"^\.TP\n{verb}\n", commands, re.M),
                 f"phaseprof(1) COMMANDS describes {verb}")
        pp.check(page[:-2] in see, f"phaseprof(1) SEE ALSO names {page[:-2]}")


def check_pages():
    dates = {}
    for page in sorted(glob.glob(os.path.join(MAN, "*.[1-9]"))):
        name = os.path.basename(page)
        with open(page) as f:
            text = f.read()
        m = re.search(r'^\.TH \S+ \d "?([^" ]+)"?', text, re.M)
        if m:
            dates[name] = m.group(1)
        for folded in re.findall(r"(\S+)\.folded", plain(section(text, "EXAMPLES"))):
            if "/" in folded:
                pp.check(folded.endswith("/stacks"),
                         f"{name}: an example reads {folded}.folded; record writes "
                         f"DIR/stacks.folded")
    pp.check(len(set(dates.values())) == 1, f"every page has the same date: {dates}")


def check_exit_codes():
    r = pp.run([pp.PHASEPROF, "record", "--help"])
    man = read_page("phaseprof.1").replace("\\-", "-")
    with open(os.path.join(pp.SOURCE_DIR, "util", "exitcodes.h")) as f:
        codes = re.findall(r"= (\d+),", f.read())
    for c in codes:
        if c != "0":
            pp.check(re.search(rf"^\.B {c}$", man, re.M), f"exit code {c} is in phaseprof(1)")
            pp.check(c in r.stdout, f"exit code {c} is in record --help")


def check_render():
    groff = shutil.which("groff")
    if not groff:
        print("note: groff not installed, pages not rendered")
        return
    for page in sorted(glob.glob(os.path.join(MAN, "*.[1-9]"))):
        with open(page) as f:
            if f.read().startswith(".so "):
                continue
        g = pp.run([groff, "-man", "-ww", "-z", page])
        pp.check(g.returncode == 0 and g.stderr == "",
                 f"{os.path.basename(page)} renders cleanly: {g.stderr}")


if not os.path.exists(pp.PHASEPROF):
    pp.skip(f"no phaseprof binary at {pp.PHASEPROF}")
for verb, page in PAGES.items():
    check_verb(verb, page)
check_overview()
check_pages()
check_exit_codes()
check_render()
pp.done()
