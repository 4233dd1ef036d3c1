/* server_debug.c - read commands of one family: DEBUG (only DEBUG SLEEP), off unless enable-debug-command.
 * Chapter 12.
 *
 * The consistency checker needs a client that holds a read section for
 * seconds, to show that a slow reader never stops the link from applying
 * (chapter 3's grace periods wait for readers; the writer never does).
 * Redis's DEBUG SLEEP is exactly that client, so the replica has it too,
 * with Redis's rules: DEBUG is refused unless the server was started with
 * enable-debug-command yes (Redis's option and its exact refusal text,
 * redis/redis src/server.c processCommand()), the arity is checked first,
 * and a subcommand with the wrong number of arguments is "unknown
 * subcommand or wrong number of arguments" (src/debug.c).  DEBUG SLEEP is
 * flagged SERVER_CMD_READ, so the handler runs inside the read section the
 * core opens for it and sleeps there.
 */
#include "server_cmd.h"

#include "server_private.h"

#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

static int debug_cmd(server_ctx *x)
{
    if (x->srv == NULL || !x->srv->opt.enable_debug_command)
        return reply_error(x->out,
                           "ERR DEBUG command not allowed. If the "
                           "enable-debug-command option is set to \"local\", "
                           "you can run it from a local connection, otherwise "
                           "you need to set this option in the configuration "
                           "file, and then restart the server.");
    if (x->argc == 3 && strcasecmp(x->argv[1].str, "sleep") == 0) {
        /* As Redis: strtod with no checks, so "abc" sleeps 0 s and a
         * negative time does not sleep. */
        double secs = strtod(x->argv[2].str, NULL);
        long long us = (long long)(secs * 1000000);
        if (us > 0) {
            struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
        }
        return reply_simple(x->out, "OK");
    }
    SERVER_TRY(server_error(x, "ERR unknown subcommand or wrong number of "
                            "arguments for '%.128s'. Try DEBUG HELP.",
                            x->argv[1].str));
    return 0;
}

const server_command server_cmds_debug[] = {
    { .name = "debug", .arity = -2, .flags = SERVER_CMD_READ, .fn = debug_cmd,
      .group = "server", .since = "1.0.0",
      .summary = "A container for debugging commands (here: DEBUG SLEEP)." },
    { .name = NULL },
};
