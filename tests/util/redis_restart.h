/* redis_restart.h - crash or stop a test's redis-server and bring it back on the same port.
 * Chapter 10.
 *
 * A replica must survive its master restarting: from a dump it saved on
 * the way down (the master then knows its old replication ID as replid2
 * and lets the replica continue), or from an older dump after a crash
 * (the replica holds writes the master lost, and only a full resync can
 * make them agree again).  The replica is configured with a host and a
 * port, so the master must come back where it was: same port, same
 * directory, same dump.rdb.  redis_server_start() picks a fresh port
 * each time and redis_server_stop() removes the directory, so these two
 * functions do the part in between.  The server stays registered with the
 * launcher the whole time, so a failing test still stops it and removes
 * its directory (redis_server.h).
 *
 * Thread-safety: the thread that started the server (the launcher's
 * parent-death signal is tied to the thread that forked).
 */
#ifndef TEST_REDIS_RESTART_H
#define TEST_REDIS_RESTART_H

#include "redis_server.h"

#include <stddef.h>

/** How redis_server_down() ends the server. */
typedef enum redis_down_how {
    REDIS_DOWN_SAVE = 0, /**< SHUTDOWN SAVE: a dump with the replication
                              ID and offset of the moment it stopped */
    REDIS_DOWN_NOSAVE,   /**< SHUTDOWN NOSAVE: the last dump stays */
    REDIS_DOWN_KILL,     /**< SIGKILL: a crash; the last dump stays */
} redis_down_how;

/**
 * Stop a running server and reap it, keeping its port number, directory
 * and dump.rdb for redis_server_restart().
 * \param rs  a server from redis_server_start().
 * \param how how to stop it.
 * \return 0, or -1 if it was not running or did not exit (it is then
 *         killed).
 */
int redis_server_down(redis_server *rs, redis_down_how how);

/**
 * Start a server again on the port and in the directory it had, with the
 * same arguments as redis_server_start() plus `extra` (the caller passes
 * what it passed to the first start), and wait until PING answers (a
 * server loading a large dump answers -LOADING until it is done; that is
 * waited for too).
 * \param rs    a server stopped with redis_server_down().
 * \param extra extra arguments (NULL-terminated list, or NULL).
 * \param err   receives the reason on failure (with the log's tail).
 * \param errsz size of err.
 * \return 0, or -1 (nothing left running; redis_server_stop() still
 *         removes the directory).
 */
int redis_server_restart(redis_server *rs, const char *const *extra,
                         char *err, size_t errsz);

#endif
