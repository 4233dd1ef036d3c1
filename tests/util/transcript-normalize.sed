# transcript-normalize.sed - what truly varies between two runs of a
# transcript's command, replaced by a fixed word.  tests/util/transcripts.sh
# applies this script (after replacing the repository's absolute path with
# nothing) both when it writes docs/transcripts/<name>.txt and when it
# compares a fresh run with it, so a committed transcript is already in this
# form.  Add a rule here only for output that changes from run to run or
# from machine to machine on its own; anything else that differs is a
# change the chapter must show.
#
# 1. Sanitizer stack frames end in " (binary+0xOFFSET)" and
#    " (BuildId: HEX)": both change with every rebuild.  Dropped.
s/ \([^ ()]+\+0x[0-9a-f]+\)//g
s/ \(BuildId: [0-9a-f]+\)//g
# 2. Memory addresses (six hex digits or more; the two-digit hex of an RDB
#    opcode such as 0xfa is data, and stays).
s/0x[0-9a-f]{6,}/0x<addr>/g
# 3. Process and thread ids: TSan's "(pid=N)" and "tid=N", ASan's "==N==".
s/\(pid=[0-9]+\)/(pid=<pid>)/g
s/tid=[0-9]+/tid=<tid>/g
s/==[0-9]+==/==<pid>==/g
# 4. Temporary files and directories made by mktemp (/tmp/xxx.XXXXXX).
s#/tmp/[A-Za-z0-9_.-]+#/tmp/<tmp>#g
# 5. Dates and times of day (2026-12-01, 09:31:05, 2026-12-01T09:31:05Z).
s/[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(\.[0-9]+)?Z?)?/<date>/g
s/\b[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?\b/<time>/g
# 6. Durations printed by a tool ("12.3 ms", "0.52 s", "in 3 us").
s/\b[0-9]+(\.[0-9]+)? ?(ns|us|ms|s)\b/<duration>/g
# 7. make's own "make[N]: *** [Makefile:LINE: target] Error N" lines, when a
#    command fails on purpose: they quote Makefile line numbers and the
#    recursion depth, not the program's output.  Dropped.
/^make(\[[0-9]+\])?: \*\*\* /d
# 8. Replication IDs and diskless end marks: 40 random characters a master
#    draws at start-up and for each snapshot.
s/\b[0-9a-f]{40}\b/<replid>/g
# 9. An RDB's checksum: a snapshot holds its own creation time (the ctime
#    AUX field), so its CRC-64 differs on every run.
s/checksum [0-9a-f]{16}/checksum <crc>/g
