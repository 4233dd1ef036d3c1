/* keyspace_rdb.h - a keyspace from an RDB file; a keyspace as rdb-dump JSON.
 * Chapter 9.
 *
 * A replica's first act is to load its master's snapshot, every database
 * of it, and a test's last act is often to compare a keyspace with one:
 * keyspace_load_rdb() runs chapter 7's parser with a handler that puts
 * each key into its database through batches of the keyspace (so readers
 * see whole batches, never a half-loaded key set), and
 * keyspace_dump_json() writes a keyspace in the "dbs" shape rdb-dump
 * prints for a file, so that the two can be read side by side.
 */
#ifndef KEYSPACE_RDB_H
#define KEYSPACE_RDB_H

#include <stdio.h>

#include "keyspace.h"
#include "rdb.h"

/** Keys per batch when keyspace_load_rdb() makes its own batches. */
#define KEYSPACE_RDB_BATCH 1024u

/**
 * Load every database of an RDB stream into a keyspace: key k of database
 * d goes to database d, replacing what was there.  Expired keys are kept
 * (a replica never expires keys itself); module values are skipped with a
 * warning naming the module, and empty collections are skipped, as
 * rdb_load_store() does.  A database number (SELECTDB) not below
 * keyspace_databases() is an error naming it and its offset, and so is a
 * key that the file holds twice in a database that was empty when the
 * load reached it (Redis refuses such a file too).
 *
 * \param ks  the keyspace.  With no batch open, the keys are committed in
 *            batches of KEYSPACE_RDB_BATCH (those committed before an
 *            error stay); inside a batch they join it, and the caller
 *            commits or aborts.
 * \param r   the reader, at the magic.
 * \param opt parse options (NULL for defaults).
 * \param res receives the outcome: res->keys_stored counts keys put,
 *            res->end_offset where the RDB ended (an AOF preamble's
 *            commands follow it).
 * \return 0, or -1 with res->error set ("offset N: ...").
 * Thread-safety: the keyspace's writer thread.
 */
int keyspace_load_rdb(keyspace *ks, rdb_reader *r, const rdb_options *opt,
                      rdb_result *res);

/**
 * What keyspace_load_rdb_aux() calls for each AUX field (a replica reads
 * repl-stream-db, repl-id and repl-offset from its master's snapshot).
 * \param arg the argument given with it.
 * \param key the field's name (valid during the call only).
 * \param val its value, integers rendered in decimal (valid during the
 *            call only).
 * \return 0 to go on; non-zero stops the load ("stopped by the handler").
 */
typedef int keyspace_rdb_aux_fn(void *arg, const rdb_buf *key,
                                const rdb_buf *val);

/**
 * keyspace_load_rdb() that also hands every AUX field to a callback.
 * \param ks      the keyspace (as keyspace_load_rdb()).
 * \param r       the reader, at the magic.
 * \param opt     parse options (NULL for defaults).
 * \param aux     called for each AUX field, in file order (NULL: none).
 * \param aux_arg its argument.
 * \param res     the outcome (as keyspace_load_rdb()).
 * \return 0, or -1 with res->error set.
 * Thread-safety: the keyspace's writer thread.
 */
int keyspace_load_rdb_aux(keyspace *ks, rdb_reader *r, const rdb_options *opt,
                          keyspace_rdb_aux_fn *aux, void *aux_arg,
                          rdb_result *res);

/**
 * keyspace_load_rdb() on a file.
 * \param ks   the keyspace.
 * \param path the file.
 * \param opt  parse options (NULL for defaults).
 * \param res  the outcome (res->error names the file when it cannot be
 *             opened).
 * \return 0, or -1 with res->error set.
 */
int keyspace_load_rdb_file(keyspace *ks, const char *path,
                           const rdb_options *opt, rdb_result *res);

/**
 * Write every non-empty database as JSON in rdb-dump's "dbs" shape:
 * {"dbs": {"<db>": {"<key>": {"type", "expiry_ms" (when set),
 * "field_expiry_ms" (hashes with expiring fields), "value"}}}}, databases
 * in number order and keys sorted by their bytes, so the output is the
 * same for the same contents on every store variant.  Values are written
 * by rdb_json_value() as for an RDB file of the newest format (streams
 * with every piece of metadata).
 * \param r   a reader: outside a section (one is opened for the dump) or
 *            inside one (it is used).
 * \param out the stream.
 * \return 0, or -1 with errno ENOMEM or EIO (a write failed).
 */
int keyspace_dump_json(keyspace_reader *r, FILE *out);

#endif
