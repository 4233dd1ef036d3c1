/* values_redis.c - the same collections built in a real redis-server, and what MEMORY USAGE says they take.
 * Chapter 8.
 *
 * The memory target compares our bytes per element with Redis's own for
 * the same collection, so the figure must come from a real server, not a
 * formula: a private redis-server is started on a free loopback port in a
 * temporary directory (tests/util/redis_server.c, which also stops it and
 * removes the directory at exit, even after a failure), each collection
 * is written with pipelined RPUSH / HSET / ZADD (100 elements a command,
 * 64 commands in flight, through tests/util/resp_client.h), and
 * `MEMORY USAGE key SAMPLES 0` asks the server to count every element
 * rather than estimate from a sample.  The key is deleted afterwards, so
 * the three collections never share the server's memory.  The elements
 * are the ones the type files build: list items "item:<i>", hash fields
 * "field:<i>" with values "value:<i>", sorted-set members "member:<i>"
 * with score i.
 */
#include "values_redis.h"

#include "redis_server.h"
#include "resp_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redis_server server; /* registered with the launcher: must stay put */
static resp_client client;
static int running;

int vb_redis_open(char *err, size_t errlen)
{
    if (redis_server_start(&server, NULL, err, errlen) != 0)
        return -1;
    if (resp_client_open(&client, server.port) != 0) {
        snprintf(err, errlen, "cannot connect to redis-server on port %d: %s",
                 server.port, client.err);
        redis_server_stop(&server);
        return -1;
    }
    running = 1;
    return 0;
}

/* Read `pending` replies; any error reply or failure is reported. */
static int drain(int pending, char *err, size_t errlen)
{
    for (int i = 0; i < pending; i++) {
        resp_value v = { 0 };
        if (resp_client_reply(&client, &v) != 0) {
            snprintf(err, errlen, "redis-server connection: %s", client.err);
            return -1;
        }
        int bad = v.type == RESP_ERROR;
        if (bad)
            snprintf(err, errlen, "redis-server replied: %s", v.str);
        resp_value_clear(&v);
        if (bad)
            return -1;
    }
    return 0;
}

/* One string reply of a command with C-string arguments. */
static int call_str(char *out, size_t outlen, char *err, size_t errlen,
                    const char *a0, const char *a1, const char *a2,
                    const char *a3, const char *a4)
{
    resp_value v = { 0 };
    if (resp_client_calll(&client, &v, a0, a1, a2, a3, a4, NULL) != 0) {
        snprintf(err, errlen, "redis-server connection: %s", client.err);
        return -1;
    }
    int rc = 0;
    if (v.type == RESP_ERROR) {
        snprintf(err, errlen, "%s: redis-server replied: %s", a0, v.str);
        rc = -1;
    } else if (v.type == RESP_INTEGER) {
        snprintf(out, outlen, "%lld", (long long)v.integer);
    } else if (v.str != NULL) {
        snprintf(out, outlen, "%s", v.str);
    } else {
        snprintf(out, outlen, "(nil)");
    }
    resp_value_clear(&v);
    return rc;
}

int vb_redis_usage(const char *type, long n, vb_redis_fig *fig, char *err,
                   size_t errlen)
{
    if (!running) {
        snprintf(err, errlen, "no redis-server running");
        return -1;
    }
    const char *cmd = strcmp(type, "list") == 0   ? "RPUSH"
                      : strcmp(type, "hash") == 0 ? "HSET"
                      : strcmp(type, "zset") == 0 ? "ZADD"
                                                  : NULL;
    if (cmd == NULL) {
        snprintf(err, errlen, "no redis fill for type \"%s\"", type);
        return -1;
    }
    enum { PER = 100, INFLIGHT = 64 };
    static char buf[2 * PER][32];
    const char *argv[2 + 2 * PER];
    size_t lens[2 + 2 * PER];
    const char *key = "vb:key";
    int pending = 0;
    for (long i = 0; i < n;) {
        size_t argc = 0;
        argv[argc] = cmd;
        lens[argc++] = strlen(cmd);
        argv[argc] = key;
        lens[argc++] = strlen(key);
        for (int j = 0; j < PER && i < n; j++, i++) {
            char *a = buf[2 * j], *b = buf[2 * j + 1];
            if (cmd[0] == 'R') {
                lens[argc] = (size_t)snprintf(a, 32, "item:%ld", i);
                argv[argc++] = a;
            } else if (cmd[0] == 'H') {
                lens[argc] = (size_t)snprintf(a, 32, "field:%ld", i);
                argv[argc++] = a;
                lens[argc] = (size_t)snprintf(b, 32, "value:%ld", i);
                argv[argc++] = b;
            } else {
                lens[argc] = (size_t)snprintf(a, 32, "%ld", i);
                argv[argc++] = a;
                lens[argc] = (size_t)snprintf(b, 32, "member:%ld", i);
                argv[argc++] = b;
            }
        }
        /* resp_client_send copies the arguments into its queue, so buf
         * can be reused for the next command at once. */
        if (resp_client_send(&client, argc, argv, lens) != 0) {
            snprintf(err, errlen, "out of memory queueing %s", cmd);
            return -1;
        }
        if (++pending == INFLIGHT) {
            if (drain(pending, err, errlen) != 0)
                return -1;
            pending = 0;
        }
    }
    if (drain(pending, err, errlen) != 0)
        return -1;
    char num[64];
    if (call_str(num, sizeof num, err, errlen, "MEMORY", "USAGE", key,
                 "SAMPLES", "0") != 0 ||
        call_str(fig->encoding, sizeof fig->encoding, err, errlen, "OBJECT",
                 "ENCODING", key, NULL, NULL) != 0)
        return -1;
    fig->bytes = atol(num);
    char count[64];
    const char *len_cmd = cmd[0] == 'R' ? "LLEN" : cmd[0] == 'H' ? "HLEN"
                                                                : "ZCARD";
    if (call_str(count, sizeof count, err, errlen, len_cmd, key, NULL, NULL,
                 NULL) != 0)
        return -1;
    if (atol(count) != n) {
        snprintf(err, errlen, "%s %s: redis-server holds %s elements, %ld "
                 "were written", len_cmd, key, count, n);
        return -1;
    }
    char gone[64];
    return call_str(gone, sizeof gone, err, errlen, "DEL", key, NULL, NULL,
                    NULL);
}

int vb_redis_version(char *out, size_t outlen)
{
    resp_value v = { 0 };
    snprintf(out, outlen, "unknown");
    if (!running ||
        resp_client_calll(&client, &v, "INFO", "server", NULL) != 0)
        return -1;
    const char *p = v.str != NULL ? strstr(v.str, "redis_version:") : NULL;
    if (p != NULL) {
        p += strlen("redis_version:");
        size_t m = strcspn(p, "\r\n");
        snprintf(out, outlen, "%.*s", (int)m, p);
    }
    resp_value_clear(&v);
    return p != NULL ? 0 : -1;
}

void vb_redis_close(void)
{
    if (!running)
        return;
    resp_client_close(&client);
    redis_server_stop(&server);
    running = 0;
}
