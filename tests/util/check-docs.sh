#!/usr/bin/env bash
# check-docs.sh - the rules that keep chapter text tied to tested code.
#
# 1. Chapters contain no pasted C: no fenced ```c block in chapters/*.md.
#    Code enters a chapter only through \snippet or \include.
# 2. Every snippet marker `[id]` used by a chapter's \snippet appears exactly
#    twice in the file it names (Doxygen quotes the lines between the pair).
# 3. Every marker comment /* [chNN-...] */ (or [chNNx-...], for a chapter
#    such as 01b between two numbered ones) in the sources is used by some
#    chapter, so no marker is left to rot.
# 4. Every chapter has the same bones, so a learner always knows where to
#    look: level-2 headings starting "What you will build", "The failing
#    test", "Run it", "Exercises" and "What changed".
# 5. Chapters contain no pasted program output.  Output enters a chapter only
#    through `\verbinclude NAME.txt` of a transcript (docs/transcripts/, made
#    by a command: tests/util/transcripts.sh) or of a benchmark result
#    (bench/results/).  The rule: a fenced block is ```sh, and holds commands
#    only (no "$ " prompt lines, which mark a pasted session); any other
#    fenced block (```text, a bare ```) is allowed only directly below a line
#    `<!-- not-output: WHY -->`, for material that no program prints
#    (a diagram, a layout drawn by hand).
# 6. Every \verbinclude (a line of its own) names an existing transcript or
#    result, and every transcript in docs/transcripts/ is included by some
#    chapter.
# 7. The layout rules (tests/util/layout.py): every src/ file names the
#    chapter that introduces it, and every suite is named after its file.
set -uo pipefail
status=0
shopt -s nullglob
# The build-it-yourself track: its markers are well formed, and a chapter
# with marked bodies names exactly those in "## What you write".
python3 tests/util/learn.py check-chapters || status=1
python3 tests/util/layout.py check || status=1
chapters=(chapters/*.md solutions/*/*.md)
if grep -nE '^\s*```+\s*(c|C|h)\s*$' "${chapters[@]}" /dev/null; then
  echo "check-docs: the lines above paste C into a chapter; use \\snippet"
  status=1
fi
find_file() {  # locate a \snippet file as EXAMPLE_PATH (recursive) does
  local hits
  hits=$(find src tests bench exercises solutions -type f 2>/dev/null \
         | grep -E "(^|/)$(sed 's/[.[\*^$]/\\&/g' <<<"$1")\$")
  if [ "$(grep -c . <<<"$hits")" -gt 1 ]; then
    echo "check-docs: \\snippet $1 is ambiguous: $(echo $hits)" >&2
    return
  fi
  echo "$hits"
}
used=$(mktemp); trap 'rm -f "$used"' EXIT
while read -r file id; do
  path=$(find_file "$file")
  if [ -z "$path" ]; then
    echo "check-docs: \\snippet $file $id: no such file under src tests bench exercises solutions"
    status=1; continue
  fi
  n=$(grep -cF "[$id]" "$path")
  if [ "$n" -ne 2 ]; then
    echo "check-docs: marker [$id] appears $n times in $path (must be exactly 2)"
    status=1
  fi
  echo "$id" >> "$used"
done < <(grep -ohE '\\snippet(\{[^}]*\})?\s+\S+\s+\S+' "${chapters[@]}" /dev/null \
         | sed -E 's/\\snippet(\{[^}]*\})?\s+//')
while read -r id; do
  grep -qx "$id" "$used" || { echo "check-docs: marker [$id] is not used by any chapter"; status=1; }
done < <(grep -rhoE '/\* \[ch[0-9]{2}[a-z]?-[A-Za-z0-9_-]+\] \*/' src tests bench exercises solutions 2>/dev/null \
         | sed -E 's#/\* \[(.*)\] \*/#\1#' | sort -u)
for ch in chapters/[0-9][0-9]-*.md chapters/[0-9][0-9][a-z]-*.md; do
  for h in "What you will build" "The failing test" "Run it" "Exercises" "What changed"; do
    grep -qiE "^## $h" "$ch" || { echo "check-docs: $ch has no '## $h...' section"; status=1; }
  done
done
fences=$(awk '
  FNR == 1 { inblk = 0; prev = "" }
  {
    if (!inblk && match($0, /^[ \t]*```+[ \t]*/)) {
      info = substr($0, RLENGTH + 1); sub(/[ \t]+$/, "", info)
      inblk = 1; lang = info
      if (info != "sh" && prev !~ /^[ \t]*<!-- not-output: .+-->[ \t]*$/)
        printf "%s:%d: a ```%s block: program output must be \\verbinclude of a transcript (docs/transcripts/list); other material needs <!-- not-output: WHY --> on the line above\n", FILENAME, FNR, info
    } else if (inblk && $0 ~ /^[ \t]*```+[ \t]*$/) {
      inblk = 0
    } else if (inblk && lang == "sh" && $0 ~ /^[ \t]*\$ /) {
      printf "%s:%d: a \"$ \" prompt in a ```sh block looks like a pasted session; put commands only, output in a transcript\n", FILENAME, FNR
    }
    if ($0 !~ /^[ \t]*$/) prev = $0
  }' "${chapters[@]}" /dev/null)
if [ -n "$fences" ]; then
  printf '%s\n' "$fences"; status=1
fi
docs_md=("${chapters[@]}" README.md docs/*.md)
while read -r inc; do
  [ -f "docs/transcripts/$inc" ] || [ -f "bench/results/$inc" ] || {
    echo "check-docs: \\verbinclude $inc: no such file in docs/transcripts or bench/results"
    status=1; }
done < <(grep -hE '^\s*\\verbinclude\s+\S+' "${docs_md[@]}" /dev/null | awk '{print $2}' | sort -u)
for t in docs/transcripts/*.txt; do
  grep -qE "^\s*\\\\verbinclude\s+$(basename "$t")\s*$" "${docs_md[@]}" /dev/null \
    || { echo "check-docs: $t is not included by any chapter (\\verbinclude $(basename "$t"))"; status=1; }
done
[ $status -eq 0 ] && echo "check-docs: chapters and snippet markers are consistent"
exit $status
