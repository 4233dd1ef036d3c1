/* load.h - the load test's parts: requests, the read-command generator,
 * latency histograms, the dataset and its writer, pipelined connections.
 * Chapter 12.
 *
 * build/load-test drives a real redis-server master and build/replica
 * following it, all at once: reader threads pipelining every read command
 * the replica serves, writers pipelining writes of every type into the
 * master, and a syncer forcing full syncs.  Each part is one file of
 * tests/load/; this header is what they share.  Nothing here is shared
 * between threads except where a comment says so: every reader thread
 * keeps its own counters and histograms, merged once the threads have
 * been joined (pthread_join() orders their writes before the merge).
 */
#ifndef LOAD_H
#define LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- one request ------------------------------------------------------- */

/** Most arguments one generated request has. */
#define LOAD_MAX_ARGS 40

/** Error kinds a reply may carry (load_err_kind()). */
typedef enum load_err {
    LOAD_ERR_WRONGTYPE,  /**< "WRONGTYPE ..." */
    LOAD_ERR_LCSTYPE,    /**< LCS's "ERR The specified keys must contain
                              string values" (its WRONGTYPE) */
    LOAD_ERR_LOADING,    /**< "LOADING ..." (only before the first sync,
                              which the readers wait for: never allowed) */
    LOAD_ERR_NOSUCHKEY,  /**< XINFO's "ERR no such key" */
    LOAD_ERR_NOGROUP,    /**< "NOGROUP ..." (XPENDING, XINFO CONSUMERS) */
    LOAD_ERR_NOMEMBER,   /**< GEO FROMMEMBER: "ERR could not decode
                              requested zset member" */
    LOAD_ERR_LFU,        /**< OBJECT FREQ: "ERR An LFU maxmemory policy
                              is not selected..." */
    LOAD_ERR_DUMPSTREAM, /**< DUMP of a stream: "ERR DUMP of a stream
                              value is not supported by this replica" */
    LOAD_ERR_OTHER,      /**< anything else: always a failure */
    LOAD_ERR_COUNT
} load_err;

/**
 * The name of an error kind, for the report.
 * \param k the kind.
 * \return a static string ("?" for a value out of range).
 */
const char *load_err_name(load_err k);

/**
 * The kind of an error reply, by its opening words.
 * \param text the error's text (after '-' or RESP3's "!len\r\n").
 * \param n    its length (without the CRLF).
 * \return the kind; LOAD_ERR_OTHER when no known prefix matches.
 */
load_err load_err_kind(const char *text, size_t n);

/** A request: arguments in one buffer, and the errors it may get. */
typedef struct load_req {
    int argc;
    const char *argv[LOAD_MAX_ARGS];
    size_t lens[LOAD_MAX_ARGS];
    char buf[2048];       /**< the arguments' bytes */
    size_t used;          /**< of buf */
    unsigned allowed;     /**< bit (1u << load_err) per error allowed */
    int cmd;              /**< index in load_read_cmds[] (readers) */
} load_req;

/** Start an empty request. \param r the request. */
void load_req_init(load_req *r);

/**
 * Append one argument by printf format (truncated to what buf holds; the
 * generator's arguments are short).
 * \param r the request.
 * \param fmt printf format.
 */
void load_arg(load_req *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** A byte buffer that grows (malloc; aborts the program on no memory). */
typedef struct load_buf {
    char *p;
    size_t len, cap;
} load_buf;

/**
 * Append bytes (grows the buffer; aborts the program when memory runs
 * out, which a load test cannot recover from).
 * \param b the buffer.
 * \param s the bytes.
 * \param n their count.
 */
void load_buf_put(load_buf *b, const void *s, size_t n);

/**
 * Append a request as a RESP array of bulk strings.
 * \param b the buffer.
 * \param r the request.
 */
void load_buf_cmd(load_buf *b, const load_req *r);

/** Free a buffer's bytes (it is empty and reusable after). \param b it. */
void load_buf_free(load_buf *b);

/* ---- random numbers (xorshift64*, one state per thread) ---------------- */

/**
 * The next random number (xorshift64*).
 * \param s the caller's state (never 0).
 * \return 64 random bits.
 */
uint64_t load_rand(uint64_t *s);

/**
 * A random number below n.
 * \param s the caller's state.
 * \param n the bound (> 0).
 * \return a number in [0, n).
 */
uint64_t load_below(uint64_t *s, uint64_t n);

/* ---- the dataset: keys of every type (load_dataset.c) ------------------ */

/** Kinds of key the dataset has. */
typedef enum load_kind {
    LK_STR, LK_INT, LK_HLL, LK_BITS, LK_HASH, LK_LIST, LK_SET, LK_ISET,
    LK_ZSET, LK_GEO, LK_STREAM, LK_COUNT
} load_kind;

/** The dataset's size. */
typedef struct load_shape {
    int keys;   /**< keys per kind (the first `large` of them big) */
    int large;  /**< how many of each kind use the big encoding */
} load_shape;

/** The Redis type of a kind (0 string, 1 hash, 2 list, 3 set, 4 zset,
 *  5 stream): a key of another type answers WRONGTYPE. */
int load_kind_type(load_kind k);

/** A kind's key name prefix ("str", "hash", ...). */
const char *load_kind_name(load_kind k);

/** Elements a key of kind k, index i holds at most (members, fields). */
int load_kind_size(const load_shape *sh, load_kind k, int i);

/**
 * Fill the master with every kind's keys (pipelined).
 * \param port the master's port.
 * \param sh   the shape.
 * \param err  receives why on failure.
 * \param errsz its size.
 * \return 0, or -1.
 */
int load_dataset_fill(int port, const load_shape *sh, char *err,
                      size_t errsz);

/**
 * Random writes to the dataset, appended to b as RESP: one command, or a
 * few that belong together (a MULTI/EXEC, a remove and its re-add, a
 * SELECT there and back).  Every key keeps its kind and is never emptied;
 * "vol:N" strings come, expire and go.
 * \param b  receives the commands.
 * \param sh the shape.
 * \param rng the caller's state.
 * \param pushes incremented by the messages one subscriber of SUBSCRIBE
 *        ch:0 ch:1 and PSUBSCRIBE ch:* receives for the PUBLISHes added.
 * \return the number of commands appended (replies to read).
 */
int load_write_gen(load_buf *b, const load_shape *sh, uint64_t *rng,
                   uint64_t *pushes);

/* ---- the read commands (load_gen.c) ------------------------------------ */

/** A generator of well-formed calls of one read command. */
typedef void load_gen_fn(load_req *r, const load_shape *sh, uint64_t *rng);

/** One read command the readers send. */
typedef struct load_read_cmd {
    const char *name;   /**< as the server's tables spell it: "get",
                             "object|encoding" */
    const char *group;  /**< report group */
    load_gen_fn *gen;
    const char *resp2;  /**< the RESP2 type bytes a reply other than an
                             error may start with ("$" for GET; ":$"
                             where nil is possible) */
} load_read_cmd;

extern const load_read_cmd load_read_cmds[]; /**< ended by name NULL */
extern const size_t load_read_ncmds;         /**< entries before NULL */

/**
 * Check that every command of the server's tables flagged SERVER_CMD_READ
 * (top level or subcommand) has a generator here.
 * \param err receives the missing names.
 * \param errsz its size.
 * \return the number of read commands in the tables, or -1 if one is
 *         missing.
 */
int load_gen_check_coverage(char *err, size_t errsz);

/* ---- latency histograms (load_hist.c) ---------------------------------- */

/** Buckets: 16 per power of two of microseconds, up to 2^27 us. */
#define LOAD_HIST_BUCKETS (28 * 16)

/** Log-bucketed latency counts (microseconds), HDR-style: 16 sub-buckets
 *  per power of two, so a percentile is within about 6%. */
typedef struct load_hist {
    uint64_t count;
    uint64_t max_us;
    uint64_t b[LOAD_HIST_BUCKETS];
} load_hist;

/**
 * Record one latency.
 * \param h  the histogram (the caller's thread's own).
 * \param us the latency in microseconds (past 2^31 us: the last bucket).
 */
void load_hist_add(load_hist *h, uint64_t us);

/**
 * Add every count of one histogram into another.
 * \param dst receives the counts.
 * \param src is unchanged.
 */
void load_hist_merge(load_hist *dst, const load_hist *src);

/**
 * The latency at a quantile.
 * \param h the histogram.
 * \param q the quantile, 0..1 (0.99 for p99).
 * \return the upper edge of the bucket holding it (never above the
 *         maximum seen), the maximum for q >= 1, 0 when h is empty.
 */
uint64_t load_hist_quantile(const load_hist *h, double q);

/* ---- a pipelined connection (load_conn.c) ------------------------------ */

/** A blocking connection with a receive buffer. */
typedef struct load_conn {
    int fd;
    load_buf in;
    size_t off;       /**< bytes of in already consumed */
    int timeout_ms;   /**< how long load_conn_reply() waits */
    char err[256];
} load_conn;

/**
 * Connect to 127.0.0.1:port (TCP_NODELAY).
 * \param c          the connection to set up.
 * \param port       the port.
 * \param timeout_ms how long load_conn_reply() waits for a reply.
 * \return 0, or -1 with c->err set (nothing left open).
 */
int load_conn_open(load_conn *c, int port, int timeout_ms);

/** Close and free (safe on a closed connection). \param c it. */
void load_conn_close(load_conn *c);

/**
 * Send every byte of a buffer (blocking; MSG_NOSIGNAL).
 * \param c the connection.
 * \param b the bytes.
 * \return 0, or -1 with c->err set.
 */
int load_conn_send(load_conn *c, const load_buf *b);

/**
 * The next complete reply (waiting up to the timeout).
 * \param c the connection.
 * \param reply receives a pointer into c's buffer (valid until the next
 *              call).
 * \param n receives its length.
 * \return 1, or -1 on timeout, close or malformed bytes (c->err says
 *         which; "malformed" starts the text for the last).
 */
int load_conn_reply(load_conn *c, const char **reply, size_t *n);

/**
 * Non-blocking: read what is there and return the next complete reply.
 * \param c     the connection.
 * \param reply as load_conn_reply().
 * \param n     as load_conn_reply().
 * \return 1 a reply, 0 need more, -1 closed or malformed (c->err).
 */
int load_conn_try_reply(load_conn *c, const char **reply, size_t *n);

/**
 * One command and its reply as a NUL-terminated malloc'd copy (for the
 * monitor's INFO and CLIENT KILL calls).
 * \param c    the connection (no replies pending).
 * \param arg0 the first argument, then the others, then NULL.
 * \return the copy (the caller frees it), or NULL (c->err).
 */
char *load_conn_call(load_conn *c, const char *arg0, ...);

/**
 * A number from an INFO text.
 * \param info the text.
 * \param name the field ("master_repl_offset").
 * \return the number after "\nname:", or -1 when the field is absent.
 */
long long load_info_num(const char *info, const char *name);

/** \return monotonic microseconds (CLOCK_MONOTONIC). */
uint64_t load_now_us(void);

/* ---- the run: readers and writers (load_readers.c, load_writers.c) ----- */

/** Most report groups (load_read_cmds[].group values). */
#define LOAD_MAX_GROUPS 16
/** Most failures a thread keeps the text of. */
#define LOAD_MAX_FAILS 8

/** What one reader thread counted (its own; merged after the join). */
typedef struct load_reader_stats {
    uint64_t *calls;                 /**< per load_read_cmds[] entry */
    uint64_t (*errs)[LOAD_ERR_COUNT];/**< per entry and error kind */
    load_hist hist[LOAD_MAX_GROUPS]; /**< latency per group */
    uint64_t malformed;              /**< replies that were not RESP */
    uint64_t unexpected;             /**< errors no pick explains */
    uint64_t wrong_shape;            /**< RESP2 replies of a type the
                                          command never answers */
    uint64_t conn_failures;          /**< closed or silent connections */
    uint64_t churned;                /**< connections closed with a batch
                                          unanswered, on purpose */
    int nfails;
    char fails[LOAD_MAX_FAILS][400]; /**< the first failures, as text */
} load_reader_stats;

/** What the threads share: set before they start, read-only after,
 *  except `stop` and `failed`. */
typedef struct load_run {
    int port;              /**< the replica's port (readers) */
    int master_port;       /**< the master's (writers) */
    load_shape shape;
    int conns_per_thread;
    int pipeline;          /**< requests in flight per reader connection */
    int wpipeline;         /**< commands a writer batch */
    int timeout_ms;        /**< a reply later than this is a failure */
    int churn_pct;         /**< % of batches after which a reader hangs
                                up without reading and reconnects */
    _Atomic int stop;      /**< set once by main: threads finish */
    _Atomic int failed;    /**< set by any thread on a failure */
    uint64_t seed;
} load_run;

/** A reader thread's argument and result. */
typedef struct load_reader {
    load_run *run;
    int id;
    load_reader_stats st;
} load_reader;

/** \return the number of report groups (distinct load_read_cmds[].group
 *  values, in first-appearance order); thread-safe (pthread_once). */
int load_group_count(void);
/** \param g a group index. \return its name ("?" out of range). */
const char *load_group_name(int g);
/** \param cmd an index of load_read_cmds[]. \return its group's index. */
int load_group_of(int cmd);

/**
 * Set up a reader: its counters allocated (aborts on no memory).
 * \param rd  the reader.
 * \param run what the threads share.
 * \param id  its number (seeds its random choices; odd ids start RESP3).
 */
void load_reader_init(load_reader *rd, load_run *run, int id);
/** Free a reader's counters. \param rd the reader, joined. */
void load_reader_free(load_reader *rd);
/**
 * The reader thread: runs until run->stop, then finishes its batches.
 * \param arg a load_reader, owned by the thread until it is joined.
 * \return NULL.
 */
void *load_reader_main(void *arg);

/** A writer thread's argument and result. */
typedef struct load_writer {
    load_run *run;
    int id;
    uint64_t commands;     /**< commands sent and answered */
    uint64_t allowed_errs; /**< BUSYGROUP / NOGROUP (groups raced) */
    uint64_t bad_errs;     /**< any other error reply */
    uint64_t pushes;       /**< messages each subscriber should receive */
    char fail[400];        /**< the first failure */
} load_writer;

/** The writer thread (pthread start routine; arg is a load_writer). */
void *load_writer_main(void *arg);

/** The subscriber thread's argument and result (load_pubsub.c). */
typedef struct load_subscriber {
    load_run *run;
    _Atomic uint64_t messages; /**< messages received (both connections);
                                    main polls it while waiting for the
                                    last ones (relaxed: a count) */
    _Atomic int stop;      /**< set by main once the replica caught up */
    _Atomic int ready;     /**< set once both connections subscribed */
    char fail[400];        /**< the failure, if any */
} load_subscriber;

/** The subscriber thread (arg is a load_subscriber). */
void *load_subscriber_main(void *arg);

/* ---- the replica process (load_replica.c) ------------------------------ */

/** build/replica started as a child process. */
typedef struct load_replica {
    int pid;          /**< 0 when not running */
    int port;
    char dir[256];    /**< temporary directory of its log */
    char log[300];    /**< its stdout and stderr */
    int status;       /**< waitpid() status once reaped */
    bool reaped;
} load_replica;

/**
 * Start the replica program following 127.0.0.1:master_port on a free
 * port, logging to a file, with TSAN_OPTIONS="halt_on_error=0
 * exitcode=66" (so a TSan build reports every race and exits 66), and
 * wait until it has loaded its first sync (INFO: master_link_status:up).
 * store: --store NAME, or NULL for the program's default.
 * \return 0, or -1 with err set (the log's tail included).
 */
int load_replica_start(load_replica *rp, const char *path, int master_port,
                       int threads, const char *store, char *err,
                       size_t errsz);

/** Has the replica exited (reaps it)? \return true when it is gone. */
bool load_replica_gone(load_replica *rp);

/**
 * SIGTERM the replica and wait for it (SIGKILL after timeout_s).
 * \return its exit code (0 clean, 66 TSan reported), 128+signal when a
 *         signal ended it, -1 when it had to be killed.
 */
int load_replica_stop(load_replica *rp, int timeout_s);

/** Count the log's lines containing `what`. */
int load_replica_log_count(const load_replica *rp, const char *what);

/** Print the log's lines containing `what` (at most max) to stdout. */
void load_replica_log_print(const load_replica *rp, const char *what, int max);

/** Remove the temporary directory. */
void load_replica_cleanup(load_replica *rp);

#endif
