/* server.c - the server core's accessors (being written).
 * Chapter 11.
 */
#include "server_stats.h"

#include <errno.h>
#include <string.h>

void server_info_get(struct server *s, server_info *out)
{
    (void)s;
    memset(out, 0, sizeof *out);
}

size_t server_cmdstats_get(struct server *s, server_cmdstat *out, size_t cap)
{
    (void)s, (void)out, (void)cap;
    return 0;
}

const server_options *server_get_options(const struct server *s)
{
    (void)s;
    return NULL;
}

dataset *server_dataset(struct server *s)
{
    (void)s;
    return NULL;
}

repl *server_link(struct server *s)
{
    (void)s;
    return NULL;
}

int server_client_block(server_ctx *x, int64_t deadline_ms, size_t argc,
                        const resp_value *argv)
{
    (void)deadline_ms, (void)argc, (void)argv;
    return reply_null_array(x->out);
}

/* The core's registry accessor (server_stats.h); a stub until the core
 * lands: without a registry the Pub/Sub commands answer with an error. */
struct server_channels *server_get_channels(struct server *s)
{
    (void)s;
    return NULL;
}
