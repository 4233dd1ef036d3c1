#!/usr/bin/env python3
"""layout.py - the repository's layout rules, and the chapter -> files map.

Every file in src/ (and src/cli/) names, in its opening comment, the
chapter that introduces it and any chapters that extend it, in exactly one
of these forms (one line, the line after the file's one-line purpose):

     * Chapter 5.
     * Chapter 1; extended in chapter 7.
     * Chapter 1; extended in chapters 2, 3, 5.

Test files are named after their chapter, and so is the one Check suite
each defines: tests/chNN_topic.c builds the suite "chNN_topic" (with
suite_create() or store_contract_suite()), tests/exercises/chNN_topic.c
the suite "exNN_topic".  `make test-chNN SUITE=chNN_topic` then always
names a file a learner can open.

Commands:
  layout.py check       every rule above, plus: extensions come later
                        than the introduction, and a file's learn markers
                        (/* learn: chNN ... */, see learn.py) name its
                        introducing chapter or one that extends it
  layout.py map OUT     check, then write OUT: the Markdown page "Files by
                        chapter" (make docs writes build/docs/files.md)

Exit status 1 with "file:line: message" for each file that breaks a rule.
"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import learn  # noqa: E402  (the marker scanner of the build-it-yourself track)

SRC_GLOBS = ("src/*.c", "src/*.h", "src/cli/*.c", "src/cli/*.h")
CH = r'[1-9][0-9]*[a-z]?'
CHAPTER_LINE = re.compile(r'^ \* Chapter (%s)(?:; extended in chapters? (%s(?:, %s)*))?\.$'
                          % (CH, CH, CH))
NEAR_MISS = re.compile(r'^\s*\*?\s*Chapters?\s+[0-9]+[a-z]?\s*([.;,:]|$)', re.I)
SUITE_CALL = re.compile(r'\b(suite_create|store_contract_suite)\s*\(\s*("([^"]*)")?')


def chapter_key(ch):
    """'7' -> (7, ''), '1b' -> (1, 'b'): the order chapters are read in."""
    m = re.match(r'(\d+)([a-z]?)$', ch)
    return int(m.group(1)), m.group(2)


def chapter_md(ch):
    n, letter = chapter_key(ch)
    hits = sorted(glob.glob("chapters/%02d%s-*.md" % (n, letter)))
    return hits[0] if hits else None


def chapter_title(md):
    with open(md, encoding="utf-8") as f:
        first = f.readline()
    m = re.match(r'^#\s+(.*?)\s*(\{#([^}]*)\})?\s*$', first)
    return (m.group(1), m.group(3)) if m else (os.path.basename(md), None)


def opening_comment(lines):
    """The lines of a file's first comment (up to its first '*/')."""
    out = []
    if not lines or not lines[0].startswith("/*"):
        return out
    for line in lines:
        out.append(line.rstrip("\n"))
        if "*/" in line:
            break
    return out


def purpose(comment):
    """The one-line purpose: the text after 'name - ', to the chapter line."""
    text = []
    for i, line in enumerate(comment):
        if CHAPTER_LINE.match(line) or (i > 0 and line.strip() in ("*", "*/")):
            break
        line = re.sub(r'^/\*\s*', "", line) if i == 0 else re.sub(r'^\s*\*\s?', "", line)
        text.append(line.replace("*/", "").strip())
    s = " ".join(t for t in text if t)
    return s.split(" - ", 1)[1] if " - " in s else s


def scan_sources(errors):
    """{path: (intro, [extensions], purpose)} for every src/ file."""
    files = {}
    paths = sorted(p for g in SRC_GLOBS for p in glob.glob(g))
    if not paths:
        errors.append("layout: no files match %s; nothing to check is a failure"
                      % " ".join(SRC_GLOBS))
    for path in paths:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
        comment = opening_comment(lines)
        if not comment:
            errors.append("%s:1: the file does not open with a comment"
                          " (purpose, then the chapter line)" % path)
            continue
        hits = [(i, m) for i, m in ((i, CHAPTER_LINE.match(l)) for i, l in enumerate(comment)) if m]
        for i, line in enumerate(comment):
            if NEAR_MISS.match(line) and not CHAPTER_LINE.match(line):
                errors.append('%s:%d: malformed chapter line (want " * Chapter N." or'
                              ' " * Chapter N; extended in chapters M, K."): %s'
                              % (path, i + 1, line.strip()))
        if len(hits) != 1:
            if not any(NEAR_MISS.match(l) for l in comment):
                errors.append('%s:%d: the opening comment %s (want one line'
                              ' " * Chapter N." or " * Chapter N; extended in chapter M.")'
                              % (path, 2, "names no chapter" if not hits
                                 else "has %d chapter lines" % len(hits)))
            continue
        i, m = hits[0]
        intro = m.group(1)
        ext = m.group(2).split(", ") if m.group(2) else []
        where = "%s:%d" % (path, i + 1)
        if m.group(2) and (len(ext) > 1) != m.group(0).count("chapters ") > 0:
            errors.append('%s: write "extended in chapter N" for one chapter and'
                          ' "extended in chapters N, M" for more' % where)
        # A chapter may name files before its text is written; the files
        # page then says so.  "Chapter 01." is malformed (NEAR_MISS above).
        keys = [chapter_key(c) for c in [intro] + ext]
        if keys != sorted(set(keys)):
            errors.append("%s: list the chapters that extend a file after the one that"
                          " introduces it, in order, each once" % where)
        files[path] = (intro, ext, purpose(comment))
    return files


def check_learn_markers(files, errors):
    """A file's learn markers name a chapter its header lists."""
    try:
        marked = learn.scan_all()
    except learn.MarkerError as e:
        errors.append("layout: %s" % e)
        return
    for path, (_, regions) in marked.items():
        if path not in files:
            continue  # bench/ files, or a src/ file whose header error is reported
        intro, ext, _ = files[path]
        ch = "%d" % regions[0]["chapter"]
        if chapter_key(ch) not in [chapter_key(c) for c in [intro] + ext]:
            errors.append("%s:%d: learn marker names ch%02d, but the file's chapter line"
                          " says chapter %s%s" % (path, regions[0]["begin"] + 1,
                                                  regions[0]["chapter"], intro,
                                                  "; extended in " + ", ".join(ext) if ext else ""))


def check_suites(errors):
    paths = sorted(glob.glob("tests/ch*.c") + glob.glob("tests/exercises/ch*.c"))
    if not paths:
        errors.append("layout: no tests/ch*.c files; nothing to check is a failure")
    for path in paths:
        base = os.path.basename(path)
        m = re.match(r'^ch(\d\d[a-z]?)_([a-z0-9_]+)\.c$', base)
        if not m:
            errors.append("%s: a test file is named chNN_topic.c (lower case)" % path)
            continue
        want = ("ex" if "/exercises/" in path else "ch") + m.group(1) + "_" + m.group(2)
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
        calls = [(i, c) for i, l in enumerate(lines) for c in SUITE_CALL.finditer(l)
                 if not l.lstrip().startswith(("*", "/*", "//"))]
        if len(calls) != 1:
            errors.append('%s: defines %d suites; each test file builds one, named "%s"'
                          % (path, len(calls), want))
            continue
        i, c = calls[0]
        if c.group(3) != want:
            errors.append('%s:%d: suite named %s; a suite is named after its file: "%s"'
                          % (path, i + 1, c.group(2) or "by a non-literal", want))


def check():
    errors = []
    files = scan_sources(errors)
    check_learn_markers(files, errors)
    check_suites(errors)
    for e in errors:
        print(e)
    return files, errors


def write_map(files, out):
    by_ch = {}
    for path, (intro, ext, what) in files.items():
        by_ch.setdefault(intro, {"new": [], "ext": []})["new"].append((path, what))
        for ch in ext:
            by_ch.setdefault(ch, {"new": [], "ext": []})["ext"].append((path, intro))
    cell = lambda s: s.replace("|", "\\|")
    text = ["# Files by chapter {#files_by_chapter}", "",
            "Which chapter introduces each file of `src/`, and which chapters",
            "extend it.  `make docs` writes this page from the opening comment of",
            "every file (`tests/util/layout.py`), so it cannot drift from the code.",
            "Programs live in `src/cli/` (`src/cli/main_<prog>.c` is `build/<prog>`);",
            "tests are in `tests/chNN_*.c`, exercise tests in `tests/exercises/`.", ""]
    for ch in sorted(by_ch, key=chapter_key):
        md = chapter_md(ch)
        title, anchor = (chapter_title(md) if md else
                         ("Chapter %s (its text is not written yet)" % ch, None))
        text.append("## %s" % title)
        text.append("")
        if anchor:
            text.append("The chapter: \\ref %s." % anchor)
            text.append("")
        if by_ch[ch]["new"]:
            text += ["| new file | what it is |", "|---|---|"]
            text += ["| `%s` | %s |" % (p, cell(w)) for p, w in sorted(by_ch[ch]["new"])]
            text.append("")
        if by_ch[ch]["ext"]:
            text.append("Extended here: " + ", ".join(
                "`%s` (chapter %s)" % (p, i) for p, i in sorted(by_ch[ch]["ext"])) + ".")
            text.append("")
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(text))
    os.rename(out + ".tmp", out)


def main(argv):
    if len(argv) >= 2 and argv[1] == "check":
        _, errors = check()
        if errors:
            return 1
        print("layout: every src/ file names its chapter; every suite is named after its file")
        return 0
    if len(argv) == 3 and argv[1] == "map":
        files, errors = check()
        if errors:
            return 1
        write_map(files, argv[2])
        return 0
    print(__doc__.split("Commands:")[1].split("Exit status")[0], end="")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
