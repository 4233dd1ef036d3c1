/* server_client_io.h - how one connection's three files reach each other.
 * Chapter 11.
 *
 * A connection's life is split by concept: server_client.c accepts and
 * frees it, handles its epoll events and runs its pipelined commands;
 * server_client_input.c turns its bytes into commands (reads, inline
 * commands, the parser's limits, protocol errors); server_client_output.c
 * sends the replies and enforces the output limits.  The functions the
 * rest of the server calls stay declared in server_private.h; this header
 * carries only the three that cross between these files.
 *
 * Thread-safety: every function here runs on the client's own loop
 * thread.
 */
#ifndef SERVER_CLIENT_IO_H
#define SERVER_CLIENT_IO_H

#include "server_private.h"

/**
 * Read what the socket has (one chunk; for TLS, what the session has),
 * growing or compacting the input buffer.
 * \param c the client.
 * \return 1 when bytes arrived, 0 when none were there, -1 when the peer
 *         closed or failed, or memory ran out (the caller frees c).
 */
int server_client_read(server_client *c);

/**
 * The next complete command in the input buffer.
 * \param c the client.
 * \param v receives the command, an array of bulk strings (owned by the
 *          caller: resp_value_clear()); an empty array for "*-1".
 * \return 1 with *v set, 0 when more bytes are needed, -1 after a
 *         protocol error was queued as the reply (c->close_after_reply)
 *         or for a client to close at once (c->closing).
 */
int server_client_next_command(server_client *c, resp_value *v);

/**
 * Arm EPOLLOUT while replies wait or the TLS session needs to send, and
 * disarm it otherwise (one epoll_ctl() only when that changes).
 * \param c the client.
 */
void server_client_update_events(server_client *c);

#endif
