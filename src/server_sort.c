/* server_sort.c - read commands of one family: SORT_RO.
 * Chapter 11.
 *
 * SORT_RO is SORT without STORE (redis/redis src/sort.c, sortroCommand()),
 * so it runs chapter 9's engine (src/sort_core.h) and only differs in
 * three places.  Keys named by BY and GET are looked up as a client of a
 * replica sees them: expired means missing, and so does a hash field
 * whose own expiry passed.  A missing GET value is a null, not an empty
 * string.  And a set sorted "BY nosort" is not forced into ALPHA order
 * as SORT ... STORE forces it (Redis does that only for STORE and
 * scripts): it comes back in the set's own, arbitrary order.
 *
 * ALPHA compares bytes.  Redis compares with strcoll() when it does not
 * store, which is byte order in the C locale and for valid UTF-8 in
 * C.UTF-8; other locales, and strings holding NUL bytes, may order
 * differently there.
 */
#include "server_cmd.h"

#include "sort_core.h"

/* BY and GET as a reader sees keys: expired ones are missing. */
static const value *reader_lookup(void *arg, const void *key, size_t len)
{
    server_ctx *x = arg;
    return keyspace_get_live(x->ks, x->db, key, len, x->now_ms);
}

static int reply_sorted(server_ctx *x, sort_job *j, const sort_opts *o)
{
    long long rows = j->end - j->start + 1;
    if (rows < 0)
        rows = 0;
    size_t per = o->ngets ? o->ngets : 1;
    if (reply_array(x->out, (size_t)rows * per) != 0)
        return -1;
    for (long long i = j->start; i <= j->end; i++) {
        const sort_item *it = &j->vec[i];
        if (o->ngets == 0 && reply_bulk(x->out, it->p, it->len) != 0)
            return -1;
        for (size_t g = 0; g < o->ngets; g++) {
            const unsigned char *val;
            size_t vlen;
            int f = sort_pattern(j, &x->argv[o->gets[g]], it->p, it->len,
                                 &val, &vlen);
            if (f < 0 || (f == 1 ? reply_bulk(x->out, val, vlen)
                                 : reply_null(x->out)) != 0)
                return -1;
        }
    }
    return 0;
}

/* SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...]
 *         [ASC|DESC] [ALPHA] */
static int sort_ro(server_ctx *x)
{
    sort_opts o;
    sort_job j = {.lookup = reader_lookup, .arg = x, .now_ms = x->now_ms};
    size_t bad = 0;
    int rc = sort_parse(x->argc, x->argv, false, &o, &bad);
    const value *src = NULL;
    if (rc == SORT_ERR_SYNTAX)
        rc = server_syntax_error(x);
    else if (rc == SORT_ERR_NOTINT)
        rc = server_error(x, "ERR value is not an integer or out of range");
    else if (rc == 0)
        rc = server_lookup(x, 1, -1, &src);
    if (rc == SERVER_OK && src != NULL && src->type != VALUE_LIST &&
        src->type != VALUE_SET && src->type != VALUE_ZSET)
        rc = server_error(x, "WRONGTYPE Operation against a key holding "
                             "the wrong kind of value");
    if (rc == SERVER_OK) {
        int sr = sort_run(&j, &o, src);
        if (sr == SORT_ERR_NOTDOUBLE)
            rc = server_error(x, "ERR One or more scores can't be converted "
                                 "into double");
        else if (sr != 0 || reply_sorted(x, &j, &o) != 0)
            rc = SERVER_NOMEM;
    }
    sort_opts_free(&o);
    sort_job_free(&j);
    return rc == SERVER_NOMEM ? -1 : 0;
}

const server_command server_cmds_sort[] = {
    {.name = "sort_ro", .arity = -2, .flags = SERVER_CMD_READ, .fn = sort_ro,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "generic",
     .since = "7.0.0",
     .summary = "Sort the elements in a list, set or sorted set. Read-only "
                "variant of SORT."},
    {.name = NULL},
};
