#!/usr/bin/env python3
"""learn.py - the build-it-yourself track: find the bodies a learner writes.

A function body that a chapter asks the learner to write is marked in the
source, one comment line after its opening brace and one before its closing
brace:

    int map_insert(map *m, const void *key, size_t klen, void *val)
    {
        /* learn: ch01 map_insert "An open-addressing map" */
        ...the real code...
        /* learn: end */
    }

"ch01" is the chapter that introduces the file (every marker of a file
names the same chapter, one that the file's " * Chapter N" line lists:
tests/util/layout.py checks it), then the function's name, then the heading of the
chapter section that explains it (it must be a heading of chapters/01-*.md).
The real code stays the one copy; Doxygen hides the marker lines
(docs/Doxyfile FILTER_PATTERNS), so the chapters quote the code unchanged.

Commands:
  learn.py list [--chapter N]      every marker: file, line, chapter, name
  learn.py gen --chapter N --dir D [--real | --only NAME]
                                   write chapter N's files into D, each
                                   marked body replaced by a stub that
                                   aborts with a message naming the chapter
                                   and section (--real: copy as they are;
                                   --only NAME: stub that function only);
                                   a file already in D is never overwritten
  learn.py check-chapters          each chapter's "What you write" list
                                   names exactly the functions marked for it

Exit status 1 with "file:line: message" on any malformed, unbalanced or
nested marker, or a marker whose section or function is not where it says.
"""
import glob
import os
import re
import sys

SOURCE_DIRS = ("src", "bench")
BEGIN = re.compile(r'^\s*/\* learn: ch(\d\d) ([A-Za-z_]\w*) "([^"\\]+)" \*/\s*$')
END = re.compile(r'^\s*/\* learn: end \*/\s*$')
ANY = re.compile(r'/\*\s*learn\s*:')
STUB_HEADER = '#include "learn_stub.h"'


class MarkerError(Exception):
    pass


def chapter_file(ch):
    hits = sorted(glob.glob("chapters/%02d-*.md" % ch))
    return hits[0] if hits else None


def headings(path):
    """The headings of a chapter, without '#'s and {#anchor}s."""
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r'^#+\s+(.*?)\s*(\{#[^}]*\})?\s*$', line)
            if m:
                out.add(m.group(1))
    return out


def signature(lines, brace):
    """The declaration above the '{' at index brace, joined on one line."""
    i = brace - 1
    parts = []
    while i >= 0:
        s = lines[i].rstrip("\n")
        t = s.strip()
        if (t == "" or t.endswith(";") or t.endswith("*/") or t.startswith("#")
                or t.startswith("}") or t.startswith("/*") or t.startswith("*")):
            break
        parts.insert(0, t)
        if not s[:1].isspace():  # the declaration's first line starts at column 0
            break
        i -= 1
    return " ".join(parts)


def split_params(text):
    params, depth, cur = [], 0, ""
    for c in text:
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        if c == "," and depth == 0:
            params.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        params.append(cur.strip())
    return params


def param_name(p):
    if p in ("void", "..."):
        return None
    m = re.search(r'\(\s*\*\s*([A-Za-z_]\w*)\s*\)', p)  # function pointer
    if m:
        return m.group(1)
    p = re.sub(r'\[[^\]]*\]', "", p).strip()             # arrays
    m = re.search(r'([A-Za-z_]\w*)\s*$', p)
    return m.group(1) if m else None


def parse_decl(decl, name, where):
    m = re.search(r'\b' + re.escape(name) + r'\s*\((.*)\)\s*$', decl)
    if not m:
        raise MarkerError("%s: marker names %s() but the function above is: %s"
                          % (where, name, decl or "(none)"))
    ret = decl[:m.start()].strip()
    names = [param_name(p) for p in split_params(m.group(1))]
    return ret, [n for n in names if n]


def scan_file(path):
    """The marked regions of one file: a list of dicts, in file order."""
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    regions, cur = [], None
    for i, line in enumerate(lines):
        where = "%s:%d" % (path, i + 1)
        b, e = BEGIN.match(line), END.match(line)
        if b:
            if cur is not None:
                raise MarkerError("%s: learn marker inside the one opened at line %d"
                                  " (markers do not nest)" % (where, cur["begin"] + 1))
            if i == 0 or lines[i - 1].rstrip() != "{":
                raise MarkerError("%s: a learn marker must be the line after a"
                                  " function's opening '{'" % where)
            ret, params = parse_decl(signature(lines, i - 1), b.group(2), where)
            cur = {"file": path, "begin": i, "chapter": int(b.group(1)),
                   "name": b.group(2), "section": b.group(3), "ret": ret,
                   "params": params}
        elif e:
            if cur is None:
                raise MarkerError("%s: 'learn: end' without a marker before it" % where)
            if i + 1 >= len(lines) or lines[i + 1].rstrip() != "}":
                raise MarkerError("%s: 'learn: end' must be the line before the"
                                  " function's closing '}'" % where)
            cur["end"] = i
            regions.append(cur)
            cur = None
        elif ANY.search(line):
            raise MarkerError('%s: malformed learn marker (want /* learn: chNN name'
                              ' "Section" */ or /* learn: end */): %s'
                              % (where, line.strip()))
    if cur is not None:
        raise MarkerError("%s:%d: learn marker %s is never closed by /* learn: end */"
                          % (path, cur["begin"] + 1, cur["name"]))
    chapters = {r["chapter"] for r in regions}
    if len(chapters) > 1:
        raise MarkerError("%s: markers name more than one chapter (%s); a file"
                          " belongs to the chapter that introduces it"
                          % (path, ", ".join("ch%02d" % c for c in sorted(chapters))))
    return lines, regions


def scan_all():
    files, by_base = {}, {}
    for d in SOURCE_DIRS:
        for path in sorted(glob.glob(os.path.join(d, "*.h"))):
            with open(path, encoding="utf-8") as f:
                for i, line in enumerate(f):
                    if ANY.search(line):
                        raise MarkerError("%s:%d: learn markers belong in .c files only"
                                          % (path, i + 1))
        for path in sorted(glob.glob(os.path.join(d, "*.c"))):
            lines, regions = scan_file(path)
            if not regions:
                continue
            base = os.path.basename(path)
            if base in by_base:
                raise MarkerError("%s: same name as %s; learn/ needs one name per file"
                                  % (path, by_base[base]))
            by_base[base] = path
            files[path] = (lines, regions)
    heads = {}
    for path, (_, regions) in files.items():
        for r in regions:
            ch = r["chapter"]
            if ch not in heads:
                md = chapter_file(ch)
                if md is None:
                    raise MarkerError("%s:%d: no chapters/%02d-*.md for ch%02d"
                                      % (path, r["begin"] + 1, ch, ch))
                heads[ch] = (md, headings(md))
            md, hs = heads[ch]
            if r["section"] not in hs:
                raise MarkerError('%s:%d: section "%s" is not a heading of %s'
                                  % (path, r["begin"] + 1, r["section"], md))
    return files


def stub(region, indent="    "):
    lines = ["%s(void)%s;\n" % (indent, p) for p in region["params"]]
    lines.append('%slearn_unwritten("%s", %d, "%s");\n'
                 % (indent, region["name"], region["chapter"], region["section"]))
    return lines


def stubbed(lines, regions):
    out, skip_to = [], -1
    starts = {r["begin"]: r for r in regions}
    for i, line in enumerate(lines):
        if i <= skip_to:
            if i == skip_to:
                out.append(line)           # the end marker
            continue
        out.append(line)
        if i in starts:
            r = starts[i]
            indent = re.match(r'^(\s*)', line).group(1)
            out.extend(stub(r, indent))
            skip_to = r["end"]
    # The stub's declaration, after the file's first #include.
    for i, line in enumerate(out):
        if line.startswith("#include"):
            out.insert(i + 1, STUB_HEADER + "\n")
            break
    else:
        raise MarkerError("%s: no #include line to put %s after"
                          % (regions[0]["file"], STUB_HEADER))
    return out


def cmd_list(args):
    ch = int(args[args.index("--chapter") + 1]) if "--chapter" in args else None
    for path, (_, regions) in scan_all().items():
        for r in regions:
            if ch is None or r["chapter"] == ch:
                print("%s:%d ch%02d %s \"%s\"" % (path, r["begin"] + 1, r["chapter"],
                                                 r["name"], r["section"]))


def cmd_gen(args):
    try:
        ch = int(args[args.index("--chapter") + 1])
        dest = args[args.index("--dir") + 1]
    except (ValueError, IndexError):
        raise MarkerError("usage: learn.py gen --chapter N --dir DIR [--real | --only NAME]")
    real = "--real" in args
    only = args[args.index("--only") + 1] if "--only" in args else None
    files = scan_all()
    mine = [(p, v) for p, v in files.items() if v[1][0]["chapter"] == ch]
    for path, (_, regions) in sorted(files.items(), key=lambda kv: kv[1][1][0]["chapter"]):
        target = os.path.join(dest, os.path.basename(path))
        if regions[0]["chapter"] < ch and not os.path.exists(target):
            print("learn: note    %s is not in %s: the course's own is used"
                  " (make learn CH=%d to write it)" % (path, dest, regions[0]["chapter"]))
    if only is not None and not any(r["name"] == only for _, v in mine for r in v[1]):
        raise MarkerError("--only %s: chapter %d marks no such function" % (only, ch))
    if not mine:
        print("learn: chapter %d has no functions for you to write; "
              "`make learn-test CH=%d` runs chapters 1..%d with your earlier files"
              % (ch, ch, ch))
        return 0
    os.makedirs(dest, exist_ok=True)
    for path, (lines, regions) in mine:
        target = os.path.join(dest, os.path.basename(path))
        names = ", ".join(r["name"] + "()" for r in regions)
        if os.path.exists(target):
            print("learn: kept    %s (already yours; it replaces %s)" % (target, path))
            continue
        todo = [r for r in regions if only is None or r["name"] == only]
        if only is not None:
            names = ", ".join(r["name"] + "()" for r in todo) or "nothing"
        text = lines if real or not todo else stubbed(lines, todo)
        with open(target + ".tmp", "w", encoding="utf-8") as f:
            f.writelines(text)
        os.rename(target + ".tmp", target)
        print("learn: created %s (replaces %s)%s: %s"
              % (target, path, " with the real bodies" if real else "; write", names))
    print("learn: then run `make learn-test CH=%d`" % ch)
    return 0


def cmd_check_chapters(_args):
    """Each chapter's '## What you write' section lists `name()` items; they
    must be exactly the functions marked for that chapter, in any order."""
    marked = {}
    for _, (_, regions) in scan_all().items():
        for r in regions:
            marked.setdefault(r["chapter"], []).append(r["name"])
    status = 0
    for md in sorted(glob.glob("chapters/[0-9][0-9]-*.md")):
        ch = int(os.path.basename(md)[:2])
        listed, inside = [], False
        with open(md, encoding="utf-8") as f:
            for line in f:
                if line.startswith("## "):
                    inside = line.startswith("## What you write")
                elif inside:
                    listed += re.findall(r'`([A-Za-z_]\w*)\(\)`', line)
        want = sorted(marked.get(ch, []))
        if sorted(listed) != want:
            print("learn: %s lists %s under 'What you write' but src/ marks %s for ch%02d"
                  % (md, sorted(listed) or "nothing", want or "nothing", ch))
            status = 1
    return status


def main(argv):
    cmds = {"list": cmd_list, "gen": cmd_gen, "check-chapters": cmd_check_chapters}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__.split("Commands:")[1].split("Exit status")[0], end="")
        return 2
    try:
        return cmds[argv[1]](argv[2:]) or 0
    except MarkerError as e:
        print("learn: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
