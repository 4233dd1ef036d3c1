/* server_stats.h - what the server core tells INFO, ROLE, CONFIG and COMMAND.
 * Chapter 11.
 *
 * The introspection commands (server_info.c) do not reach into the event
 * loops.  The core fills a server_info snapshot (counters summed over the
 * loops with relaxed atomic loads: each is a statistic, exact at some
 * instant but not a consistent cut with the others, which is all INFO
 * promises) and hands out its options, dataset and link; server_info.c
 * formats them.  So the formatting can be tested from a filled struct,
 * and the core can change without touching INFO's text.
 *
 * Thread-safety: every function may be called from any serving thread
 * while the server runs.
 */
#ifndef SERVER_STATS_H
#define SERVER_STATS_H

#include "dataset.h"
#include "repl.h"
#include "server.h"
#include "server_cmd.h"

#include <stdint.h>

/** A snapshot of the server's counters (INFO server, clients, stats). */
typedef struct server_info {
    char run_id[41];              /**< 40 hex digits, fixed at start */
    int64_t start_ms;             /**< Unix ms when the server started */
    int pid;                      /**< getpid() */
    int tcp_port;                 /**< server_port() */
    int tls_port;                 /**< server_tls_port() */
    unsigned threads;             /**< event loops */
    uint64_t connected_clients;   /**< open connections */
    uint64_t blocked_clients;     /**< parked in XREAD BLOCK */
    uint64_t pubsub_clients;      /**< subscribed to something */
    uint64_t maxclients;          /**< the limit */
    uint64_t total_connections;   /**< accepted since start */
    uint64_t rejected_connections;/**< refused (maxclients, protected mode) */
    uint64_t total_commands;      /**< commands run */
    uint64_t total_error_replies; /**< error replies sent */
    uint64_t net_input_bytes;     /**< read from clients */
    uint64_t net_output_bytes;    /**< written to clients */
    uint64_t keyspace_hits;       /**< server_lookup() hits */
    uint64_t keyspace_misses;     /**< and misses */
    uint64_t pubsub_channels;     /**< channels with subscribers */
    uint64_t pubsub_patterns;     /**< patterns with subscribers */
    uint64_t pubsub_messages;     /**< messages delivered */
    uint64_t output_limit_kills;  /**< clients closed over an output limit */
    uint64_t client_max_output;   /**< largest unsent reply buffer now */
    uint64_t client_max_input;    /**< largest query buffer now */
} server_info;

/** One command's INFO commandstats line. */
typedef struct server_cmdstat {
    char name[64];     /**< "get", "object|encoding" */
    uint64_t calls;    /**< runs that replied */
    uint64_t usec;     /**< microseconds spent in them */
    uint64_t rejected; /**< refused before running (arity, -READONLY,
                            -NOAUTH, -LOADING) */
    uint64_t failed;   /**< ran and replied with an error */
} server_cmdstat;

/**
 * Fill a snapshot of the counters.
 * \param s   the server.
 * \param out receives it.
 */
void server_info_get(struct server *s, server_info *out);

/**
 * The per-command counters of every command called at least once (or
 * rejected), in no particular order.
 * \param s   the server.
 * \param out receives up to cap entries.
 * \param cap size of out.
 * \return how many there are (may exceed cap: call again with more room).
 */
size_t server_cmdstats_get(struct server *s, server_cmdstat *out, size_t cap);

/**
 * The options the server was started with (strings owned by the server).
 * \param s the server.
 * \return the options.
 */
const server_options *server_get_options(const struct server *s);

/**
 * The dataset the server reads.  \param s the server.  \return it.
 */
dataset *server_dataset(struct server *s);

/**
 * The replication link, or NULL when the server runs without one.
 * \param s the server.  \return it.
 */
repl *server_link(struct server *s);

/**
 * The server's Pub/Sub registry (server_channels.h), for the Pub/Sub
 * commands and INFO.
 * \param s the server.  \return it (owned by the server).
 */
struct server_channels *server_get_channels(struct server *s);

/**
 * The core's half of server_block(): park x's connection.
 * \param x           the context (x->client set).
 * \param deadline_ms as server_block().
 * \param argc        as server_block().
 * \param argv        as server_block().
 * \return 0, or -1 when out of memory.
 */
int server_client_block(server_ctx *x, int64_t deadline_ms, size_t argc,
                        const resp_value *argv);

#endif
