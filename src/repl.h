/* repl.h - the replication link: follow a real Redis master, for good.
 * Chapter 10.
 *
 * A replica is a client of its master that never stops: it connects,
 * introduces itself (PING, AUTH, REPLCONF), asks to continue where it left
 * off (PSYNC <replid> <offset+1>) or, the first time, for everything
 * (PSYNC ? -1), loads the snapshot a full resync sends, and then applies
 * the command stream until the link breaks, when it starts again.  The
 * link is a state machine (repl_state) run by one thread, the only writer
 * of the replica's data:
 *
 *     CONNECTING -> HANDSHAKE -> PSYNC -> (FULLRESYNC) TRANSFER -> STREAMING
 *          ^                        \--- (CONTINUE) -------------/    |
 *          +---------------- BACKOFF <-- any failure, timeout -------+
 *
 * What it keeps across reconnects: the master's replication ID, the
 * offset, and the selected database (a master does not resend SELECT
 * after +CONTINUE).  What it sends: `REPLCONF ACK <offset>` once a second,
 * right after a diskless load (a master streams nothing until it gets
 * one), and in answer to GETACK.  What it tolerates: the newlines a master
 * sends while it prepares a snapshot, -NOMASTERLINK and -LOADING (retried
 * later), a master that restarts (its old ID comes back as replid2, and
 * +CONTINUE carries the new one).  What it does not tolerate: silence
 * longer than the timeout (default 60 s, Redis's repl-timeout), a snapshot
 * that is truncated or fails its checksum, a stream that is not RESP, a
 * command the applier refuses (by default: drop the link and ask for a
 * full resync).  Reconnects back off exponentially, with jitter, so a
 * fleet of replicas does not hammer a master that just came back.
 *
 * A full sync loads into a fresh keyspace while readers read the old copy
 * (dataset.h), then switches them at once.  Protocol facts are from
 * redis/redis src/replication.c (7.0): syncWithMaster(),
 * slaveTryPartialResynchronization(), readSyncBulkPayload(),
 * replicationSendAck().
 *
 * Thread-safety: repl_start() runs the link on its own thread;
 * repl_status_get() and repl_stop() may be called from any thread.
 */
#ifndef REPL_H
#define REPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "repl_conn.h"
#include "repl_stream.h"

/** Where the link is. */
typedef enum repl_state {
    REPL_CONNECTING = 0, /**< opening the connection (TCP, TLS) */
    REPL_HANDSHAKE,      /**< PING, AUTH, REPLCONF */
    REPL_PSYNC,          /**< PSYNC sent, waiting for its answer */
    REPL_TRANSFER,       /**< receiving and loading a snapshot */
    REPL_STREAMING,      /**< applying the command stream (link up) */
    REPL_BACKOFF,        /**< waiting before the next attempt */
    REPL_STOPPED,        /**< stopped (repl_stop(), or policy STOP) */
} repl_state;

/**
 * Name of a state, as INFO's master_link_status and the status line
 * print it.
 * \param s the state.
 * \return "connecting", "handshake", "psync", "transfer", "connected",
 *         "backoff" or "stopped".
 */
const char *repl_state_name(repl_state s);

/** Log levels. */
typedef enum repl_log_level {
    REPL_LOG_DEBUG = 0, /**< every step of the handshake */
    REPL_LOG_INFO,      /**< syncs, reconnects */
    REPL_LOG_WARN,      /**< failures that are retried */
    REPL_LOG_ERROR,     /**< failures that stop the link */
} repl_log_level;

/**
 * A log sink.
 * \param arg   the options' log_arg.
 * \param level the level.
 * \param msg   one line, without a newline.
 */
typedef void repl_log_fn(void *arg, repl_log_level level, const char *msg);

/** Called when readers may see new data (repl_options.on_change). */
typedef void repl_change_fn(void *arg);

/** Options of a link; zero or NULL fields take the defaults named. */
typedef struct repl_options {
    const char *host;          /**< the master (required) */
    int port;                  /**< its port (required) */
    const char *user;          /**< ACL user for AUTH (NULL: `AUTH password`) */
    const char *password;      /**< masterauth (NULL: no AUTH) */
    repl_tls_options tls;      /**< TLS to the master (off by default) */
    int listening_port;        /**< REPLCONF listening-port (0: the
                                    connection's local port) */
    int connect_timeout_ms;    /**< default 5000 */
    int timeout_ms;            /**< silence that drops the link (default
                                    60000, repl-timeout) */
    int ack_period_ms;         /**< REPLCONF ACK period (default 1000) */
    int backoff_min_ms;        /**< first retry delay (default 100) */
    int backoff_max_ms;        /**< longest retry delay (default 5000) */
    repl_refused_policy on_refused; /**< default REPL_REFUSED_RESYNC */
    bool apply;                /**< false: follow without applying (the
                                    tail tool: no dataset needed); true is
                                    set by repl_options_default() */
    size_t read_chunk;         /**< most bytes per read (0: 64 KiB; tests
                                    use 1) */
    repl_command_fn *on_command; /**< each command framed (may be NULL) */
    void *command_arg;         /**< its arg */
    cmd_publish_fn *on_publish; /**< each PUBLISH applied (chapter 11) */
    void *publish_arg;         /**< its arg */
    repl_change_fn *on_change; /**< after each publication that moved the
                                    offset and after each switch to a new
                                    snapshot, on the link thread; it must
                                    not block (chapter 11 wakes the clients
                                    blocked in XREAD with it).  May be
                                    NULL. */
    void *change_arg;          /**< its arg */
    repl_log_fn *log;          /**< NULL: lines on stderr at >= log_level */
    void *log_arg;             /**< its arg */
    repl_log_level log_level;  /**< default REPL_LOG_INFO */
    uint64_t seed;             /**< jitter's random seed (0: from the
                                    clock) */
} repl_options;

/**
 * Default options: timeouts, periods and policies as documented above,
 * apply true, host NULL and port 0 (the caller sets them).
 * \return the options.
 */
repl_options repl_options_default(void);

/** Per-family counts of applied commands (cmd_applier_counts()). */
typedef struct repl_family_count {
    const char *family; /**< "string", "list", "hash", "set", "zset",
                             "stream", "keys", "db", "server", ... */
    uint64_t applied;   /**< commands applied */
    uint64_t refused;   /**< commands refused */
} repl_family_count;

/** Most families a status reports. */
#define REPL_MAX_FAMILIES 24

/** What a link reports (a snapshot of it, taken under its lock). */
typedef struct repl_status {
    repl_state state;            /**< where the link is */
    char master_host[256];       /**< as configured */
    int master_port;             /**< as configured */
    bool tls;                    /**< the link is TLS-protected */
    char replid[41];             /**< the master's replication ID ("" until
                                      the first PSYNC answer) */
    uint64_t offset;             /**< the replica's offset (ACKed) */
    uint64_t master_offset;      /**< the highest offset the master is
                                      known to have reached: the stream's
                                      received bytes (a lower bound) */
    uint64_t lag_bytes;          /**< master_offset - offset */
    double lag_seconds;          /**< seconds since the replica last had
                                      applied everything received (0 when
                                      caught up) */
    bool loaded;                 /**< a full sync has completed */
    uint64_t full_syncs;         /**< full resyncs completed */
    uint64_t partial_syncs;      /**< +CONTINUE accepted */
    uint64_t sync_failures;      /**< attempts that failed before STREAMING */
    uint64_t reconnects;         /**< links dropped and retried */
    uint64_t commands_applied;   /**< stream commands applied */
    uint64_t commands_refused;   /**< refused by the applier */
    uint64_t bytes_received;     /**< every byte from the master, snapshots
                                      included, over all connections */
    uint64_t snapshot_bytes;     /**< bytes of the last snapshot */
    uint64_t snapshot_keys;      /**< keys it loaded */
    double last_sync_seconds;    /**< how long the last full sync took,
                                      PSYNC to switch */
    int64_t last_io_unix_ms;     /**< wall clock of the last byte received
                                      (0: never) */
    int64_t last_interaction_s_ago; /**< seconds since then (-1: never) */
    unsigned db;                 /**< the database the stream selected */
    char last_error[512];        /**< the last failure ("" if none) */
    size_t nfamilies;            /**< entries used in families */
    repl_family_count families[REPL_MAX_FAMILIES]; /**< per family */
} repl_status;

/** A replication link. */
typedef struct repl repl;

/**
 * Create a link (not yet started).
 * \param opt the options (copied, strings too).
 * \param ds  the dataset it writes (not owned; must outlive the link);
 *            NULL only when opt->apply is false.
 * \param err receives the reason on failure (a missing host, a port out
 *            of range, TLS files that cannot be read).
 * \param errsz size of err.
 * \return the link, or NULL.
 */
repl *repl_create(const repl_options *opt, dataset *ds, char *err,
                  size_t errsz);

/**
 * Start following the master on a new thread.
 * \param r the link, not started.
 * \return 0, or -1 with errno from pthread_create().
 */
int repl_start(repl *r);

/**
 * Run the link on the calling thread until repl_stop() (from another
 * thread or a signal handler's flag) or policy STOP.
 * \param r the link, not started.
 * \return 0 when stopped by repl_stop(), -1 when the policy stopped it
 *         (reason in the status's last_error).
 */
int repl_run(repl *r);

/**
 * Stop the link: wakes its thread from any wait, closes the connection,
 * and (after repl_start()) joins the thread.  Safe to call twice.
 * \param r the link.
 */
void repl_stop(repl *r);

/**
 * Destroy a stopped link.
 * \param r the link; NULL does nothing.
 */
void repl_destroy(repl *r);

/**
 * Read the link's status.
 * \param r   the link.
 * \param out receives a consistent copy.
 * Thread-safety: any thread.
 */
void repl_status_get(repl *r, repl_status *out);

/**
 * Wait until the replica's offset reaches at least `offset` (tests, the
 * consistency checker) or the timeout passes.  Before the first full sync
 * has completed no offset counts as reached, not even 0 (the
 * master_repl_offset of a master that never had a replica).  Only
 * offsets are compared, not histories: a master that restarted from an
 * older snapshot has lost writes, and a replica that still holds them is
 * ahead of it until the full resync that follows, so a caller that
 * caused such a restart waits for repl_status's full_syncs to grow first.
 * \param r          the link.
 * \param offset     the master's offset to reach (its master_repl_offset).
 * \param timeout_ms the most time to wait.
 * \return 0 when reached (the data published), -1 on timeout.
 * Thread-safety: any thread.
 */
int repl_wait_offset(repl *r, uint64_t offset, int timeout_ms);

/**
 * Wait until the link's state is `state` (e.g. REPL_STREAMING) or the
 * timeout passes.
 * \param r          the link.
 * \param state      the state.
 * \param timeout_ms the most time to wait.
 * \return 0, or -1 on timeout.
 */
int repl_wait_state(repl *r, repl_state state, int timeout_ms);

/**
 * Ask the link to drop its connection now, as if it had failed, and
 * reconnect (tests of the partial resync path, without the master's help).
 * \param r the link.
 */
void repl_drop(repl *r);

#endif
