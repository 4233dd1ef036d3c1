/* server_private.h - the server core's structures: the server, its loops, a client.
 * Chapter 11.
 *
 * Three layers, one file each: server_loop.c runs the event loops (one
 * thread, one epoll set, one dataset_reader each), server_client.c turns a
 * connection's bytes into commands and its replies back into bytes, and
 * server_exec.c runs one command through Redis's checks.  They share the
 * structures below and nothing else reaches into them (handlers see a
 * server_ctx; INFO sees server_stats.h).
 *
 * Ownership.  A client belongs to the loop that accepted it and only that
 * loop's thread reads or writes its buffers.  Another thread sees a client
 * only through its loop's `lock`, which guards the loop's client list and
 * each client's `name`, and through the fields declared _Atomic below
 * (what CLIENT LIST shows, the kill request), which the owner updates with
 * relaxed stores: each is a number shown to a human, exact at some instant,
 * and nothing is decided from two of them together.  A client is freed
 * only after it left the list under the lock, so a thread that found it
 * under the lock may use it until it unlocks.
 */
#ifndef SERVER_PRIVATE_H
#define SERVER_PRIVATE_H

#include "dataset.h"
#include "reply.h"
#include "resp.h"
#include "server.h"
#include "server_cmd.h"
#include "server_stats.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server_loop;
struct server_channels;
struct server_tls;
struct server_tls_conn;

/** Longest inline command, and longest header line, as Redis's
 *  PROTO_INLINE_MAX_SIZE. */
#define SERVER_INLINE_MAX (64 * 1024)
/** Before AUTH a command may have at most this many arguments... */
#define SERVER_UNAUTH_MAX_ARGS 10
/** ...of at most this many bytes each (redis/redis src/networking.c). */
#define SERVER_UNAUTH_MAX_BULK 16384
/** Timer period: Redis's default hz 10. */
#define SERVER_TICK_MS 100
/** Slots of a loop's command statistics (every read, write and
 *  subcommand name fits with room to spare). */
#define SERVER_CMDSTAT_SLOTS 1024

/** One command's counters on one loop (written by the loop's thread,
 *  read by INFO on any). */
typedef struct server_cmdslot {
    _Atomic(int) used;        /**< 1 once name is set (release) */
    char name[64];            /**< "get", "client|list" */
    _Atomic(uint64_t) calls;  /**< runs that replied */
    _Atomic(uint64_t) usec;   /**< time in them */
    _Atomic(uint64_t) rejected; /**< refused before running */
    _Atomic(uint64_t) failed; /**< replied with an error */
} server_cmdslot;

/** A message queued for a loop by another thread (a Pub/Sub delivery). */
typedef struct server_mail {
    struct server_mail *next; /**< queue order */
    uint64_t client_id;       /**< the recipient */
    size_t len;               /**< bytes in data: one whole RESP2 reply
                                   (RESP3 clients get it as a push) */
    int kind;                 /**< SERVER_MAIL_* */
    size_t clen;              /**< channel length (data[0..clen)) */
    size_t plen;              /**< pattern length (after the channel);
                                   0 for a plain message */
    char data[];              /**< channel, pattern, message */
} server_mail;

/** server_mail.kind. */
enum { SERVER_MAIL_MESSAGE = 0, SERVER_MAIL_PMESSAGE = 1 };

/** A connection. */
struct server_client {
    struct server_loop *loop;  /**< the owner */
    struct server_client *prev;  /**< the loop's list: older */
    struct server_client *next;  /**< newer */
    struct server_client *bprev; /**< the loop's blocked list */
    struct server_client *bnext; /**< (also: a list of released clients) */
    uint64_t id;               /**< CLIENT ID: unique, from 1 */
    int fd;                    /**< the socket */
    struct server_tls_conn *tls; /**< TLS state, NULL for plain TCP */
    char addr[INET6_ADDRSTRLEN + 8];  /**< "ip:port" of the peer */
    char laddr[INET6_ADDRSTRLEN + 8]; /**< "ip:port" of our end */
    char *name;                /**< CLIENT SETNAME (guarded by loop->lock) */
    int64_t ctime_ms;          /**< connected at */
    _Atomic(int64_t) last_ms;  /**< last command (idle) */

    /* input */
    char *in;                  /**< bytes read, not yet given to a parser */
    size_t in_len;             /**< bytes in `in` */
    size_t in_pos;             /**< in[in_pos..in_len) are unparsed */
    size_t in_cap;             /**< allocated size of `in` */
    resp_parser parser;        /**< the multibulk being assembled */
    bool parsing;              /**< the parser holds half a command */

    /* output */
    reply_buf out;             /**< replies not yet sent: out.data
                                    [out_pos..out.len) */
    size_t out_pos;            /**< bytes of out already written */
    bool want_write;           /**< EPOLLOUT is registered */
    bool tls_handshaking;      /**< TLS: the handshake is not done */
    bool tls_hs_out;           /**< TLS: the handshake waits for writable */
    bool tls_read_out;         /**< TLS: a read waits for writable */
    bool tls_write_in;         /**< TLS: a write waits for readable */

    /* connection state */
    bool authed;               /**< AUTH done, or no password needed */
    bool close_after_reply;    /**< QUIT, protocol error */
    bool closing;              /**< being torn down */
    unsigned db;               /**< SELECT */
    _Atomic(unsigned) db_shown; /**< db, for CLIENT LIST */
    _Atomic(unsigned) subs;    /**< channels subscribed */
    _Atomic(unsigned) psubs;   /**< patterns subscribed */
    _Atomic(bool) kill;        /**< CLIENT KILL from any thread */
    _Atomic(const char *) lastcmd; /**< CLIENT LIST cmd= (a stats slot's
                                   name: never freed while the server
                                   lives) */
    _Atomic(uint64_t) qbuf_shown; /**< unparsed input bytes */
    _Atomic(uint64_t) obl_shown;  /**< unsent output bytes */
    _Atomic(int) proto_shown;     /**< resp= */
    _Atomic(bool) blocked_shown;  /**< flags b */
    bool in_registry;          /**< may be in the Pub/Sub registry */

    /* blocking (server_block.c) */
    bool blocked;              /**< parked */
    bool block_req;            /**< the handler just called server_block() */
    int64_t deadline_ms;       /**< 0: none */
    size_t bargc;              /**< the command to re-run */
    resp_value *bargv;         /**< owned copy */
    size_t bnext_argc;         /**< server_block()'s replacement arguments */
    resp_value *bnext_argv;    /**< owned copy, installed after the run */
    const server_command *bcmd; /**< its entry */
    server_cmdslot *bslot;     /**< its statistics */
};

/** Per-loop counters (the owner writes; INFO sums them). */
typedef struct server_loop_stats {
    _Atomic(uint64_t) commands;      /**< commands run */
    _Atomic(uint64_t) errors;        /**< error replies */
    _Atomic(uint64_t) net_in;        /**< bytes read */
    _Atomic(uint64_t) net_out;       /**< bytes written */
    _Atomic(uint64_t) hits;          /**< keyspace hits */
    _Atomic(uint64_t) misses;        /**< keyspace misses */
    _Atomic(uint64_t) blocked;       /**< clients parked now */
    _Atomic(uint64_t) max_out;       /**< largest output at the last tick */
    _Atomic(uint64_t) max_in;        /**< largest input at the last tick */
    _Atomic(uint64_t) messages;      /**< Pub/Sub messages delivered */
} server_loop_stats;

/** One event loop. */
typedef struct server_loop {
    struct server *srv;        /**< the server */
    unsigned idx;              /**< 0 .. threads-1 */
    pthread_t thread;          /**< its thread */
    bool started;              /**< thread created */
    bool polled;               /**< driven by server_loop_poll() instead */
    int epfd;                  /**< epoll set */
    int wakefd;                /**< eventfd: mail, kills, changes */
    int timerfd;               /**< SERVER_TICK_MS ticks */
    dataset_reader *reader;    /**< opened on the loop's thread */
    uint64_t rng;              /**< server_rand() state */
    uint64_t change_seen;      /**< server->changes when blocked clients
                                    last ran */
    unsigned ticks;            /**< timer ticks so far */
    pthread_mutex_t lock;      /**< guards clients, nclients, names, mail */
    server_client *clients;    /**< every connection of this loop, oldest
                                    first */
    server_client *clients_tail; /**< the newest */
    server_client *blocked;    /**< the blocked ones */
    size_t nclients;           /**< length of clients */
    server_mail *mail_head;    /**< deliveries from other threads */
    server_mail *mail_tail;    /**< the newest */
    _Atomic(bool) kill_pending; /**< some client's kill flag is set */
    server_loop_stats st;      /**< counters */
    server_cmdslot *cmdstats;  /**< SERVER_CMDSTAT_SLOTS slots */
} server_loop;

/** The server. */
struct server {
    server_options opt;        /**< copies (strings owned) */
    char *bind;                /**< copy of opt.bind (owned) */
    char *requirepass;         /**< copy of opt.requirepass (owned) */
    char *config_file;         /**< copy of opt.config_file (owned) */
    char *store;               /**< copy of opt.store (owned) */
    char *tls_cert;            /**< copy of opt.tls.cert_file (owned) */
    char *tls_key;             /**< copy of opt.tls.key_file (owned) */
    char *tls_ca_file;         /**< copy of opt.tls.ca_file (owned) */
    char *tls_ca_dir;          /**< copy of opt.tls.ca_dir (owned) */
    dataset *ds;               /**< what it reads */
    repl *link;                /**< for INFO, may be NULL */
    unsigned databases;        /**< per keyspace */
    int tcp_fd;                /**< listening socket, -1: none */
    int tcp_port;              /**< its port */
    int tls_fd;                /**< TLS listening socket, -1: none */
    int tls_port;              /**< its port */
    struct server_tls *tls;    /**< the TLS context, NULL: none */
    struct server_channels *channels; /**< Pub/Sub registry */
    int stopfd;                /**< eventfd: written once to stop; never
                                    read, so it stays readable in every
                                    loop's epoll set */
    unsigned nloops;           /**< threads */
    server_loop *loops;        /**< nloops loops */
    bool started;              /**< server_start() succeeded */
    bool waited;               /**< server_wait() joined */
    _Atomic(uint64_t) next_id; /**< the next client ID */
    _Atomic(uint64_t) connected; /**< clients connected, all loops */
    _Atomic(uint64_t) total_conns; /**< accepted */
    _Atomic(uint64_t) rejected_conns; /**< refused */
    _Atomic(uint64_t) output_kills; /**< closed over an output limit */
    _Atomic(uint64_t) changes; /**< server_notify_change() calls */
    char run_id[41];           /**< random, fixed at create */
    int64_t start_ms;          /**< Unix ms at create */
};

/* ---- server.c ------------------------------------------------------------ */

/**
 * Log a line through the options' sink, if level is at least log_level.
 * \param s     the server.
 * \param level its level.
 * \param fmt   printf format.
 */
void server_logf(struct server *s, server_log_level level, const char *fmt,
                 ...) __attribute__((format(printf, 3, 4)));

/**
 * The statistics slot for a command name on a loop, created on first use.
 * \param l    the loop (its own thread).
 * \param name the name ("get", "client|list").
 * \return the slot, or NULL when the table is full.
 */
server_cmdslot *server_cmdslot_get(server_loop *l, const char *name);

/**
 * Add to a counter that only the calling thread writes: a relaxed load and
 * a relaxed store (no read-modify-write needed with one writer; readers
 * see some recent value, which is all a statistic promises).
 * \param c the counter.
 * \param n how much.
 */
static inline void server_stat_add(_Atomic(uint64_t) *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed)
                          + n, memory_order_relaxed);
}

/**
 * Is this peer address a loopback one (protected mode lets it in)?  As
 * Redis 7.0: "127.0.0.1" and "::1" exactly... widened to 127.0.0.0/8 and
 * IPv4-mapped loopback, which are the same machine.
 * \param sa the peer address.
 * \return true for loopback.
 */
bool server_addr_is_loopback(const struct sockaddr_storage *sa);

/* ---- server_loop.c ------------------------------------------------------- */

/**
 * Create a loop's descriptors (not its thread).
 * \param s   the server.
 * \param l   the loop (zeroed).
 * \param idx its index.
 * \return 0, or -1 with errno.
 */
int server_loop_init(struct server *s, server_loop *l, unsigned idx);

/**
 * Start a loop's thread.  \param l the loop.  \return 0, or an errno.
 */
int server_loop_start(server_loop *l);

/**
 * Join a loop's thread (after a stop request) and free what it holds.
 * \param l the loop.
 */
void server_loop_join(server_loop *l);

/**
 * Run one round of a loop on the calling thread instead of its own: wait
 * up to timeout_ms for events, then accept, read, run, write, deliver
 * mail and tick exactly as the loop's thread does.  For harnesses that
 * drive the real input path single-threaded and deterministically (the
 * fuzzer tests/util/fuzz_harness_serve.c); the server must not have been
 * started (server_start()), and one thread polls a loop.  The first call
 * opens the loop's dataset reader on the calling thread.
 * \param l          the loop.
 * \param timeout_ms the longest wait (0: do not wait; -1: until an event).
 * \return the number of events handled (0: none came in time), or -1 when
 *         the loop would stop (server_request_stop(), or epoll failed).
 */
int server_loop_poll(server_loop *l, int timeout_ms);

/**
 * End a loop driven by server_loop_poll(): flush and close its clients,
 * drop its mail, close its reader (what the loop's thread does when it
 * stops).  Call before server_destroy(); nothing happens to a loop never
 * polled.
 * \param l the loop.
 */
void server_loop_poll_end(server_loop *l);

/**
 * Free a loop's descriptors (after join, or never started).
 * \param l the loop.
 */
void server_loop_free(server_loop *l);

/**
 * Wake a loop (eventfd write; never blocks).  \param l the loop.
 */
void server_loop_wake(server_loop *l);

/**
 * Queue a message for a loop and wake it.  Takes ownership of m.
 * \param l the loop.
 * \param m the message (xmalloc'd).
 */
void server_loop_post(server_loop *l, server_mail *m);

/* ---- server_client.c (and _input.c, _output.c, server_client_cmds.c) --- */

/**
 * Take over an accepted socket on this loop: set it up, check maxclients
 * and protected mode (answering the refusal and closing), register it.
 * \param l    the loop (its thread).
 * \param fd   the socket (non-blocking); owned from now on.
 * \param peer its peer address.
 * \param tls  true when it came from the TLS listener.
 */
void server_client_accept(server_loop *l, int fd,
                          const struct sockaddr_storage *peer, bool tls);

/**
 * Handle epoll events on a client.
 * \param c      the client.
 * \param events EPOLL* bits.
 */
void server_client_event(server_client *c, uint32_t events);

/**
 * Run the client's complete pipelined commands (after input arrived or it
 * was unblocked), then write what they produced.
 * \param c the client.
 * \return 0, or -1 when the client was closed (c freed).
 */
int server_client_process(server_client *c);

/**
 * Write as much of the output as the socket takes; arm or disarm EPOLLOUT;
 * close the client over its output limit or once a close_after_reply
 * client has nothing left to send.
 * \param c the client.
 * \return 0, or -1 when the client was closed (c freed).
 */
int server_client_flush(server_client *c);

/**
 * Close and free a client (its loop's thread).
 * \param c the client.
 */
void server_client_free(server_client *c);

/**
 * Check the output limit right after replies were appended; over it the
 * client is marked for closing (counted once).
 * \param c the client.
 * \return true when over the limit.
 */
bool server_client_over_limit(server_client *c);

/**
 * Append a Pub/Sub message to a client of this loop (the owner thread).
 * \param c the client.
 * \param m the message.
 */
void server_client_deliver(server_client *c, const server_mail *m);

/**
 * Refresh the client's subscription counts from the registry after a
 * Pub/Sub command ran.
 * \param c        the client (its loop's thread).
 * \param patterns the command was PSUBSCRIBE or PUNSUBSCRIBE.
 */
void server_client_sync_subs(server_client *c, bool patterns);

/**
 * Drop every subscription of a client (RESET, and close).
 * \param c the client (its loop's thread).
 */
void server_client_reset_pubsub(server_client *c);

/**
 * Find a client of this loop by id (the owner thread, or with l->lock).
 * \param l  the loop.
 * \param id the id.
 * \return the client or NULL.
 */
server_client *server_loop_find(server_loop *l, uint64_t id);

/**
 * Write CLIENT LIST's line for a client (caller holds c->loop->lock);
 * defined beside CLIENT, in server_client_cmds.c.
 * \param c   the client.
 * \param b   the buffer to append to.
 * \param now Unix ms.
 * \return 0, or -1 when out of memory.
 */
int server_client_info_line(server_client *c, resp_buf *b, int64_t now);

/* ---- server_exec.c ------------------------------------------------------- */

/** A batch's read section, opened at the first command that reads keys. */
typedef struct server_batch {
    server_loop *loop;         /**< whose reader */
    keyspace_reader *ks;       /**< NULL until opened */
} server_batch;

/**
 * Run one command for a client with Redis 7.0's checks (processCommand
 * order) and count it.  Writes exactly one reply (unless the command
 * blocked).
 * \param c    the client.
 * \param b    the batch's read section.
 * \param argc argument count (>= 1).
 * \param argv the arguments.
 * \return 0, or -1 when even "-ERR out of memory" could not be written
 *         (the client is then marked for closing).
 */
int server_exec(server_client *c, server_batch *b, size_t argc,
                const resp_value *argv);

/**
 * The batch's keyspace reader, opening its read section at the first call.
 * \param b the batch.
 * \return the reader, or NULL when out of memory (no section open).
 */
keyspace_reader *server_batch_ks(server_batch *b);

/**
 * Leave the batch's read section if it was opened.  \param b the batch.
 */
void server_batch_end(server_batch *b);

/**
 * Fill a context for running a command for c.
 * \param c    the client.
 * \param x    the context.
 * \param argc arguments.
 * \param argv the arguments.
 */
void server_ctx_init(server_client *c, server_ctx *x, size_t argc,
                     const resp_value *argv);

/**
 * Run a command's handler, timing and counting it in slot.
 * \param x    the context (cmd set).
 * \param slot the statistics slot, or NULL.
 * \return the handler's result (0, or -1 out of memory, reply dropped).
 */
int server_exec_call(server_ctx *x, server_cmdslot *slot);

/* ---- server_block.c ------------------------------------------------------ */

/**
 * After a handler returned: park the client if it called server_block().
 * \param c    the client.
 * \param x    the context it ran with.
 * \param slot its statistics slot.
 * \return 0, or -1 when out of memory (nothing parked).
 */
int server_block_finish(server_client *c, const server_ctx *x,
                        server_cmdslot *slot);

/**
 * Re-run every blocked client of the loop (the dataset changed).
 * \param l the loop.
 */
void server_block_rerun_all(server_loop *l);

/**
 * Time out blocked clients whose deadline passed.
 * \param l   the loop.
 * \param now Unix ms.
 */
void server_block_expire(server_loop *l, int64_t now);

/**
 * Forget a client's blocked state (on close).  \param c the client.
 */
void server_block_drop(server_client *c);

/**
 * Copy arguments (deep).
 * \param argc count.
 * \param argv the arguments.
 * \return the copy (free with server_argv_free()), or NULL.
 */
resp_value *server_argv_copy(size_t argc, const resp_value *argv);

/**
 * Free a copy from server_argv_copy().
 * \param argc count.
 * \param argv the copy; may be NULL.
 */
void server_argv_free(size_t argc, resp_value *argv);

#endif
