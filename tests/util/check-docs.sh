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
set -uo pipefail
status=0
shopt -s nullglob
# The build-it-yourself track: its markers are well formed, and a chapter
# with marked bodies names exactly those in "## What you write".
python3 tests/util/learn.py check-chapters || status=1
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
[ $status -eq 0 ] && echo "check-docs: chapters and snippet markers are consistent"
exit $status
