/* cmd_restore.c - RESTORE: a value from a DUMP payload.
 * Chapter 9.
 *
 * A master propagates RESTORE as it received it, except that a relative
 * TTL becomes an absolute one followed by ABSTTL; MIGRATE arrives as
 * RESTORE too.  The payload is one RDB object, the writer's RDB version
 * and a CRC-64 (dump_payload.h), so the decoding is chapter 7's reader
 * over the payload's bytes in memory, with the payload's version where
 * the file header would have given one.
 *
 * The order of the checks is Redis's and decides which error a bad
 * command gets: the options first, then BUSYKEY (before the TTL is even
 * parsed), then the TTL, then the footer (version and checksum), then the
 * object.  IDLETIME and FREQ are parsed and validated like Redis, then
 * ignored: they set the LRU clock or LFU counter of the new key, which
 * serve eviction on the master, and a replica keeps neither.
 *
 * A TTL already past (with ABSTTL, or 0 + now overflowing) stores
 * nothing and still replies OK, deleting the old key when REPLACE was
 * given: what a Redis master does (it then propagates DEL).  Redis as a
 * replica stores the key with its past expiry, and so does an applier
 * with cmd_options.replica: a lagging replica applies the master's
 * RESTORE after its time, and the master's next commands find the key
 * (cmd_expire.c says more).
 *
 * Semantics and reply texts: redis/redis 7.0.15 src/cluster.c
 * (restoreCommand, verifyDumpPayload).
 */
#include "cmd.h"
#include "cmd_private.h" /* the applier's options */
#include "dump_payload.h"

/* RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] */
static int cmd_restore(cmd_ctx *c)
{
    bool replace = false, absttl = false;
    long long idle = -1, freq = -1, ttl;
    for (size_t j = 4; j < c->argc; j++) {
        bool more = j + 1 < c->argc;
        if (cmd_arg_is(c, j, "replace")) {
            replace = true;
        } else if (cmd_arg_is(c, j, "absttl")) {
            absttl = true;
        } else if (cmd_arg_is(c, j, "idletime") && more && freq == -1) {
            if (cmd_arg_int(c, j + 1, &idle) != 0)
                return -1;
            if (idle < 0)
                return cmd_error_arg(c, (int)j + 1, "ERR Invalid IDLETIME "
                                     "value, must be >= 0");
            j++;
        } else if (cmd_arg_is(c, j, "freq") && more && idle == -1) {
            if (cmd_arg_int(c, j + 1, &freq) != 0)
                return -1;
            if (freq < 0 || freq > 255)
                return cmd_error_arg(c, (int)j + 1, "ERR Invalid FREQ value, "
                                     "must be >= 0 and <= 255");
            j++;
        } else {
            return cmd_error_arg(c, (int)j, CMD_ERR_SYNTAX);
        }
    }
    /* IDLETIME and FREQ only feed eviction (see the file comment). */
    const resp_value *key = &c->argv[1];
    if (!replace && keyspace_lookup(c->ks, c->db, key->str, key->len) != NULL)
        return cmd_error_arg(c, 1, "BUSYKEY Target key name already exists.");
    if (cmd_arg_int(c, 2, &ttl) != 0)
        return -1;
    if (ttl < 0)
        return cmd_error_arg(c, 2, "ERR Invalid TTL value, must be >= 0");

    value *v;
    char why[256];
    switch (dump_payload_decode(c->argv[3].str, c->argv[3].len, &v, why,
                               sizeof why)) {
    case DUMP_PAYLOAD_OK: break;
    case DUMP_PAYLOAD_FOOTER:
        return cmd_error_arg(c, 3, "ERR DUMP payload version or checksum "
                             "are wrong");
    case DUMP_PAYLOAD_DATA:
        return cmd_error_arg(c, 3, "ERR Bad data format");
    default:
        return -1; /* ENOMEM */
    }

    if (ttl != 0 && !absttl) /* wraps as Redis's long long addition does */
        ttl = (long long)((unsigned long long)ttl +
                          (unsigned long long)c->now_ms);
    if (ttl != 0 && ttl <= c->now_ms && !c->app->opt.replica) {
        value_free(v);
        if (replace &&
            keyspace_delete(c->ks, c->db, key->str, key->len) < 0)
            return -1;
        return 0;
    }
    v->expire_ms = ttl != 0 ? ttl : VALUE_NO_EXPIRY;
    return keyspace_put(c->ks, c->db, key->str, key->len, v);
}

const cmd_spec cmd_restore_table[] = {
    {"restore", -4, CMD_WRITE, cmd_restore},
    {0},
};
