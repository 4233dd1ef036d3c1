/* repl_handshake.c - the replica introduces itself: PING, AUTH, REPLCONF, PSYNC.
 * Chapter 10.
 *
 * Once connected, a replica speaks first, in the order Redis's own
 * syncWithMaster() does (redis/redis src/replication.c, 7.0): PING (a
 * master that wants a password answers -NOAUTH, which still says it is
 * alive), AUTH with masterauth (and masteruser, the ACL form), `REPLCONF
 * listening-port <port>` and `REPLCONF capa eof capa psync2` (their
 * errors are only logged, as Redis does: an old master may not know
 * them), and PSYNC.  Each reply is one line read from the link's input
 * buffer, so whatever the master sent after it -- the snapshot, the
 * stream -- stays there for the next stage.
 *
 * PSYNC asks to continue (`PSYNC <replid> <offset+1>`) when the replica
 * holds a copy it knows the position of, and for everything (`PSYNC ?
 * -1`) the first time or after the copies diverged.  While the master
 * prepares a snapshot it sends bare newlines to keep the link alive,
 * before +FULLRESYNC and again before the snapshot's `$` line; both
 * waits skip them.  -NOMASTERLINK (the master is itself a replica that
 * lost its master) and -LOADING (it is loading its own data) mean "not
 * now": the attempt fails and is retried after the backoff.
 *
 * +FULLRESYNC hands over to repl_fullsync.c; +CONTINUE (with the
 * master's new ID, when it restarted or was promoted) keeps the offset,
 * the stream and its selected database, as a master does not repeat
 * SELECT after a partial resync.
 */
#include "repl_private.h"

#include "repl_snapshot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool repl_interrupted(repl *r)
{
    if (atomic_load_explicit(&r->stopping, memory_order_acquire)) {
        repl_fail(r, "stopped");
        return true;
    }
    if (atomic_load_explicit(&r->drop_req, memory_order_acquire)) {
        repl_fail(r, "link dropped on request (repl_drop)");
        return true;
    }
    return false;
}

int repl_send(repl *r, const void *p, size_t n)
{
    if (repl_conn_write(r->in.conn, p, n, r->opt.timeout_ms) == 0)
        return 0;
    if (!repl_interrupted(r))
        repl_fail(r, "%s", repl_conn_error(r->in.conn));
    return -1;
}

int repl_send_ack(repl *r)
{
    resp_buf b;
    resp_buf_init(&b);
    uint64_t off = r->stream ? repl_stream_offset(r->stream) : r->offset;
    int rc;
    if (repl_write_ack(&b, off) != 0) {
        repl_fail(r, "out of memory writing REPLCONF ACK");
        rc = -1;
    } else {
        rc = repl_send(r, b.data, b.len);
    }
    resp_buf_free(&b);
    r->next_ack_ms = repl_now_ms() + r->opt.ack_period_ms;
    return rc;
}

/* Send one command.  Returns 0 or -1 with r->err set. */
static int send_command(repl *r, size_t argc, const char *const *argv)
{
    resp_buf b;
    resp_buf_init(&b);
    int rc;
    if (resp_write_command(&b, argc, argv, NULL) != 0) {
        repl_fail(r, "out of memory writing %s", argv[0]);
        rc = -1;
    } else {
        rc = repl_send(r, b.data, b.len);
    }
    resp_buf_free(&b);
    return rc;
}

int repl_read_line(repl *r, char *out, size_t outsz, bool skip_empty,
                     const char *what)
{
    for (;;) {
        size_t avail = repl_input_avail(&r->in);
        /* (no peek at an empty input: its buffer may not exist yet) */
        const unsigned char *p = avail ? repl_input_peek(&r->in) : NULL;
        const unsigned char *nl = avail ? memchr(p, '\n', avail) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - p);
            size_t take = n + 1;
            if (n > 0 && p[n - 1] == '\r')
                n--;
            if (n == 0 && skip_empty) {
                repl_input_consume(&r->in, take);
                continue;
            }
            if (n >= outsz)
                n = outsz - 1;
            memcpy(out, p, n);
            out[n] = '\0';
            repl_input_consume(&r->in, take);
            return 0;
        }
        if (avail > REPL_LINE_MAX) {
            char q[128];
            repl_quote(q, sizeof q, (const char *)p, avail);
            repl_fail(r, "reply to %s from %s:%d: no end of line in %zu "
                      "bytes: %s", what, r->opt.host, r->opt.port, avail, q);
            return -1;
        }
        r->in.timeout_ms = r->opt.timeout_ms;
        ssize_t got = repl_input_fill(&r->in);
        if (got > 0) {
            r->last_rx_ms = repl_now_ms();
            continue;
        }
        if (repl_interrupted(r))
            return -1;
        if (got == 0)
            repl_fail(r, "connection closed by %s:%d while waiting for the "
                      "reply to %s", r->opt.host, r->opt.port, what);
        else if (errno == ETIMEDOUT)
            repl_fail(r, "timeout: no reply to %s from %s:%d within %d ms",
                      what, r->opt.host, r->opt.port, r->opt.timeout_ms);
        else
            repl_fail(r, "waiting for the reply to %s: %s", what,
                      repl_input_error(&r->in));
        return -1;
    }
}

/* PING, AUTH, the two REPLCONFs. */
static repl_step introduce(repl *r)
{
    char line[REPL_LINE_MAX + 1], q[128];
    const char *ping[] = {"PING"};
    repl_log(r, REPL_LOG_DEBUG, "sending PING");
    if (send_command(r, 1, ping) != 0 ||
        repl_read_line(r, line, sizeof line, false, "PING") != 0)
        return REPL_STEP_RETRY;
    /* A master that wants AUTH first still answers: it is alive. */
    if (line[0] != '+' && strncmp(line, "-NOAUTH", 7) != 0 &&
        strncmp(line, "-NOPERM", 7) != 0 &&
        strncmp(line, "-ERR operation not permitted", 28) != 0) {
        repl_quote(q, sizeof q, line, strlen(line));
        repl_fail(r, "PING to %s:%d answered %s", r->opt.host, r->opt.port,
                  q);
        return REPL_STEP_RETRY;
    }
    if (!r->opt.password && strncmp(line, "-NOAUTH", 7) == 0) {
        repl_quote(q, sizeof q, line, strlen(line));
        repl_fail(r, "%s:%d wants a password (PING answered %s) and the "
                  "link has none", r->opt.host, r->opt.port, q);
        return REPL_STEP_RETRY;
    }
    if (r->opt.password) {
        const char *auth[] = {"AUTH", r->opt.user ? r->opt.user
                                                  : r->opt.password,
                              r->opt.password};
        repl_log(r, REPL_LOG_DEBUG, "sending AUTH%s%s",
                 r->opt.user ? " as " : "", r->opt.user ? r->opt.user : "");
        if (send_command(r, r->opt.user ? 3 : 2, auth) != 0 ||
            repl_read_line(r, line, sizeof line, false, "AUTH") != 0)
            return REPL_STEP_RETRY;
        if (line[0] != '+') {
            repl_quote(q, sizeof q, line, strlen(line));
            repl_fail(r, "AUTH%s%s to %s:%d failed: %s",
                      r->opt.user ? " as " : "",
                      r->opt.user ? r->opt.user : "", r->opt.host,
                      r->opt.port, q);
            return REPL_STEP_RETRY;
        }
    }
    int lport = r->opt.listening_port;
    if (lport == 0)
        lport = repl_conn_local_port(r->in.conn);
    char portbuf[16];
    snprintf(portbuf, sizeof portbuf, "%d", lport);
    /* Both REPLCONFs in one write, their replies read in order (as
     * Redis's replica does). */
    resp_buf b;
    resp_buf_init(&b);
    const char *lp[] = {"REPLCONF", "listening-port", portbuf};
    const char *capa[] = {"REPLCONF", "capa", "eof", "capa", "psync2"};
    if (resp_write_command(&b, 3, lp, NULL) != 0 ||
        resp_write_command(&b, 5, capa, NULL) != 0) {
        resp_buf_free(&b);
        repl_fail(r, "out of memory writing REPLCONF");
        return REPL_STEP_RETRY;
    }
    repl_log(r, REPL_LOG_DEBUG, "sending REPLCONF listening-port %s and "
             "REPLCONF capa eof capa psync2", portbuf);
    int rc = repl_send(r, b.data, b.len);
    resp_buf_free(&b);
    if (rc != 0)
        return REPL_STEP_RETRY;
    const char *names[] = {"REPLCONF listening-port", "REPLCONF capa"};
    for (int i = 0; i < 2; i++) {
        if (repl_read_line(r, line, sizeof line, false, names[i]) != 0)
            return REPL_STEP_RETRY;
        if (line[0] == '-') {
            repl_quote(q, sizeof q, line, strlen(line));
            repl_log(r, REPL_LOG_WARN, "%s:%d answered %s with %s (going "
                     "on)", r->opt.host, r->opt.port, names[i], q);
        }
    }
    return REPL_STEP_OK;
}

/* [ch10-psync] */
/* Send PSYNC and read its answer: *full set, and for a full resync the
 * master's ID and offset in id/off. */
static repl_step psync(repl *r, repl_psync_reply *kind, char id[41],
                       uint64_t *off)
{
    char line[REPL_LINE_MAX + 1], q[128], offbuf[24];
    bool ask_full = r->force_full || r->replid[0] == '\0';
    snprintf(offbuf, sizeof offbuf, "%" PRIu64, r->offset + 1);
    const char *cmd[] = {"PSYNC", ask_full ? "?" : r->replid,
                         ask_full ? "-1" : offbuf};
    repl_log(r, REPL_LOG_DEBUG, "sending PSYNC %s %s", cmd[1], cmd[2]);
    r->psync_ms = repl_now_ms();
    if (send_command(r, 3, cmd) != 0 ||
        repl_read_line(r, line, sizeof line, true, "PSYNC") != 0)
        return REPL_STEP_RETRY;
    repl_quote(q, sizeof q, line, strlen(line));
    if (strncmp(line, "+FULLRESYNC ", 12) == 0) {
        const char *p = line + 12;
        const char *sp = strchr(p, ' ');
        int64_t o;
        if (!sp || sp - p != 40 ||
            resp_parse_int(sp + 1, strlen(sp + 1), &o) != 0 || o < 0) {
            repl_fail(r, "PSYNC: malformed +FULLRESYNC from %s:%d: %s "
                      "(expected an ID of 40 characters and an offset)",
                      r->opt.host, r->opt.port, q);
            return REPL_STEP_RETRY;
        }
        memcpy(id, p, 40);
        id[40] = '\0';
        *off = (uint64_t)o;
        *kind = REPL_PSYNC_FULL;
        return REPL_STEP_OK;
    }
    if (strcmp(line, "+CONTINUE") == 0 ||
        strncmp(line, "+CONTINUE ", 10) == 0) {
        if (ask_full) {
            repl_fail(r, "PSYNC: %s:%d answered %s to a request for a full "
                      "resync", r->opt.host, r->opt.port, q);
            return REPL_STEP_FULL;
        }
        const char *nid = line[9] == ' ' ? line + 10 : "";
        if (nid[0] != '\0' && strlen(nid) != 40) {
            repl_fail(r, "PSYNC: malformed +CONTINUE from %s:%d: %s "
                      "(the new ID must have 40 characters)", r->opt.host,
                      r->opt.port, q);
            return REPL_STEP_FULL;
        }
        id[0] = '\0';
        if (nid[0] != '\0')
            memcpy(id, nid, 41);
        *kind = REPL_PSYNC_CONTINUE;
        return REPL_STEP_OK;
    }
    if (strncmp(line, "-NOMASTERLINK", 13) == 0 ||
        strncmp(line, "-LOADING", 8) == 0) {
        repl_fail(r, "PSYNC: %s:%d cannot sync now (retrying): %s",
                  r->opt.host, r->opt.port, q);
        return REPL_STEP_RETRY;
    }
    if (line[0] == '-')
        repl_fail(r, "PSYNC refused by %s:%d: %s", r->opt.host, r->opt.port,
                  q);
    else
        repl_fail(r, "PSYNC: unexpected reply from %s:%d: %s", r->opt.host,
                  r->opt.port, q);
    return REPL_STEP_RETRY;
}
/* [ch10-psync] */

repl_step repl_handshake(repl *r)
{
    repl_set_state(r, REPL_HANDSHAKE);
    repl_step st = introduce(r);
    if (st != REPL_STEP_OK)
        return st;
    repl_set_state(r, REPL_PSYNC);
    repl_psync_reply kind;
    char id[41];
    uint64_t off = 0;
    st = psync(r, &kind, id, &off);
    if (st != REPL_STEP_OK)
        return st;
    if (kind == REPL_PSYNC_FULL)
        return repl_full_sync(r, id, off);
    if (id[0] != '\0' && strcmp(id, r->replid) != 0) {
        repl_log(r, REPL_LOG_INFO, "the master's replication ID changed "
                 "from %s to %s", r->replid, id);
        memcpy(r->replid, id, 41);
    }
    pthread_mutex_lock(&r->mu);
    memcpy(r->st.replid, r->replid, 41);
    r->st.partial_syncs++;
    pthread_mutex_unlock(&r->mu);
    repl_log(r, REPL_LOG_INFO, "partial resync from %s:%d at offset %" PRIu64,
             r->opt.host, r->opt.port, r->offset);
    return REPL_STEP_OK;
}
