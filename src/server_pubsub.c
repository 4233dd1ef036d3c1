/* server_pubsub.c - read commands of one family: Pub/Sub: SUBSCRIBE, PSUBSCRIBE,
 * UNSUBSCRIBE, PUNSUBSCRIBE, PUBSUB.
 * Chapter 11.
 *
 * A replica's clients may listen: the master's PUBLISH reaches them
 * through the replication stream (server_publish() in the core, then
 * server_pubsub_message() below).  The commands here only change and
 * query the registry (server_channels.h), and answer with the frames
 * Redis 7.0 sends (redis/redis src/pubsub.c): one ["subscribe", channel,
 * count] per channel named, where count is the client's channels plus
 * patterns after that one, as an array in RESP2 and a push frame in
 * RESP3; UNSUBSCRIBE without arguments answers one frame per channel it
 * left, or ["unsubscribe", nil, count] when there was none.  The RESP2
 * "subscribed mode" that refuses other commands is the core's business;
 * the SERVER_CMD_PUBSUB flag marks the commands it lets through.
 *
 * Out of memory half-way through SUBSCRIBE a b c: the registry keeps what
 * was subscribed (each step is whole), the handler returns -1, and the
 * client gets "-ERR out of memory" in place of the frames; a later
 * SUBSCRIBE of the same channels is harmless, so nothing is undone.
 */
#include "server_pubsub.h"

#include "server_stats.h"

#include <stdatomic.h>
#include <string.h>

/* The handlers' registry in tests without a server.  Written once by a
 * test's setup and read by handlers on the same or a later-started thread;
 * acquire/release so a handler that sees the pointer sees the registry
 * behind it as it was made. */
static _Atomic(server_channels *) test_channels;

void server_pubsub_use_channels(server_channels *r)
{
    atomic_store_explicit(&test_channels, r, memory_order_release);
}

static server_channels *channels_of(const server_ctx *x)
{
    if (x->srv != NULL)
        return server_get_channels(x->srv);
    return atomic_load_explicit(&test_channels, memory_order_acquire);
}

int server_pubsub_message(reply_buf *out, const void *pattern, size_t plen,
                          const void *chan, size_t clen, const void *msg,
                          size_t mlen)
{
    size_t before = out->out.len;
    int rc;
    if (pattern != NULL)
        rc = reply_push(out, 4) || reply_bulk(out, "pmessage", 8) ||
             reply_bulk(out, pattern, plen) || reply_bulk(out, chan, clen) ||
             reply_bulk(out, msg, mlen);
    else
        rc = reply_push(out, 3) || reply_bulk(out, "message", 7) ||
             reply_bulk(out, chan, clen) || reply_bulk(out, msg, mlen);
    if (rc != 0) {
        out->out.len = before; /* never half a frame */
        return -1;
    }
    return 0;
}

/* One [kind, name, count] frame; name NULL writes the nil. */
static int frame(reply_buf *out, const char *kind, const void *name,
                 size_t len, size_t count)
{
    if (reply_push(out, 3) != 0 || reply_bulk(out, kind, strlen(kind)) != 0)
        return -1;
    if ((name != NULL ? reply_bulk(out, name, len) : reply_null(out)) != 0)
        return -1;
    return reply_integer(out, (int64_t)count);
}

/* The registry and the client, or an error reply. */
static int need_registry(server_ctx *x, server_channels **r)
{
    *r = channels_of(x);
    if (*r == NULL || x->client == NULL)
        return server_error(x, "ERR Pub/Sub is not available");
    return SERVER_OK;
}

static int subscribe_each(server_ctx *x, server_chan_kind kind,
                          const char *word)
{
    server_channels *r;
    SERVER_TRY(need_registry(x, &r));
    for (size_t i = 1; i < x->argc; i++) {
        long n = server_channels_subscribe(r, x->client, kind, x->argv[i].str,
                                           x->argv[i].len);
        if (n < 0 ||
            frame(x->out, word, x->argv[i].str, x->argv[i].len, (size_t)n))
            return -1;
    }
    return 0;
}

/* What unsubscribe_all's callback writes into. */
typedef struct unsub_all {
    reply_buf *out;
    const char *word;
    int failed; /* a frame could not be written (out of memory) */
} unsub_all;

static void removed_one(server_client *c, const void *name, size_t len,
                        size_t count, void *arg)
{
    unsub_all *u = arg;
    (void)c;
    if (!u->failed && frame(u->out, u->word, name, len, count) != 0)
        u->failed = 1;
}

static int unsubscribe_each(server_ctx *x, server_chan_kind kind,
                            const char *word)
{
    server_channels *r;
    SERVER_TRY(need_registry(x, &r));
    if (x->argc == 1) {
        unsub_all u = {.out = x->out, .word = word};
        if (server_channels_unsubscribe_all(r, x->client, kind, removed_one,
                                            &u) == 0)
            return frame(x->out, word, NULL, 0,
                         server_channels_count(r, x->client));
        return u.failed ? -1 : 0;
    }
    for (size_t i = 1; i < x->argc; i++) {
        long n = server_channels_unsubscribe(r, x->client, kind,
                                             x->argv[i].str, x->argv[i].len);
        if (frame(x->out, word, x->argv[i].str, x->argv[i].len, (size_t)n))
            return -1;
    }
    return 0;
}

static int subscribe_cmd(server_ctx *x)
{
    return subscribe_each(x, SERVER_CHAN_CHANNEL, "subscribe");
}

static int psubscribe_cmd(server_ctx *x)
{
    return subscribe_each(x, SERVER_CHAN_PATTERN, "psubscribe");
}

static int unsubscribe_cmd(server_ctx *x)
{
    return unsubscribe_each(x, SERVER_CHAN_CHANNEL, "unsubscribe");
}

static int punsubscribe_cmd(server_ctx *x)
{
    return unsubscribe_each(x, SERVER_CHAN_PATTERN, "punsubscribe");
}

/* ---- PUBSUB ------------------------------------------------------------- */

/* Redis's reply to a subcommand whose own argument count is wrong beyond
 * what its arity says (addReplySubcommandSyntaxError). */
static int subcommand_syntax(server_ctx *x)
{
    SERVER_TRY(server_error(x, "ERR unknown subcommand or wrong number of "
                            "arguments for '%.128s'. Try PUBSUB HELP.",
                            x->argv[1].str));
    return 0;
}

/* PUBSUB CHANNELS's walk: one bulk per channel, counted. */
typedef struct list_acc {
    reply_buf *out;
    size_t n;
} list_acc;

static int list_one(const void *name, size_t len, void *arg)
{
    list_acc *a = arg;
    if (reply_bulk(a->out, name, len) != 0)
        return -1;
    a->n++;
    return 0;
}

static int pubsub_channels_cmd(server_ctx *x)
{
    if (x->argc > 3)
        return subcommand_syntax(x);
    server_channels *r = channels_of(x);
    reply_defer d;
    if (reply_defer_begin(x->out, &d, REPLY_DEFER_ARRAY) != 0)
        return -1;
    list_acc a = {.out = x->out};
    if (r != NULL &&
        server_channels_list(r, x->argc == 3 ? x->argv[2].str : NULL,
                             x->argc == 3 ? x->argv[2].len : 0, list_one,
                             &a) != 0)
        return -1;
    return reply_defer_end(x->out, &d, a.n);
}

static int pubsub_numsub_cmd(server_ctx *x)
{
    server_channels *r = channels_of(x);
    if (reply_array(x->out, (x->argc - 2) * 2) != 0)
        return -1;
    for (size_t i = 2; i < x->argc; i++) {
        size_t n = r ? server_channels_numsub(r, x->argv[i].str,
                                              x->argv[i].len) : 0;
        if (reply_bulk(x->out, x->argv[i].str, x->argv[i].len) != 0 ||
            reply_integer(x->out, (int64_t)n) != 0)
            return -1;
    }
    return 0;
}

static int pubsub_numpat_cmd(server_ctx *x)
{
    server_channels_stats st = {0};
    server_channels *r = channels_of(x);
    if (r != NULL)
        server_channels_get_stats(r, &st);
    return reply_integer(x->out, (int64_t)st.patterns);
}

/* Shard channels (SSUBSCRIBE) belong to Redis Cluster; this server has
 * none, so the two queries answer as a Redis without any. */
static int pubsub_shardchannels_cmd(server_ctx *x)
{
    if (x->argc > 3)
        return subcommand_syntax(x);
    return reply_array(x->out, 0);
}

static int pubsub_shardnumsub_cmd(server_ctx *x)
{
    if (reply_array(x->out, (x->argc - 2) * 2) != 0)
        return -1;
    for (size_t i = 2; i < x->argc; i++)
        if (reply_bulk(x->out, x->argv[i].str, x->argv[i].len) != 0 ||
            reply_integer(x->out, 0) != 0)
            return -1;
    return 0;
}

/* The text Redis 7.0 answers PUBSUB HELP with (a reply, so byte for
 * byte Redis's). */
static const char *const pubsub_help[] = {
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> "
    "(default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, "
    "excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a "
    "<pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level "
    "channel(s)",
    "HELP",
    "    Prints this help.",
};

static int pubsub_help_cmd(server_ctx *x)
{
    size_t n = sizeof pubsub_help / sizeof pubsub_help[0];
    if (reply_array(x->out, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (reply_simple(x->out, pubsub_help[i]) != 0)
            return -1;
    return 0;
}

/* PUBLISH on a replica reaches the replica's own subscribers, as on a
 * Redis replica (redis/redis src/pubsub.c publishCommand(): the command is
 * not a write, so replicas accept it).  Without a server (handler tests)
 * nobody can be reached. */
static int publish_cmd(server_ctx *x)
{
    size_t n = 0;
    if (x->srv != NULL)
        n = server_publish_local(x->srv, x->argv[1].str, x->argv[1].len,
                                 x->argv[2].str, x->argv[2].len);
    return reply_integer(x->out, (int64_t)n);
}

static const server_command pubsub_subcommands[] = {
    { .name = "channels", .arity = -2, .flags = SERVER_CMD_LOADING,
      .fn = pubsub_channels_cmd, .group = "pubsub", .since = "2.8.0",
      .summary = "List active channels" },
    { .name = "numsub", .arity = -2, .flags = SERVER_CMD_LOADING,
      .fn = pubsub_numsub_cmd, .group = "pubsub", .since = "2.8.0",
      .summary = "Get the count of subscribers for channels" },
    { .name = "numpat", .arity = 2, .flags = SERVER_CMD_LOADING,
      .fn = pubsub_numpat_cmd, .group = "pubsub", .since = "2.8.0",
      .summary = "Get the count of unique patterns pattern subscriptions" },
    { .name = "shardchannels", .arity = -2, .flags = SERVER_CMD_LOADING,
      .fn = pubsub_shardchannels_cmd, .group = "pubsub", .since = "7.0.0",
      .summary = "List active shard channels" },
    { .name = "shardnumsub", .arity = -2, .flags = SERVER_CMD_LOADING,
      .fn = pubsub_shardnumsub_cmd, .group = "pubsub", .since = "7.0.0",
      .summary = "Get the count of subscribers for shard channels" },
    { .name = "help", .arity = 2, .flags = SERVER_CMD_LOADING,
      .fn = pubsub_help_cmd, .group = "pubsub", .since = "6.2.0",
      .summary = "Show helpful text about the different subcommands" },
    { .name = NULL },
};

const server_command server_cmds_pubsub[] = {
    { .name = "subscribe", .arity = -2,
      .flags = SERVER_CMD_PUBSUB | SERVER_CMD_LOADING, .fn = subscribe_cmd,
      .group = "pubsub", .since = "2.0.0",
      .summary = "Listen for messages published to the given channels" },
    { .name = "psubscribe", .arity = -2,
      .flags = SERVER_CMD_PUBSUB | SERVER_CMD_LOADING, .fn = psubscribe_cmd,
      .group = "pubsub", .since = "2.0.0",
      .summary = "Listen for messages published to channels matching the "
                 "given patterns" },
    { .name = "unsubscribe", .arity = -1,
      .flags = SERVER_CMD_PUBSUB | SERVER_CMD_LOADING, .fn = unsubscribe_cmd,
      .group = "pubsub", .since = "2.0.0",
      .summary = "Stop listening for messages posted to the given channels" },
    { .name = "punsubscribe", .arity = -1,
      .flags = SERVER_CMD_PUBSUB | SERVER_CMD_LOADING,
      .fn = punsubscribe_cmd, .group = "pubsub", .since = "2.0.0",
      .summary = "Stop listening for messages posted to channels matching "
                 "the given patterns" },
    { .name = "publish", .arity = 3,
      .flags = SERVER_CMD_LOADING | SERVER_CMD_FAST, .fn = publish_cmd,
      .group = "pubsub", .since = "2.0.0",
      .summary = "Post a message to a channel" },
    { .name = "pubsub", .arity = -2, .flags = 0, .fn = NULL,
      .group = "pubsub", .since = "2.8.0",
      .summary = "A container for Pub/Sub commands",
      .subcommands = pubsub_subcommands },
    { .name = NULL },
};
