/* repl_private.h - the link's state, shared by repl.c, repl_handshake.c and
 * repl_status.c.
 * Chapter 10.
 *
 * One struct, split by who may touch what.  The configuration is written
 * once by repl_create() and only read afterwards.  The status (what
 * repl_status_get() copies), the connection pointer (so that repl_stop()
 * and repl_drop() can interrupt it) and the condition variable that
 * repl_wait_offset() and repl_wait_state() sleep on are guarded by `mu`.
 * Everything else -- the input, the stream, the applier, the replication
 * ID and offset kept across reconnects -- belongs to the link's thread
 * alone and needs no lock.  Two flags cross threads without the mutex:
 * `stopping` and `drop_req`, atomics that the link's thread polls between
 * steps (the interrupt of the connection wakes it from a blocking read).
 */
#ifndef REPL_PRIVATE_H
#define REPL_PRIVATE_H

#include "repl.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>

/** Families of commands, one per command table (repl_status.c). */
typedef struct repl_families {
    size_t n;                                 /**< entries used */
    repl_family_count f[REPL_MAX_FAMILIES];   /**< the counts */
} repl_families;

/** How a step of the link ended. */
typedef enum repl_step {
    REPL_STEP_OK = 0,   /**< go on */
    REPL_STEP_RETRY,    /**< drop the connection, back off, try again */
    REPL_STEP_FULL,     /**< as RETRY, and ask for a full resync next */
    REPL_STEP_STOP,     /**< stop following (policy STOP or repl_stop()) */
} repl_step;

/** What a PSYNC was answered with. */
typedef enum repl_psync_reply {
    REPL_PSYNC_FULL,      /**< +FULLRESYNC: a snapshot follows */
    REPL_PSYNC_CONTINUE,  /**< +CONTINUE: the stream resumes */
} repl_psync_reply;

/** A replication link (repl.h): configuration, shared status, and the
 *  state only its thread touches. */
struct repl {
    /* ---- configuration: written by repl_create(), then read-only ---- */
    repl_options opt;      /**< the options; strings point to the copies */
    char *strs[8];         /**< the copied strings (freed by destroy) */
    dataset *ds;           /**< the replica's data (NULL when !apply) */

    /* ---- threads ---- */
    pthread_t thread;      /**< the link's thread after repl_start() */
    bool started;          /**< repl_start() created the thread (mu) */
    bool joined;           /**< repl_stop() joined it (mu) */
    atomic_bool stopping;  /**< repl_stop() was called */
    atomic_bool drop_req;  /**< repl_drop() was called */

    /* ---- shared with other threads, under mu ---- */
    pthread_mutex_t mu;    /**< guards what follows */
    pthread_cond_t cv;     /**< broadcast on every status change */
    repl_conn *conn;       /**< the open connection, for interrupts */
    repl_status st;        /**< what repl_status_get() copies */
    int64_t caught_up_ms;  /**< monotonic time the replica last had
                                applied everything received */

    /* ---- the link's thread only ---- */
    repl_input in;         /**< the one input buffer of a connection */
    bool have_in;          /**< in is initialised */
    char replid[41];       /**< the master's ID ("" before the first sync) */
    uint64_t offset;       /**< the offset the data is at */
    uint64_t notified;     /**< offset last told to opt.on_change */
    bool force_full;       /**< next PSYNC asks for a full resync */
    cmd_applier *app;      /**< the applier over the current keyspace */
    repl_stream *stream;   /**< the stream (kept across +CONTINUE) */
    unsigned failures;     /**< consecutive failed attempts */
    uint64_t rng;          /**< the jitter's state */
    int64_t next_ack_ms;   /**< when the next periodic ACK is due */
    int64_t next_reclaim_ms; /**< when dataset_reclaim() runs next */
    int64_t last_rx_ms;    /**< monotonic time of the last byte received */
    uint64_t bytes_base;   /**< bytes received on closed connections */
    uint64_t applied_base; /**< stream counts of destroyed streams */
    uint64_t refused_base; /**< likewise, refused */
    repl_families fam_base;/**< family counts of destroyed appliers */
    int64_t psync_ms;      /**< when the PSYNC of a full sync was sent */
    unsigned cmd_db;       /**< the database of the last command framed
                                (the status's db when not applying) */
    char err[512];         /**< why the current attempt failed */
};

/* ---- repl_status.c ---- */

/** \return the monotonic clock in milliseconds. */
int64_t repl_now_ms(void);

/** \return the wall clock in milliseconds since the epoch. */
int64_t repl_wall_ms(void);

/**
 * Log one line ("repl: " + message) to the options' sink or stderr, when
 * the level is at least the options' log_level.
 * \param r   the link.
 * \param lvl the level.
 * \param fmt printf format of the message, then its arguments.
 */
void repl_log(repl *r, repl_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Record why the current attempt failed, in r->err (nothing else).
 * \param r   the link.
 * \param fmt printf format of the reason, then its arguments.
 */
void repl_fail(repl *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Set the state under the lock and wake the waiters.
 * \param r the link.
 * \param s the new state.
 */
void repl_set_state(repl *r, repl_state s);

/**
 * Copy the link thread's counters (offset, stream counts, families,
 * bytes) into the status under the lock and wake the waiters.
 * \param r the link (its thread).
 */
void repl_publish(repl *r);

/**
 * Add an applier's counts, per family, to fam.
 * \param fam the totals.
 * \param a   the applier.
 */
void repl_families_add_applier(repl_families *fam, const cmd_applier *a);

/**
 * Quote up to 60 bytes of a reply for an error message: printable bytes
 * as they are, others as \\xNN, "..." when cut, in single quotes.
 * \param out   destination, always NUL-terminated.
 * \param outsz its size.
 * \param p     the bytes.
 * \param n     how many.
 */
void repl_quote(char *out, size_t outsz, const char *p, size_t n);

/* ---- repl_handshake.c ---- */

/** Longest reply line the handshake accepts. */
#define REPL_LINE_MAX 4096

/**
 * Read one reply line from the input (filling it as needed), without its
 * CR LF.
 * \param r          the link.
 * \param out        receives the line, NUL-terminated (cut to outsz - 1).
 * \param outsz      its size.
 * \param skip_empty skip bare newlines (the master's keep-alives).
 * \param what       names the reply in error messages ("PSYNC").
 * \return 0, or -1 with r->err set (closed, timeout, stopped).
 */
int repl_read_line(repl *r, char *out, size_t outsz, bool skip_empty,
                   const char *what);

/**
 * PING, AUTH, the REPLCONFs and PSYNC, then the answer to PSYNC.  On
 * +FULLRESYNC the snapshot is loaded (repl_full_sync()) before it returns.
 * \param r the link, connected (r->in is the connection's input).
 * \return REPL_STEP_OK with the stream ready to go on, or why not (reason
 *         in r->err).
 */
repl_step repl_handshake(repl *r);

/* ---- repl_fullsync.c ---- */

/**
 * After +FULLRESYNC id off: receive the snapshot, load it into a fresh
 * keyspace, switch it in with a new applier and stream (or, when not
 * applying, read and drop it), adopt id and off.
 * \param r   the link.
 * \param id  the master's replication ID (40 characters).
 * \param off the offset the stream starts at.
 * \return REPL_STEP_OK, or why not (r->err set; the old copy stays).
 */
repl_step repl_full_sync(repl *r, const char id[41], uint64_t off);

/* ---- repl_follow.c ---- */

/**
 * Follow the stream until the link fails: feed, flush, answer GETACK,
 * publish, ACK, reclaim, read.
 * \param r the link, after a successful handshake.
 * \return why it ended (r->err set).
 */
repl_step repl_follow(repl *r);

/* ---- sending (repl_handshake.c) ---- */

/**
 * Send bytes to the master within the link's timeout.
 * \param r the link.
 * \param p the bytes.
 * \param n how many.
 * \return 0, or -1 with r->err set.
 */
int repl_send(repl *r, const void *p, size_t n);

/**
 * Send `REPLCONF ACK <offset>` with the stream's offset, and schedule the
 * next periodic one.
 * \param r the link.
 * \return 0, or -1 with r->err set.
 */
int repl_send_ack(repl *r);

/**
 * Whether a failed read was the result of repl_stop() or repl_drop(),
 * and if so, put that in r->err instead of the connection's message.
 * \param r the link.
 * \return true when stopped or dropped.
 */
bool repl_interrupted(repl *r);

#endif
