/* rdb_soak_gen.c - the soak's settings and datasets (see rdb_soak.h; ch07).
 *
 * Everything here is drawn from the run's seed: the encoding thresholds,
 * then keys of every type whose elements come from tables of boundary
 * lengths and boundary integers (below).  The generator never models what
 * Redis does with a command; it only has to send valid ones, because the
 * comparison asks the server what it holds.
 */
#include "rdb_soak_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the boundaries ------------------------------------------------------- */

/* String lengths on both sides of every width change: RDB integer-string
 * check (up to 11 bytes) and LZF (over 20 bytes), listpack string headers
 * (64, 4096), listpack back-lengths (entry sizes 128 and 16383 = length
 * 125/126 with a 2-byte header, 16377/16378 with a 5-byte one), ziplist
 * prevlen (254) and RDB lengths (64, 16384). */
static const size_t str_lens[] = {
    0, 1, 2, 11, 12, 19, 20, 21, 62, 63, 64, 65, 125, 126, 127, 128, 129,
    251, 252, 253, 254, 255, 4093, 4094, 4095, 4096, 4097, 16376, 16377,
    16378, 16379, 16380, 16383, 16384,
};
/* The 3/4-byte back-length boundary: entry size 2097151 (header 5). */
static const size_t big_lens[] = {2097145, 2097146, 2097147};

/* Integers on both sides of every integer width: listpack 7-bit, 13-bit,
 * 16, 24, 32, 64; ziplist 4-bit immediate and int8; intset 16/32/64; RDB
 * INT8/16/32 string encodings. */
static const int64_t ints[] = {
    0, 1, 12, 13, 127, 128, -1, -128, -129, 255, 256, 4095, 4096, -4096,
    -4097, 32767, 32768, -32768, -32769, 65535, 65536, 8388607, 8388608,
    -8388608, -8388609, 16777216, INT64_C(2147483647), INT64_C(2147483648),
    INT64_C(-2147483648), INT64_C(-2147483649), INT64_C(4294967296),
    INT64_C(1099511627776), INT64_MAX, INT64_MIN, INT64_MAX - 1,
    INT64_MIN + 1,
};

/* Texts that look numeric but are not canonical integers: they must stay
 * strings byte for byte. */
static const char *const odd_nums[] = {
    "-0", "+1", "007", "00", "1e3", "3.14", " 1", "1 ", "-",
    "9223372036854775808", "-9223372036854775809", "0x1f",
    "12345678901234567890", "1.0", "-00",
};

/* Scores: integers, fractions, extremes, signed zero, infinities. */
static const char *const scores[] = {
    "0", "-0", "1", "-1", "0.1", "2.5", "-3.75", "1e308", "-1e308",
    "5e-324", "inf", "-inf", "9007199254740993", "123456789.125", "1",
};

/* --- elements ----------------------------------------------------------------- */

static void arg_bytes_of_len(soak *s, size_t len)
{
    char *b = malloc(len + 1);
    if (b == NULL)
        abort();
    int style = (int)soak_below(&s->rng, 10);
    uint64_t salt = soak_rnd(&s->rng);
    for (size_t i = 0; i < len; i++) {
        if (style < 5)      /* compressible: LZF applies when > 20 bytes */
            b[i] = (char)('a' + (i / 3 + salt) % 7);
        else if (style < 8) /* any byte: NUL, CR, LF, 0xFF */
            b[i] = (char)soak_rnd(&s->rng);
        else                /* digits: integer-looking text */
            b[i] = (char)('1' + (i + salt) % 9);
    }
    soak_arg_add(s, b, len);
    free(b);
}

static int64_t pick_int(soak *s)
{
    int64_t v = PICK(&s->rng, ints);
    int d = (int)soak_below(&s->rng, 3) - 1; /* v-1, v or v+1 */
    if ((d < 0 && v > INT64_MIN) || (d > 0 && v < INT64_MAX))
        v += d;
    return v;
}

/* Append one element: a boundary integer, a non-canonical number, a short
 * string, or a string of a boundary length. */
static void arg_elem(soak *s)
{
    unsigned k = (unsigned)soak_below(&s->rng, s->tiny ? 70 : 100);
    if (k < 30) {
        soak_arg_fmt(s, "%" PRId64, pick_int(s));
    } else if (k < 38) {
        soak_arg_str(s, PICK(&s->rng, odd_nums));
    } else if (k < 70) {
        soak_arg_fmt(s, "e%" PRIu64, soak_below(&s->rng, 1000));
    } else if (k < 72 && s->big && s->bigs_left > 0) {
        s->bigs_left--;
        arg_bytes_of_len(s, PICK(&s->rng, big_lens));
    } else {
        arg_bytes_of_len(s, PICK(&s->rng, str_lens));
    }
}

/* A key name nobody used yet in this run: plain, numeric (stored as an
 * integer-encoded RDB string), of a boundary length, or binary. */
static void arg_key(soak *s, const char *type, size_t i)
{
    unsigned k = (unsigned)soak_below(&s->rng, 10);
    if (k == 0) {
        for (int tries = 0; tries < 8; tries++) {
            int64_t v = pick_int(s);
            bool used = false;
            for (size_t j = 0; j < s->n_num_keys; j++)
                used |= s->num_keys[j] == v;
            if (!used) {
                s->num_keys = realloc(s->num_keys, (s->n_num_keys + 1) *
                                                   sizeof *s->num_keys);
                if (s->num_keys == NULL)
                    abort();
                s->num_keys[s->n_num_keys++] = v;
                soak_arg_fmt(s, "%" PRId64, v);
                return;
            }
        }
    } else if (k == 1) {
        /* RDB length forms change at 64 and 16384 bytes. */
        static const size_t klens[] = {50, 60, 63, 120, 250, 16370, 16380};
        char name[16384 + 64];
        size_t len = PICK(&s->rng, klens);
        memset(name, 'k', len);
        int n = snprintf(name + len, 40, ":%s:%zu", type, i);
        soak_arg_add(s, name, len + (size_t)n);
        return;
    } else if (k == 2) {
        char name[64];
        int n = snprintf(name, sizeof name, "bin\r\n%c\xff:%s:%zu", 0, type,
                         i);
        soak_arg_add(s, name, (size_t)n);
        return;
    }
    soak_arg_fmt(s, "%s:%zu", type, i);
}

/* A collection size: mostly small (listpacks, intsets), sometimes past
 * every default threshold (128 entries, 512 intset members). */
static size_t pick_count(soak *s)
{
    static const size_t counts[] = {1, 1, 2, 3, 4, 7, 8, 9, 16, 33, 64,
                                    127, 128, 129, 200, 513, 600};
    s->tiny = false;
    if (soak_chance(&s->rng, 2)) {
        /* Over 65535 listpack elements (a hash or zset has two per entry):
         * the header's count then reads 65535, "unknown, count them".
         * Small elements only, to stay quick. */
        s->tiny = true;
        return 32768 + soak_below(&s->rng, 2000);
    }
    return PICK(&s->rng, counts);
}

/* --- the settings ------------------------------------------------------------- */

static void config_set(soak *s, const char *name, const char *val)
{
    soak_arg_str(s, "CONFIG");
    soak_arg_str(s, "SET");
    soak_arg_str(s, name);
    soak_arg_str(s, val);
    soak_send(s);
    size_t used = strlen(s->res->config);
    snprintf(s->res->config + used, sizeof s->res->config - used, "%s%s=%s",
             used ? " " : "", name, val);
}

void soak_draw_config(soak *s)
{
    static const char *const entries[] = {"0", "1", "2", "3", "8", "16",
                                          "64", "128", "512", "100000"};
    static const char *const values[] = {"0", "1", "8", "20", "63", "64",
                                         "65", "126", "127", "4096", "16384",
                                         "100000", "3000000"};
    static const char *const intset[] = {"0", "1", "2", "8", "64", "512",
                                         "100000"};
    static const char *const lsize[] = {"-5", "-4", "-3", "-2", "-1", "1",
                                        "2", "3", "8", "128"};
    static const char *const depth[] = {"0", "0", "1", "2", "3"};
    static const char *const snode_entries[] = {"1", "2", "5", "100"};
    static const char *const snode_bytes[] = {"0", "100", "4096", "65536"};
    static const char *const yesno[] = {"yes", "no"};
    config_set(s, "hash-max-listpack-entries", PICK(&s->rng, entries));
    config_set(s, "hash-max-listpack-value", PICK(&s->rng, values));
    config_set(s, "zset-max-listpack-entries", PICK(&s->rng, entries));
    config_set(s, "zset-max-listpack-value", PICK(&s->rng, values));
    config_set(s, "set-max-intset-entries", PICK(&s->rng, intset));
    config_set(s, "list-max-listpack-size", PICK(&s->rng, lsize));
    config_set(s, "list-compress-depth", PICK(&s->rng, depth));
    config_set(s, "stream-node-max-entries", PICK(&s->rng, snode_entries));
    config_set(s, "stream-node-max-bytes", PICK(&s->rng, snode_bytes));
    config_set(s, "rdbcompression", PICK(&s->rng, yesno));
    /* An LRU policy saves each key's idle time (IDLE), an LFU one its
     * access frequency (FREQ); without maxmemory nothing is evicted. */
    static const char *const policy[] = {"noeviction", "allkeys-lru",
                                         "allkeys-lfu", "volatile-lfu"};
    config_set(s, "maxmemory-policy", PICK(&s->rng, policy));
    if (soak_chance(&s->rng, 40)) {
        /* List elements at least this big get a "plain" quicklist node of
         * their own (QUICKLIST_2 container 1) instead of a listpack; the
         * default, 1 GiB, is out of reach of a test. */
        static const char *const plain[] = {"2", "64", "200", "5000"};
        const char *v = PICK(&s->rng, plain);
        soak_arg_str(s, "DEBUG");
        soak_arg_str(s, "QUICKLIST-PACKED-THRESHOLD");
        soak_arg_str(s, v);
        soak_send(s);
        size_t used = strlen(s->res->config);
        snprintf(s->res->config + used, sizeof s->res->config - used,
                 " quicklist-packed-threshold=%s", v);
    }
    soak_drain(s);
}

/* --- the dataset ---------------------------------------------------------------- */


static void gen_string(soak *s, const char *key, size_t klen)
{
    soak_cmd_key(s, "SET", key, klen);
    arg_elem(s);
    soak_send(s);
}

/* RPUSH / LPUSH in batches of at most 64 elements. */
static void gen_list(soak *s, const char *key, size_t klen)
{
    size_t n = pick_count(s);
    while (n > 0) {
        size_t b = n < 64 ? n : 64;
        soak_cmd_key(s, soak_chance(&s->rng, 25) ? "LPUSH" : "RPUSH", key, klen);
        for (size_t i = 0; i < b; i++)
            arg_elem(s);
        soak_send(s);
        n -= b;
    }
    if (soak_chance(&s->rng, 20)) {
        soak_cmd_key(s, "LPOP", key, klen);
        soak_send(s);
    }
}

static void gen_hash(soak *s, const char *key, size_t klen)
{
    size_t n = pick_count(s);
    while (n > 0) {
        size_t b = n < 32 ? n : 32;
        soak_cmd_key(s, "HSET", key, klen);
        for (size_t i = 0; i < b; i++) {
            arg_elem(s);
            arg_elem(s);
        }
        soak_send(s);
        n -= b;
    }
    if (soak_chance(&s->rng, 20)) {
        soak_cmd_key(s, "HDEL", key, klen);
        soak_arg_fmt(s, "%" PRId64, pick_int(s));
        soak_send(s);
    }
}

static void gen_set(soak *s, const char *key, size_t klen)
{
    size_t n = pick_count(s);
    /* Half the sets hold only integers (intsets while small enough), of a
     * width class drawn per set so that 16, 32 and 64-bit intsets occur. */
    bool ints_only = soak_chance(&s->rng, 50);
    int width = (int)soak_below(&s->rng, 3);
    while (n > 0) {
        size_t b = n < 64 ? n : 64;
        soak_cmd_key(s, "SADD", key, klen);
        for (size_t i = 0; i < b; i++) {
            if (!ints_only) {
                arg_elem(s);
            } else if (soak_chance(&s->rng, 30)) {
                soak_arg_fmt(s, "%" PRId64, pick_int(s));
            } else {
                int64_t span = width == 0 ? 32768 : width == 1
                               ? INT64_C(2147483648) : INT64_C(1) << 62;
                int64_t v = (int64_t)soak_below(&s->rng, (uint64_t)span * 2) - span;
                soak_arg_fmt(s, "%" PRId64, v);
            }
        }
        soak_send(s);
        n -= b;
    }
}

static void gen_zset(soak *s, const char *key, size_t klen)
{
    size_t n = pick_count(s);
    bool ties = soak_chance(&s->rng, 20); /* equal scores: order by member */
    while (n > 0) {
        size_t b = n < 32 ? n : 32;
        soak_cmd_key(s, "ZADD", key, klen);
        for (size_t i = 0; i < b; i++) {
            unsigned k = (unsigned)soak_below(&s->rng, 3);
            if (ties)
                soak_arg_str(s, "7");
            else if (k == 0)
                soak_arg_str(s, PICK(&s->rng, scores));
            else if (k == 1)
                soak_arg_fmt(s, "%" PRId64, pick_int(s) / 1024);
            else
                soak_arg_fmt(s, "%.17g", (double)(int64_t)soak_rnd(&s->rng) / 1e9);
            arg_elem(s);
        }
        soak_send(s);
        n -= b;
    }
}

static void arg_id(soak *s, uint64_t ms, uint64_t seq)
{
    soak_arg_fmt(s, "%" PRIu64 "-%" PRIu64, ms, seq);
}

/* A stream: explicit IDs (so deletions can name them), entries that repeat
 * the first entry's fields (stored as "same fields" against the node's
 * master entry) or not, deletions, trimming, groups, consumers, pending
 * entries and acknowledgements. */
static void gen_stream(soak *s, const char *key, size_t klen)
{
    static const size_t counts[] = {0, 1, 2, 3, 5, 10, 50, 200};
    size_t n = PICK(&s->rng, counts);
    uint64_t ms = soak_below(&s->rng, 3) == 0 ? 0
                                         : soak_below(&s->rng, UINT64_C(1) << 45);
    uint64_t seq = soak_below(&s->rng, 3);
    if (ms == 0 && seq == 0)
        seq = 1;
    uint64_t *ids = calloc(n + 1, 2 * sizeof *ids);
    if (ids == NULL)
        abort();
    size_t nf = 1 + soak_below(&s->rng, 4);
    char fields[4][32];
    for (size_t f = 0; f < nf; f++)
        snprintf(fields[f], sizeof fields[f], "%s",
                 soak_chance(&s->rng, 30) ? "f" : f == 0 ? "name" : "v");
    for (size_t f = 0; f < nf; f++)
        if (soak_chance(&s->rng, 50))
            snprintf(fields[f], sizeof fields[f], "%" PRId64, pick_int(s));
    for (size_t i = 0; i < n; i++) {
        soak_cmd_key(s, "XADD", key, klen);
        arg_id(s, ms, seq);
        ids[2 * i] = ms;
        ids[2 * i + 1] = seq;
        if (soak_chance(&s->rng, 70)) {
            for (size_t f = 0; f < nf; f++) {
                soak_arg_str(s, fields[f]);
                arg_elem(s);
            }
        } else {
            size_t m = 1 + soak_below(&s->rng, 5);
            for (size_t f = 0; f < m; f++) {
                arg_elem(s);
                arg_elem(s);
            }
        }
        soak_send(s);
        if (soak_chance(&s->rng, 50)) {
            seq++;
        } else {
            ms += 1 + soak_below(&s->rng, soak_chance(&s->rng, 10) ? UINT64_C(1) << 40
                                                         : 1000);
            seq = soak_below(&s->rng, 2);
        }
    }
    if (n == 0) { /* an empty stream exists only through MKSTREAM */
        soak_cmd_key(s, "XGROUP", "CREATE", 6);
        soak_arg_add(s, key, klen);
        soak_arg_str(s, "g-empty");
        soak_arg_str(s, "$");
        soak_arg_str(s, "MKSTREAM");
        soak_send(s);
    }
    if (n > 0 && soak_chance(&s->rng, 30)) {
        soak_cmd_key(s, "XDEL", key, klen);
        for (size_t i = 0; i < n; i++)
            if (soak_chance(&s->rng, 30))
                arg_id(s, ids[2 * i], ids[2 * i + 1]);
        if (s->argc == 2)
            arg_id(s, ids[0], ids[1]);
        soak_send(s);
    }
    if (n > 2 && soak_chance(&s->rng, 15)) {
        soak_cmd_key(s, "XTRIM", key, klen);
        soak_arg_str(s, "MAXLEN");
        soak_arg_fmt(s, "%zu", n / 2);
        soak_send(s);
    }
    size_t groups = n == 0 ? 0 : soak_below(&s->rng, 4);
    for (size_t g = 0; g < groups; g++) {
        char gname[32];
        snprintf(gname, sizeof gname, "g%zu", g);
        soak_cmd_key(s, "XGROUP", "CREATE", 6);
        soak_arg_add(s, key, klen);
        soak_arg_str(s, gname);
        size_t at = soak_below(&s->rng, n + 1);
        if (at == n)
            soak_arg_str(s, soak_chance(&s->rng, 50) ? "0" : "$");
        else
            arg_id(s, ids[2 * at], ids[2 * at + 1]);
        soak_send(s);
        size_t consumers = soak_below(&s->rng, 4);
        for (size_t c = 0; c < consumers; c++) {
            char cname[32];
            snprintf(cname, sizeof cname, "c%zu", c);
            if (soak_chance(&s->rng, 25)) {
                soak_cmd_key(s, "XGROUP", "CREATECONSUMER", 14);
                soak_arg_add(s, key, klen);
                soak_arg_str(s, gname);
                soak_arg_str(s, cname);
                soak_send(s);
                continue;
            }
            soak_arg_str(s, "XREADGROUP");
            soak_arg_str(s, "GROUP");
            soak_arg_str(s, gname);
            soak_arg_str(s, cname);
            soak_arg_str(s, "COUNT");
            soak_arg_fmt(s, "%" PRIu64, 1 + soak_below(&s->rng, 5));
            soak_arg_str(s, "STREAMS");
            soak_arg_add(s, key, klen);
            soak_arg_str(s, ">");
            soak_send(s);
        }
        if (consumers > 0 && soak_chance(&s->rng, 30)) {
            /* Move a pending entry to another consumer, and set its
             * delivery count. */
            soak_cmd_key(s, "XCLAIM", key, klen);
            soak_arg_str(s, gname);
            soak_arg_str(s, "c9");
            soak_arg_str(s, "0");
            arg_id(s, ids[0], ids[1]);
            soak_arg_str(s, "RETRYCOUNT");
            soak_arg_fmt(s, "%" PRIu64, soak_below(&s->rng, 100000));
            soak_send(s);
        }
        if (consumers > 0 && soak_chance(&s->rng, 50)) {
            soak_cmd_key(s, "XACK", key, klen);
            soak_arg_str(s, gname);
            arg_id(s, ids[0], ids[1]);
            for (size_t i = 1; i < n; i++)
                if (soak_chance(&s->rng, 30))
                    arg_id(s, ids[2 * i], ids[2 * i + 1]);
            soak_send(s);
        }
    }
    if (groups > 0 && soak_chance(&s->rng, 25)) {
        /* Delete entries that may be pending: a PEL may name IDs that no
         * longer exist. */
        soak_cmd_key(s, "XDEL", key, klen);
        arg_id(s, ids[0], ids[1]);
        for (size_t i = 1; i < n; i++)
            if (soak_chance(&s->rng, 20))
                arg_id(s, ids[2 * i], ids[2 * i + 1]);
        soak_send(s);
    }
    if (soak_chance(&s->rng, 15)) {
        /* Move the last ID on, and set the counters XSETID can set. */
        soak_cmd_key(s, "XSETID", key, klen);
        arg_id(s, ms + 5, seq);
        soak_arg_str(s, "ENTRIESADDED");
        soak_arg_fmt(s, "%zu", n + soak_below(&s->rng, 1000));
        soak_arg_str(s, "MAXDELETEDID");
        arg_id(s, ms + 5, seq);
        soak_send(s);
    }
    free(ids);
}

static void gen_expiry(soak *s, const char *key, size_t klen)
{
    unsigned k = (unsigned)soak_below(&s->rng, 100);
    if (k < 20) {
        /* Far enough ahead never to expire during the run. */
        soak_cmd_key(s, "PEXPIREAT", key, klen);
        soak_arg_fmt(s, "%" PRId64, s->now_ms + 3600000 +
                (int64_t)soak_below(&s->rng, UINT64_C(315360000000)));
        soak_send(s);
    } else if (k < 25) {
        soak_cmd_key(s, "EXPIREAT", key, klen);
        soak_arg_fmt(s, "%" PRId64, s->now_ms / 1000 + 7200 +
                (int64_t)soak_below(&s->rng, 1000000000));
        soak_send(s);
        if (soak_chance(&s->rng, 20)) {
            soak_cmd_key(s, "PERSIST", key, klen);
            soak_send(s);
        }
    }
}

void soak_gen_dataset(soak *s)
{
    static const char *const types[] = {"string", "list", "hash", "set",
                                        "zset", "stream"};
    long nkeys = (long)(40 * s->o->scale + 0.5);
    if (nkeys < 6)
        nkeys = 6;
    for (long i = 0; i < nkeys && !s->failed; i++) {
        size_t t = (size_t)i < COUNT_OF(types) ? (size_t)i
                                               : soak_below(&s->rng, COUNT_OF(types));
        /* Some keys go to other databases (SELECTDB in the file). */
        int db = s->ndbs > 1 && soak_chance(&s->rng, 30)
                 ? 1 + (int)soak_below(&s->rng, (uint64_t)s->ndbs - 1) : 0;
        if (db != 0) {
            soak_arg_str(s, "SELECT");
            soak_arg_fmt(s, "%d", db);
            soak_send(s);
        }
        arg_key(s, types[t], (size_t)i);
        char *key = s->argv[0];
        size_t klen = s->lens[0];
        s->argv[0] = NULL;
        s->argc = 0;
        switch (t) {
        case 0: gen_string(s, key, klen); break;
        case 1: gen_list(s, key, klen); break;
        case 2: gen_hash(s, key, klen); break;
        case 3: gen_set(s, key, klen); break;
        case 4: gen_zset(s, key, klen); break;
        default: gen_stream(s, key, klen); break;
        }
        gen_expiry(s, key, klen);
        s->tiny = false;
        if ((size_t)i < COUNT_OF(types)) {
            s->first_key[t] = key;
            s->first_klen[t] = klen;
            s->first_db[t] = db;
        } else {
            free(key);
        }
        if (db != 0) {
            soak_arg_str(s, "SELECT");
            soak_arg_str(s, "0");
            soak_send(s);
        }
        soak_drain(s);
    }
    if (soak_chance(&s->rng, 30)) { /* a function library: the FUNCTION2 record */
        soak_arg_str(s, "FUNCTION");
        soak_arg_str(s, "LOAD");
        soak_arg_fmt(s, "#!lua name=lib%" PRIu64 "\nredis.register_function("
                "'f', function() return 1 end)", s->o->seed);
        soak_send(s);
        soak_drain(s);
    }
}

/* Make the server differ from the file it just saved (opts.tamper). */
void soak_tamper(soak *s)
{
    int m = s->o->tamper;
    int t = m == 4 ? 1 : m == 5 ? 5 : 0; /* the list, the stream, a string */
    soak_arg_str(s, "SELECT");
    soak_arg_fmt(s, "%d", s->first_db[t]);
    soak_send(s);
    const char *key = s->first_key[t];
    size_t klen = s->first_klen[t];
    if (m == 1) {
        soak_arg_str(s, "SET");
        soak_arg_str(s, "soak:added-after-save");
        soak_arg_str(s, "x");
    } else if (m == 2) {
        soak_cmd_key(s, "APPEND", key, klen);
        soak_arg_str(s, "!");
    } else if (m == 3) {
        soak_cmd_key(s, "PEXPIREAT", key, klen);
        soak_arg_fmt(s, "%" PRId64, s->now_ms + 86400000);
    } else if (m == 4) {
        soak_cmd_key(s, "RPUSH", key, klen);
        soak_arg_str(s, "added-after-save");
    } else {
        soak_cmd_key(s, "XADD", key, klen);
        soak_arg_str(s, "*");
        soak_arg_str(s, "added");
        soak_arg_str(s, "after-save");
    }
    soak_send(s);
    soak_arg_str(s, "SELECT");
    soak_arg_str(s, "0");
    soak_send(s);
    soak_drain(s);
}
