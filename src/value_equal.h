/* value_equal.h - are two values, or two keyspaces, the same to a Redis client?
 * Chapter 9.
 *
 * The test of a replica is that it ends with exactly the master's data.
 * "Exactly" means what a client can observe: the type; the contents, in
 * order where Redis defines one (list items, sorted-set members by score
 * then member, stream entries, pending lists) and as membership otherwise
 * (sets, hash fields); scores compared bit for bit; string bytes (a
 * HyperLogLog is a string, so its registers and cached cardinality too);
 * the key's expiry and each hash field's; a stream's metadata (last ID,
 * first ID, largest deleted ID, entries added), its groups (last delivered
 * ID, entries read), their pending entries (delivery time and count, and
 * owner) and consumers (names, own pending lists, seen and active times).
 * Encodings are not compared: a listpack and a hash table holding the
 * same fields are the same hash.  Times that come from a clock (expiries,
 * delivery, seen and active times) may differ by a slack the caller
 * allows, since a client-form command with a relative time is applied at
 * a slightly different moment by a test's two sides.
 */
#ifndef VALUE_EQUAL_H
#define VALUE_EQUAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyspace.h"
#include "value.h"

/** Flags of value_equal() and keyspace_diff(). */
enum {
    /** Do not compare consumers' seen and active times (Redis itself sets
     *  them from its clock when a command is replayed). */
    VALUE_EQ_IGNORE_SEEN = 1u,
};

/**
 * Compare two values as a client sees them (see the file comment).
 * \param a               a value (version or transient).
 * \param b               another.
 * \param flags           VALUE_EQ_IGNORE_SEEN or 0.
 * \param expiry_slack_ms largest difference allowed between two clock
 *                        times (key and field expiries, delivery, seen and
 *                        active times); 0 for exact.
 * \param why             receives the first difference found, e.g.
 *                        "list item 3: \"a\" vs \"b\"" ("" when equal);
 *                        may be NULL.
 * \param whysz           size of why.
 * \return true when equal.  Allocates nothing.
 * Thread-safety: any reader of both values.
 */
bool value_equal(const value *a, const value *b, unsigned flags,
                 int64_t expiry_slack_ms, char *why, size_t whysz);

/**
 * Compare two keyspaces database by database, key by key with
 * value_equal().  Databases are walked in number order and keys in byte
 * order, so the difference reported is the same on every run.
 * \param a               a reader of one keyspace: outside a section (one
 *                        is opened for the comparison) or inside one.
 * \param b               a reader of the other (may be of the same one).
 * \param flags           as value_equal().
 * \param expiry_slack_ms as value_equal().
 * \param why             receives the first difference, naming the
 *                        database, the key and what differs, e.g.
 *                        "db 3, key \"k\": missing in the second keyspace";
 *                        "" when the same; may be NULL.
 * \param whysz           size of why.
 * \return 0 when the same, 1 when they differ, -1 with errno ENOMEM.
 * Thread-safety: the calling thread's readers.
 */
int keyspace_diff(keyspace_reader *a, keyspace_reader *b, unsigned flags,
                  int64_t expiry_slack_ms, char *why, size_t whysz);

#endif
