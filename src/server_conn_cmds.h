/* server_conn_cmds.h - what the connection family's two files share.
 * Chapter 11.
 *
 * The connection commands are two files: server_conn_cmds.c (PING, ECHO,
 * HELLO, AUTH, SELECT, QUIT, RESET and the family's table) reads and
 * changes the calling connection only; server_client_cmds.c (CLIENT)
 * also walks every loop's clients.  Both reach into server_client
 * (server_private.h).  This header carries the three things that cross
 * between them: CLIENT's subcommand table for the family's table, the
 * name rule HELLO's SETNAME and CLIENT SETNAME both apply, and whether a
 * client is subscribed (PING's shape, CLIENT LIST's flags).
 *
 * Thread-safety: as every handler (server_cmd.h).
 */
#ifndef SERVER_CONN_CMDS_H
#define SERVER_CONN_CMDS_H

#include "server_private.h"

#include <stdbool.h>

/** CLIENT's subcommands (ID, GETNAME, SETNAME, INFO, LIST, KILL),
 *  NULL-name terminated, for server_cmds_conn[]. */
extern const server_command server_client_subcommands[];

/**
 * Whether a client has a channel or pattern subscription.
 * \param c the client, or NULL (no connection: false).
 * \return true when subscribed.
 * Thread-safety: any thread (relaxed loads of the counters: a snapshot
 * for a reply or a listing, nothing is ordered after it).
 */
bool server_conn_subscribed(const server_client *c);

/**
 * Set the calling connection's name (CLIENT SETNAME, HELLO ... SETNAME):
 * bytes '!' to '~' only, the empty name clears it.  The old name is
 * freed; the new one is a copy.
 * \param x the context (x->client NULL: checked, then nothing to set).
 * \param v the name argument.
 * \return SERVER_OK, SERVER_REPLIED after the error for a bad name, or
 *         SERVER_NOMEM.
 * Thread-safety: the connection's own loop; takes that loop's lock,
 * since CLIENT LIST on another loop reads the name.
 */
int server_conn_set_name(server_ctx *x, const resp_value *v);

#endif
