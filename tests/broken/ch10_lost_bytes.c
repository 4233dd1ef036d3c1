/* ch10_lost_bytes.c - chapter 10's replica losing the bytes after the snapshot.
 *
 * Chapter 10 opens with a master that sends the end of its snapshot and
 * the first commands of its stream in one write.  This file puts back the
 * design that loses them: a snapshot loader that reads through a buffered
 * reader of its own, so whatever it read past the snapshot's end is gone
 * when the stream starts.  It compiles src/repl_snapshot.c unchanged with
 * repl_snapshot_load() renamed out of the way and supplies one that loads
 * the snapshot and then drops every byte still in the input.  The snapshot
 * itself loads correctly; only the stream is short.
 * `make broken-ch10_lost_bytes` links it with chapter 10's suites in place
 * of the library's repl_snapshot.o.  Never built into the library.
 */
#define repl_snapshot_load repl_snapshot_load_exact
#include "repl_snapshot.c"
#undef repl_snapshot_load

int repl_snapshot_load(keyspace *ks, repl_input *in, const repl_payload *p,
                       repl_snapshot_result *res);

int repl_snapshot_load(keyspace *ks, repl_input *in, const repl_payload *p,
                       repl_snapshot_result *res)
{
    int rc = repl_snapshot_load_exact(ks, in, p, res);
    /* The bug: what the loader's reader had read ahead is thrown away. */
    repl_input_consume(in, repl_input_avail(in));
    return rc;
}
