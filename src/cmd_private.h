/* cmd_private.h - the applier's state, shared by cmd.c, cmd_server.c and cmd_state.c.
 * Chapter 9; extended in chapter 10.
 *
 * cmd.h keeps the applier opaque: callers only apply commands, flush and
 * read counts.  Two files of the applier itself need its fields: cmd.c,
 * which dispatches, queues MULTI and counts, and cmd_server.c, whose
 * FUNCTION commands keep the applier's library registry (libraries are
 * not keys, so they live beside the keyspace, not in it).  This header is
 * for those files only.
 */
#ifndef CMD_PRIVATE_H
#define CMD_PRIVATE_H

#include "cmd.h"

/** One FUNCTION library: its name (from the shebang) and its code. */
typedef struct cmd_library {
    char *name;   /**< NUL-terminated, as `#!lua name=...` gave it */
    size_t nlen;  /**< its length */
    char *code;   /**< the whole code, shebang included, NUL-terminated */
    size_t clen;  /**< its length */
} cmd_library;

/** The libraries FUNCTION LOAD and FUNCTION RESTORE kept. */
typedef struct cmd_libraries {
    cmd_library *v; /**< n libraries, in load order */
    size_t n;       /**< how many */
    size_t cap;     /**< allocated */
} cmd_libraries;

/** A command queued between MULTI and EXEC (arguments copied). */
typedef struct cmd_queued {
    const cmd_spec *spec; /**< the entry it resolved to at queue time */
    size_t argc;          /**< arguments */
    resp_value *argv;     /**< copies, NUL-terminated bulk strings */
    uint64_t offset;      /**< its stream offset */
} cmd_queued;

/** The applier (see cmd.h). */
struct cmd_applier {
    keyspace *ks;            /**< the keyspace written */
    cmd_options opt;         /**< as given to cmd_applier_create() */
    unsigned db;             /**< the selected database */
    unsigned db_at_begin;    /**< db when the open batch began */
    bool in_multi;           /**< between MULTI and EXEC/DISCARD */
    bool multi_dirty;        /**< a command was refused while queueing:
                                  EXEC answers EXECABORT */
    cmd_queued *queue;       /**< commands queued since MULTI */
    size_t nqueue;           /**< how many */
    size_t queue_cap;        /**< allocated */
    bool exec_failed;        /**< EXEC ran and a queued command failed */
    bool in_exec;            /**< EXEC is running its queue */
    uint64_t *applied;       /**< per table entry, the unknown ones last */
    uint64_t *failed;        /**< per table entry, the unknown ones last */
    uint64_t failures;       /**< every refusal */
    cmd_libraries libs;      /**< FUNCTION libraries */
    char error[640];         /**< cmd_applier_error() */
    char reply[512];         /**< cmd_applier_reply_error() */
};

/**
 * Drop an open MULTI: free its queue, clear the transaction flags.
 * \param a the applier.
 */
void cmd_txn_drop(cmd_applier *a);

/**
 * Free every library of a registry and empty it.
 * \param l the registry.
 */
void cmd_libraries_clear(cmd_libraries *l);

/**
 * The index of a table entry in the dispatcher's flat list (the order
 * cmd_applier_counts() reports in).
 * \param spec an entry returned by cmd_lookup().
 * \return its index, below cmd_spec_count().
 */
size_t cmd_spec_index(const cmd_spec *spec);

/**
 * \return how many entries the tables hold together.
 */
size_t cmd_spec_count(void);

/** The list of family tables (cmd_table.c), ending with NULL. */
extern const cmd_spec *const cmd_tables[];

#endif
