/* server_cmd.h - the read commands: what a handler sees, and the table.
 * Chapter 11.
 *
 * A read command is a function from (arguments, a consistent view of the
 * dataset) to one reply.  Everything a handler needs is in a server_ctx:
 * the arguments as chapter 6 parsed them, a keyspace reader inside an open
 * read section (so every value it finds stays valid until it returns), the
 * selected database, the command's clock (a key whose expiry has passed is
 * missing, as on a Redis replica), and the reply buffer of reply.h, which
 * writes RESP2 or RESP3 without the handler asking which.  Handlers never
 * touch a socket, a lock or another client, which is why they can be
 * tested in-process against a keyspace and a real redis-server's replies.
 *
 * One table per command family, one file per family (as redis/redis splits
 * src/t_string.c, src/t_hash.c, ...): server_string.c, server_keys.c,
 * server_hash.c, and so on, each exporting a server_command array ended by
 * an entry whose name is NULL.  server_cmd.c looks names up across them,
 * checks arity with Redis's words, answers every write command of chapter
 * 9's table with -READONLY, and resolves subcommands (OBJECT ENCODING,
 * XINFO STREAM, CLIENT LIST).
 *
 * Return convention.  A handler returns 0 when it wrote its reply (an
 * error reply included) and -1 when memory ran out; the caller then drops
 * whatever the handler appended and answers "-ERR out of memory".  The
 * helpers below return SERVER_OK, SERVER_REPLIED (an error reply was
 * written: the handler returns 0) or SERVER_NOMEM, and SERVER_TRY() turns
 * that into the handler's return.
 *
 * Thread-safety: the tables are constant; a server_ctx belongs to the one
 * thread running the command.
 */
#ifndef SERVER_CMD_H
#define SERVER_CMD_H

#include "keyspace.h"
#include "reply.h"
#include "resp.h"
#include "value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;
/** A connection, private to the server core (server_private.h). */
typedef struct server_client server_client;
struct server_command;

/** What a handler sees. */
typedef struct server_ctx {
    reply_buf *out;          /**< where the reply goes */
    size_t argc;             /**< arguments, the name included */
    const resp_value *argv;  /**< argv[i].str / argv[i].len (bulk strings,
                                  NUL-terminated) */
    keyspace_reader *ks;     /**< inside a read section for the whole
                                  command; NULL for commands without
                                  SERVER_CMD_READ */
    unsigned db;             /**< the selected database */
    unsigned databases;      /**< how many there are */
    int64_t now_ms;          /**< the command's clock (value_now_ms()) */
    uint64_t *rng;           /**< xorshift state for random replies
                                  (server_rand()) */
    uint64_t hits;           /**< keys found (INFO keyspace_hits) */
    uint64_t misses;         /**< keys missing (keyspace_misses) */
    bool rerun;              /**< a blocked command run again after the
                                  dataset changed (server_block()) */
    const struct server_command *cmd; /**< the entry being run (the
                                  subcommand's for a container) */
    struct server *srv;      /**< the server (NULL in handler tests) */
    server_client *client;   /**< the connection (NULL in handler tests) */
} server_ctx;

/** A handler: 0 when it replied, -1 when out of memory. */
typedef int server_cmd_fn(server_ctx *x);

/** server_command.flags. */
enum {
    SERVER_CMD_READ = 1u << 0,    /**< reads keys: needs ctx.ks, and the
                                       dataset loaded (else -LOADING) */
    SERVER_CMD_LOADING = 1u << 1, /**< allowed before the first sync
                                       (PING, INFO, ...) */
    SERVER_CMD_NOAUTH = 1u << 2,  /**< allowed before AUTH (AUTH, HELLO,
                                       QUIT, RESET) */
    SERVER_CMD_PUBSUB = 1u << 3,  /**< allowed in RESP2 subscribed mode */
    SERVER_CMD_RANDOM = 1u << 4,  /**< reply not deterministic (tests
                                       compare properties, not bytes) */
    SERVER_CMD_FAST = 1u << 5,    /**< O(1) or O(log N) (COMMAND INFO
                                       "fast") */
    SERVER_CMD_BLOCKING = 1u << 6,/**< may call server_block() */
    SERVER_CMD_UNORDERED = 1u << 7,/**< reply order is the store's (SMEMBERS,
                                       KEYS, HGETALL): tests compare as
                                       multisets */
};

/** One entry of a family's table. */
typedef struct server_command {
    const char *name;     /**< lower case ("get"; a subcommand: "encoding");
                               NULL ends a table */
    int arity;            /**< argc including the name (and, for a
                               subcommand, the container's name); -N: at
                               least N (Redis's convention) */
    unsigned flags;       /**< SERVER_CMD_* */
    server_cmd_fn *fn;    /**< the handler; NULL for a container */
    int first_key;        /**< COMMAND INFO key positions (0: none) */
    int last_key;         /**< -1: the last argument */
    int key_step;         /**< step between keys */
    const char *group;    /**< COMMAND DOCS group ("string", "keyspace") */
    const char *since;    /**< Redis version that introduced it */
    const char *summary;  /**< one line for COMMAND DOCS */
    const struct server_command *subcommands; /**< a container's table */
} server_command;

/* ---- the families ------------------------------------------------------- */

extern const server_command server_cmds_string[]; /**< server_string.c */
extern const server_command server_cmds_bits[];   /**< server_bits.c */
extern const server_command server_cmds_hll[];    /**< server_hll.c */
extern const server_command server_cmds_keys[];   /**< server_keys.c */
extern const server_command server_cmds_hash[];   /**< server_hash.c */
extern const server_command server_cmds_list[];   /**< server_list.c */
extern const server_command server_cmds_set[];    /**< server_set.c */
extern const server_command server_cmds_zset[];   /**< server_zset.c */
extern const server_command server_cmds_geo[];    /**< server_geo.c */
extern const server_command server_cmds_sort[];   /**< server_sort.c */
extern const server_command server_cmds_stream[]; /**< server_stream.c */
extern const server_command server_cmds_info[];   /**< server_info.c:
                                  INFO, ROLE, CONFIG, TIME, LASTSAVE,
                                  COMMAND */
extern const server_command server_cmds_conn[];   /**< server_conn_cmds.c:
                                  PING, ECHO, HELLO, AUTH, SELECT, QUIT,
                                  RESET, READONLY, CLIENT */
extern const server_command server_cmds_pubsub[]; /**< server_pubsub.c */
extern const server_command server_cmds_debug[];  /**< server_debug.c:
                                  DEBUG SLEEP (enable-debug-command) */

/**
 * Every family's table, for COMMAND and the lookup.
 * \param n receives the number of tables.
 * \return an array of n tables (static storage).
 */
const server_command *const *server_cmd_tables(size_t *n);

/**
 * Find a top-level command by name, case-insensitively.
 * \param name the name bytes.
 * \param len  their length.
 * \return the entry, or NULL.
 */
const server_command *server_cmd_find(const char *name, size_t len);

/**
 * Resolve x->argv to the entry to run, or write the error Redis would:
 * "ERR unknown command 'x', with args beginning with: ...", "ERR wrong
 * number of arguments for 'get' command", "READONLY You can't write
 * against a read only replica." (any write command of chapter 9's table,
 * after its arity check, as Redis orders them), "ERR unknown subcommand
 * 'x'. Try OBJECT HELP.".  Sets x->cmd on success.
 * \param x the context (argv set; argc >= 1).
 * \return the entry; NULL after an error reply was written (check
 *         x->out: on out of memory nothing was written and errno is
 *         ENOMEM).
 */
const server_command *server_cmd_resolve(server_ctx *x);

/**
 * Resolve and run, with no connection checks (AUTH, LOADING, Pub/Sub
 * mode: the server core does those between the two).  Handler tests call
 * this with a context whose srv and client are NULL.
 * \param x the context.
 * \return 0 when a reply was written, -1 when out of memory (x->out as it
 *         was before the call).
 */
int server_cmd_run(server_ctx *x);

/**
 * The name Redis uses for an entry in errors, COMMAND and INFO
 * commandstats: "get", or "object|encoding" for a subcommand.
 * \param x   the context whose argv[0] (and argv[1]) name it.
 * \param buf receives the name, NUL-terminated (truncated).
 * \param n   size of buf.
 */
void server_cmd_fullname(const server_ctx *x, char *buf, size_t n);

/* ---- helpers for handlers ----------------------------------------------- */

/** What a helper did. */
enum {
    SERVER_OK = 0,       /**< parsed or found; nothing written */
    SERVER_REPLIED = 1,  /**< an error reply was written */
    SERVER_NOMEM = -1,   /**< out of memory, nothing written */
};

/** Return from a handler unless a helper returned SERVER_OK. */
#define SERVER_TRY(expr)                                                     \
    do {                                                                     \
        int server_try_rc_ = (expr);                                         \
        if (server_try_rc_ != SERVER_OK)                                     \
            return server_try_rc_ == SERVER_REPLIED ? 0 : -1;                \
    } while (0)

/**
 * Write an error reply from a format ("ERR syntax error"; the code first,
 * no leading '-').
 * \param x   the context.
 * \param fmt printf format.
 * \return SERVER_REPLIED, or SERVER_NOMEM.
 */
int server_error(server_ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** "ERR syntax error".  \param x the context.  \return as server_error(). */
int server_syntax_error(server_ctx *x);

/**
 * Is argument i the keyword kw (ASCII case-insensitive)?
 * \param x  the context.
 * \param i  the argument index (false when out of range).
 * \param kw the keyword, e.g. "WITHSCORES".
 * \return true on a match.
 */
bool server_arg_is(const server_ctx *x, size_t i, const char *kw);

/**
 * Parse argument i as a signed 64-bit integer, as Redis's
 * getLongLongFromObject: "ERR value is not an integer or out of range".
 * \param x   the context.
 * \param i   the argument index.
 * \param out receives the number.
 * \return SERVER_OK, SERVER_REPLIED or SERVER_NOMEM.
 */
int server_arg_ll(server_ctx *x, size_t i, long long *out);

/**
 * Parse argument i as a double, as Redis's getDoubleFromObject ("inf",
 * "-inf" accepted; NaN refused): "ERR value is not a valid float".
 * \param x   the context.
 * \param i   the argument index.
 * \param out receives the number.
 * \return SERVER_OK, SERVER_REPLIED or SERVER_NOMEM.
 */
int server_arg_double(server_ctx *x, size_t i, double *out);

/**
 * Look up the key in argument i in the selected database, as a client of
 * a replica sees it (expired: missing); counts a hit or a miss.
 * \param x    the context (x->ks set).
 * \param i    the argument index of the key.
 * \param type the type required, or -1 for any.
 * \param out  receives the value (valid until the handler returns), or
 *             NULL when the key is missing.
 * \return SERVER_OK (found or missing), SERVER_REPLIED after
 *         "WRONGTYPE Operation against a key holding the wrong kind of
 *         value", or SERVER_NOMEM.
 */
int server_lookup(server_ctx *x, size_t i, int type, const value **out);

/**
 * The next pseudo-random number of this thread (xorshift64*).
 * \param x the context.
 * \return 64 random bits.
 */
uint64_t server_rand(server_ctx *x);

/**
 * Park the client until the dataset changes or the deadline passes: the
 * server core runs the command again with x->rerun set, with argv (copied)
 * in place of the original arguments when given, every time the link
 * publishes, until the handler replies without calling server_block()
 * again; at the deadline it writes the null array reply (RESP2 "*-1",
 * RESP3 "_").  A handler calls it instead of writing a reply.  Without a
 * connection (handler tests), or inside MULTI, it writes the timeout reply
 * at once.
 * \param x           the context.
 * \param deadline_ms Unix ms at which to give up; 0 for never.  Ignored on
 *                    a re-run (the first deadline stays).
 * \param argc        number of replacement arguments (0: keep argv).
 * \param argv        the replacement arguments (XREAD with `$` resolved to
 *                    the IDs at the time of blocking).
 * \return 0, or -1 when out of memory.
 */
int server_block(server_ctx *x, int64_t deadline_ms, size_t argc,
                 const resp_value *argv);

#endif
