/* cmd.h - the applier: a master's write commands applied to a keyspace.
 * Chapter 9; extended in chapter 10.
 *
 * A replica copies its master by doing exactly what the master did, in
 * the order it did it.  The master sends each write as a RESP array of
 * bulk strings, most of them rewritten first into a form that gives the
 * same result wherever it runs (relative expiries become absolute, SPOP
 * becomes SREM of the members it chose, XADD * gets its ID), so applying
 * them needs no clock and no dice.  The applier takes those arrays
 * (chapter 6 parses them), looks each name up in one command table (name,
 * arity, flags, handler, as Redis's own table in src/commands.def), and
 * runs the handler against the keyspace of chapter 9.
 *
 * Handlers live one file per command family (cmd_string.c, cmd_list.c,
 * ...) and follow one discipline: check every argument and every key's
 * type first, then change the keyspace.  So a command that fails changes
 * nothing; an out-of-memory failure half-way aborts the whole batch, which
 * also changes nothing.  A master never propagates a failing command, so
 * on a live link any failure means the copies have diverged: the applier
 * counts failures per command, and its error message names the command,
 * the argument and the stream offset.
 *
 * Batches.  Commands are applied inside a keyspace batch that
 * cmd_applier_flush() publishes (the caller flushes after each read of the
 * stream), so a reader sees all of one read or none of it.  MULTI ...
 * EXEC is queued and applied at EXEC inside the open batch, and a flush
 * while a MULTI is open waits for its EXEC: a transaction is never split
 * across two publications.
 *
 * Thread-safety: an applier is used by one thread at a time, the
 * keyspace's writer.
 */
#ifndef CMD_H
#define CMD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyspace.h"
#include "resp.h"

/* [ch09-cmd-spec] */
/** Flags of a command-table entry. */
enum {
    CMD_WRITE = 1u << 0,   /**< changes the keyspace */
    CMD_NOTDATA = 1u << 1, /**< handled, but changes no data (PING,
                                REPLCONF, PUBLISH, FUNCTION, SCRIPT) */
    CMD_NOMULTI = 1u << 2, /**< may not be queued inside MULTI (MULTI) */
    CMD_TXN = 1u << 3,     /**< MULTI, EXEC, DISCARD: run even while
                                queueing */
};

typedef struct cmd_ctx cmd_ctx;

/**
 * A command's handler.
 * \param c the context: the arguments, the selected database, the keyspace
 *          inside an open batch.
 * \return 0 when applied; -1 after cmd_error() when the command failed
 *         (nothing changed), or -1 with errno ENOMEM and no cmd_error()
 *         (the batch is then aborted).
 */
typedef int cmd_handler(cmd_ctx *c);

/** One entry of the command table. */
typedef struct cmd_spec {
    const char *name;   /**< lower case, e.g. "lpush" */
    int arity;          /**< argc including the name; -N means at least N,
                             as in Redis's table */
    unsigned flags;     /**< CMD_* */
    cmd_handler *fn;    /**< the handler */
} cmd_spec;
/* [ch09-cmd-spec] */

/** What a handler sees. */
struct cmd_ctx {
    keyspace *ks;              /**< the keyspace, inside a batch */
    unsigned db;               /**< the selected database (SELECT changes
                                    it) */
    size_t argc;               /**< arguments, the name included */
    const resp_value *argv;    /**< argv[i].str / argv[i].len: bulk
                                    strings (NUL-terminated) */
    const cmd_spec *spec;      /**< the table entry being run */
    int64_t now_ms;            /**< the applier's clock, for the client
                                    forms that carry relative times (SET EX,
                                    EXPIRE, XADD *); propagated forms never
                                    need it */
    struct cmd_applier *app;   /**< the applier (for cmd_applier_* hooks) */
    int err_arg;               /**< set by cmd_error_arg(): the argument
                                    the error is about, or -1 */
    char err[256];             /**< set by cmd_error(): Redis's reply text
                                    for this failure, e.g. "WRONGTYPE
                                    Operation against a key holding the
                                    wrong kind of value" */
};

/**
 * Record why a command failed, as Redis would reply to it.
 * \param c   the context.
 * \param fmt printf format of the reply text, e.g. "ERR syntax error".
 * \return -1, so a handler can `return cmd_error(c, ...);`.
 */
int cmd_error(cmd_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * cmd_error() naming the argument the failure is about.
 * \param c    the context.
 * \param argi the argument's index in argv (1 = first after the name).
 * \param fmt  printf format of the reply text.
 * \return -1.
 */
int cmd_error_arg(cmd_ctx *c, int argi, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Redis's reply texts for the common failures (redis/redis src/server.c,
 * createSharedObjects()). */
/** A key holds another type. */
#define CMD_ERR_WRONGTYPE \
    "WRONGTYPE Operation against a key holding the wrong kind of value"
/** An argument is not a 64-bit integer. */
#define CMD_ERR_NOTINT "ERR value is not an integer or out of range"
/** An argument is not a double. */
#define CMD_ERR_NOTFLOAT "ERR value is not a valid float"
/** A malformed option list. */
#define CMD_ERR_SYNTAX "ERR syntax error"
/** No such key (RENAME, LSET). */
#define CMD_ERR_NOKEY "ERR no such key"
/** An index out of range (LSET). */
#define CMD_ERR_RANGE "ERR index out of range"

/* ---- argument helpers for handlers ---------------------------------------- */

/**
 * Whether argument i equals a keyword, ignoring case.
 * \param c  the context.
 * \param i  the argument index (must be < argc).
 * \param kw the keyword, e.g. "NX".
 * \return true when equal.
 */
bool cmd_arg_is(const cmd_ctx *c, size_t i, const char *kw);

/**
 * Parse argument i as a 64-bit integer the way Redis does (string2ll():
 * no spaces, no '+', no leading zeros, within range).
 * \param c   the context.
 * \param i   the argument index.
 * \param out receives the number.
 * \return 0, or -1 after cmd_error_arg(c, i, CMD_ERR_NOTINT).
 */
int cmd_arg_int(cmd_ctx *c, size_t i, long long *out);

/**
 * Parse argument i as a double the way Redis 7.0 does for scores
 * (string2d(): strtod, "inf" and "-inf" allowed, NaN refused, no spaces);
 * INCRBYFLOAT's long double has its own parser in cmd_num.h.
 * \param c   the context.
 * \param i   the argument index.
 * \param out receives the number.
 * \return 0, or -1 after cmd_error_arg(c, i, CMD_ERR_NOTFLOAT).
 */
int cmd_arg_double(cmd_ctx *c, size_t i, double *out);

/**
 * Look up argument i as a key of the selected database, expecting a type.
 * \param c    the context.
 * \param i    the argument index of the key.
 * \param type the type wanted.
 * \param out  receives the value, or NULL when the key is absent.
 * \return 0 (found or absent), or -1 after cmd_error(c, CMD_ERR_WRONGTYPE)
 *         when the key holds another type.
 */
int cmd_lookup_type(cmd_ctx *c, size_t i, value_type type,
                    const value **out);

/* ---- the applier ----------------------------------------------------------- */

/** An applier bound to one keyspace. */
typedef struct cmd_applier cmd_applier;

/** Called for each PUBLISH applied (chapter 11 delivers to subscribers). */
typedef void cmd_publish_fn(const void *chan, size_t clen, const void *msg,
                            size_t mlen, void *arg);

/** Options of an applier. */
typedef struct cmd_options {
    int64_t (*clock_ms)(void *arg); /**< clock for the client forms (NULL:
                                         value_now_ms()) */
    void *clock_arg;                /**< passed to clock_ms */
    cmd_publish_fn *on_publish;     /**< NULL: PUBLISH is counted only */
    void *publish_arg;              /**< passed to on_publish */
    bool replica;                   /**< apply as a Redis replica does: an
                                         expiry already past (PEXPIREAT
                                         applied after its time, as a
                                         lagging replica does) is set, not a
                                         delete (Redis's checkAlreadyExpired()
                                         is false on a replica); default
                                         false, a master's rule */
} cmd_options;

/**
 * Create an applier.
 * \param ks  the keyspace it writes (it must outlive the applier).
 * \param opt options, or NULL for the defaults.
 * \return the applier, or NULL with errno ENOMEM.
 */
cmd_applier *cmd_applier_create(keyspace *ks, const cmd_options *opt);

/**
 * Destroy an applier; a batch it left open is aborted (so call
 * cmd_applier_flush() first to keep it).
 * \param a the applier; NULL does nothing.
 */
void cmd_applier_destroy(cmd_applier *a);

/** The outcome of one cmd_apply(). */
typedef enum cmd_status {
    CMD_APPLIED = 0,  /**< applied (or queued inside MULTI, or handled) */
    CMD_FAILED = 1,   /**< refused: nothing changed; see
                           cmd_applier_error() */
    CMD_NOMEM = -1,   /**< out of memory: the open batch was aborted */
} cmd_status;

/**
 * Apply one command.  Opens a batch when none is open.
 * \param a      the applier.
 * \param cmd    a RESP array of bulk strings (a parsed command).
 * \param offset the command's offset in the stream, for error messages
 *               (0 when unknown).
 * \return CMD_APPLIED, CMD_FAILED (error counted under the command's name,
 *         or "(unknown)"), or CMD_NOMEM (everything pending since the last
 *         flush is dropped).
 */
cmd_status cmd_apply(cmd_applier *a, const resp_value *cmd, uint64_t offset);

/**
 * Apply a command given as C strings (tests, tools).
 * \param a    the applier.
 * \param argc number of arguments.
 * \param argv the arguments; lens may be NULL for NUL-terminated strings.
 * \param lens their lengths, or NULL.
 * \return as cmd_apply().
 */
cmd_status cmd_apply_argv(cmd_applier *a, size_t argc,
                          const char *const *argv, const size_t *lens);

/**
 * Publish what was applied since the last flush (keyspace_commit()),
 * unless a MULTI is open, whose EXEC will be published with it.
 * \param a the applier.
 * \return 0 (published, or nothing to publish, or waiting for EXEC), or -1
 *         with errno ENOMEM (nothing published; the batch was dropped).
 */
int cmd_applier_flush(cmd_applier *a);

/**
 * The last failure, with its context: "offset N: COMMAND argument I: "
 * followed by Redis's reply text.
 * \param a the applier.
 * \return a string owned by the applier ("" when none), valid until the
 *         next cmd_apply().
 */
const char *cmd_applier_error(const cmd_applier *a);

/**
 * The last failure as Redis would have replied to the command (no
 * context), e.g. "ERR value is not an integer or out of range".
 * \param a the applier.
 * \return a string owned by the applier ("" when none).
 */
const char *cmd_applier_reply_error(const cmd_applier *a);

/**
 * The database the stream has selected.
 * \param a the applier.
 * \return the database number.
 */
unsigned cmd_applier_db(const cmd_applier *a);

/** Counts for one command name. */
typedef struct cmd_count {
    const char *name;   /**< the table's name, or "(unknown)" */
    uint64_t applied;   /**< times applied */
    uint64_t failed;    /**< times refused */
} cmd_count;

/**
 * Call fn for each command applied or refused at least once, in table
 * order (the unknown ones last).
 * \param a   the applier.
 * \param fn  the callback.
 * \param arg passed to fn.
 */
void cmd_applier_counts(const cmd_applier *a,
                        void (*fn)(const cmd_count *c, void *arg), void *arg);

/**
 * Total commands refused since creation (divergence on a live link).
 * \param a the applier.
 * \return the count.
 */
uint64_t cmd_applier_failures(const cmd_applier *a);

/* ---- what the replication link needs (cmd_state.c, chapter 10) ------------- */

/**
 * Select a database, as the master's SELECT would (a full sync starts the
 * stream in the snapshot's repl-stream-db).
 * \param a  the applier, outside MULTI.
 * \param db the database, below keyspace_databases().
 * \return 0, or -1 with errno EINVAL (out of range) or EBUSY (inside
 *         MULTI).
 */
int cmd_applier_select(cmd_applier *a, unsigned db);

/**
 * Whether a MULTI is open (its EXEC has not arrived yet).
 * \param a the applier.
 * \return true between MULTI and EXEC or DISCARD.
 */
bool cmd_applier_in_multi(const cmd_applier *a);

/**
 * Drop an open MULTI and its queue, as if DISCARD had arrived: the link
 * was lost in the middle of a transaction, which the master will resend
 * whole.  The database selected stays; commands applied before the MULTI
 * stay pending until the next cmd_applier_flush().
 * \param a the applier.
 * \return true when a MULTI was open.
 */
bool cmd_applier_discard(cmd_applier *a);

/**
 * Drop everything applied since the last cmd_applier_flush(), as an
 * out-of-memory failure inside the applier does: the open batch, an open
 * MULTI and its queue, and a database selected since the flush.  For the
 * replication stream, when its own bookkeeping (the parser, an ACK) runs
 * out of memory half-way through a read: it then goes back to the last
 * publication, just as when the applier ran out.
 * \param a the applier.
 */
void cmd_applier_abort(cmd_applier *a);

/**
 * Find a command-table entry by name, ignoring case.
 * \param name the name.
 * \param len  its length.
 * \return the entry, or NULL.
 */
const cmd_spec *cmd_lookup(const char *name, size_t len);

/* ---- the families' tables (one per cmd_<family>.c) ---------------------------- */

/* Each is terminated by an entry whose name is NULL. */
extern const cmd_spec cmd_string_table[];  /**< cmd_string.c */
extern const cmd_spec cmd_bits_table[];    /**< cmd_bits.c */
extern const cmd_spec cmd_hll_table[];     /**< cmd_hll.c */
extern const cmd_spec cmd_keys_table[];    /**< cmd_keys.c: DEL, UNLINK,
                                                RENAME, RENAMENX, COPY, MOVE */
extern const cmd_spec cmd_expire_table[];  /**< cmd_expire.c */
extern const cmd_spec cmd_restore_table[]; /**< cmd_restore.c */
extern const cmd_spec cmd_sort_table[];    /**< cmd_sort.c */
extern const cmd_spec cmd_list_table[];    /**< cmd_list.c */
extern const cmd_spec cmd_hash_table[];    /**< cmd_hash.c */
extern const cmd_spec cmd_set_table[];     /**< cmd_set.c */
extern const cmd_spec cmd_zset_table[];    /**< cmd_zset.c */
extern const cmd_spec cmd_zstore_table[];  /**< cmd_zstore.c */
extern const cmd_spec cmd_geo_table[];     /**< cmd_geo.c */
extern const cmd_spec cmd_stream_table[];  /**< cmd_stream.c */
extern const cmd_spec cmd_xgroup_table[];  /**< cmd_xgroup.c */
extern const cmd_spec cmd_db_table[];      /**< cmd_db.c: SELECT, SWAPDB,
                                                FLUSHDB, FLUSHALL */
extern const cmd_spec cmd_server_table[];  /**< cmd_server.c: PING,
                                                REPLCONF, PUBLISH, FUNCTION,
                                                SCRIPT, EVAL refusals */
extern const cmd_spec cmd_txn_table[];     /**< cmd.c: MULTI, EXEC,
                                                DISCARD */

#endif
