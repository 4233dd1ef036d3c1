/* rdb_soak.c - random datasets through a real redis-server, compared with
 * what the RDB reader loads (see rdb_soak.h; chapter 7).
 *
 * One run is three phases.  Build: draw the server settings, then keys of
 * random types whose elements come from tables of boundary lengths and
 * boundary integers; commands are pipelined per key and every reply is
 * checked, so a harness mistake shows as "could not run", never as a
 * difference.  Load: SAVE, then rdb_load_file() into a naive store, and a
 * second rdb_parse() pass only to count the encodings the file used.
 * Compare: for every key we loaded, ask the server for its type, expiry and
 * contents and compare field by field; DBSIZE must equal our key count, so
 * a key the reader dropped is caught as well as one it misread.  The
 * server is the reference: whatever it holds after the commands is what
 * the dump must contain, so the generator never models Redis semantics.
 */
#include "rdb_soak.h"

#include "rdb.h"
#include "redis_server.h"
#include "resp_client.h"
#include "store_naive.h"
#include "test_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* --- randomness ------------------------------------------------------------- */

/* splitmix64: tiny, full period, and every seed gives a different stream. */
static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t *s, uint64_t n)
{
    return n == 0 ? 0 : rnd(s) % n;
}

static bool chance(uint64_t *s, unsigned pct)
{
    return below(s, 100) < pct;
}

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(s, a) ((a)[below((s), COUNT_OF(a))])

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

/* --- one run's state -------------------------------------------------------- */

typedef struct soak {
    uint64_t rng;
    const rdb_soak_opts *o;
    rdb_soak_result *res;
    resp_client c;
    bool failed;           /* res->diff holds the reason */
    int status;            /* what rdb_soak_run returns once failed */
    bool big;              /* 2 MiB elements allowed in this run */
    int bigs_left;         /* how many more */
    int64_t now_ms;
    int ndbs;              /* databases in use: 0 .. ndbs-1 */
    int cur_db;            /* the one being compared */
    bool tiny;             /* the current key is huge: small elements only */
    unsigned char *dump;   /* the dump in memory when read in chunks */
    size_t dump_len;
    size_t chunk;          /* bytes per source call */
    /* the first key of each type and its database, for tamper */
    char *first_key[6];
    size_t first_klen[6];
    int first_db[6];
    /* the command being built */
    char **argv;
    size_t *lens;
    size_t argc, cap;
    /* numeric key names in use */
    int64_t *num_keys;
    size_t n_num_keys;
} soak;

static void soak_fail(soak *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void soak_fail(soak *s, int status, const char *fmt, ...)
{
    if (s->failed)
        return;
    s->failed = true;
    s->status = status;
    int n = snprintf(s->res->diff, sizeof s->res->diff, "seed %" PRIu64 ": ",
                     s->o->seed);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->res->diff + n, sizeof s->res->diff - (size_t)n, fmt, ap);
    va_end(ap);
}

/* --- building commands ------------------------------------------------------ */

static void arg_reset(soak *s)
{
    for (size_t i = 0; i < s->argc; i++)
        free(s->argv[i]);
    s->argc = 0;
}

static void arg_add(soak *s, const void *p, size_t len)
{
    if (s->argc == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->argv = realloc(s->argv, s->cap * sizeof *s->argv);
        s->lens = realloc(s->lens, s->cap * sizeof *s->lens);
        if (s->argv == NULL || s->lens == NULL) {
            fprintf(stderr, "rdb_soak: out of memory\n");
            abort();
        }
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        fprintf(stderr, "rdb_soak: out of memory\n");
        abort();
    }
    if (len > 0)
        memcpy(copy, p, len);
    copy[len] = '\0';
    s->argv[s->argc] = copy;
    s->lens[s->argc++] = len;
}

static void arg_str(soak *s, const char *str)
{
    arg_add(s, str, strlen(str));
}

static void arg_fmt(soak *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void arg_fmt(soak *s, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    arg_str(s, buf);
}

/* Queue the command built so far and start the next. */
static void send_cmd(soak *s)
{
    if (!s->failed && resp_client_send(&s->c, s->argc,
                                       (const char *const *)s->argv,
                                       s->lens) != 0)
        soak_fail(s, -1, "%s", s->c.err);
    s->res->commands++;
    arg_reset(s);
}

/* Read every queued reply; an error reply means the generator is wrong. */
static void drain(soak *s)
{
    while (!s->failed && s->c.pending > 0) {
        resp_value r;
        if (resp_client_reply(&s->c, &r) != 0) {
            soak_fail(s, -1, "%s", s->c.err);
            return;
        }
        if (r.type == RESP_ERROR)
            soak_fail(s, -1, "the server refused a generated command: %s", r.str);
        resp_value_clear(&r);
    }
}

/* --- elements ----------------------------------------------------------------- */

static void arg_bytes_of_len(soak *s, size_t len)
{
    char *b = malloc(len + 1);
    if (b == NULL)
        abort();
    int style = (int)below(&s->rng, 10);
    uint64_t salt = rnd(&s->rng);
    for (size_t i = 0; i < len; i++) {
        if (style < 5)      /* compressible: LZF applies when > 20 bytes */
            b[i] = (char)('a' + (i / 3 + salt) % 7);
        else if (style < 8) /* any byte: NUL, CR, LF, 0xFF */
            b[i] = (char)rnd(&s->rng);
        else                /* digits: integer-looking text */
            b[i] = (char)('1' + (i + salt) % 9);
    }
    arg_add(s, b, len);
    free(b);
}

static int64_t pick_int(soak *s)
{
    int64_t v = PICK(&s->rng, ints);
    int d = (int)below(&s->rng, 3) - 1; /* v-1, v or v+1 */
    if ((d < 0 && v > INT64_MIN) || (d > 0 && v < INT64_MAX))
        v += d;
    return v;
}

/* Append one element: a boundary integer, a non-canonical number, a short
 * string, or a string of a boundary length. */
static void arg_elem(soak *s)
{
    unsigned k = (unsigned)below(&s->rng, s->tiny ? 70 : 100);
    if (k < 30) {
        arg_fmt(s, "%" PRId64, pick_int(s));
    } else if (k < 38) {
        arg_str(s, PICK(&s->rng, odd_nums));
    } else if (k < 70) {
        arg_fmt(s, "e%" PRIu64, below(&s->rng, 1000));
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
    unsigned k = (unsigned)below(&s->rng, 10);
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
                arg_fmt(s, "%" PRId64, v);
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
        arg_add(s, name, len + (size_t)n);
        return;
    } else if (k == 2) {
        char name[64];
        int n = snprintf(name, sizeof name, "bin\r\n%c\xff:%s:%zu", 0, type,
                         i);
        arg_add(s, name, (size_t)n);
        return;
    }
    arg_fmt(s, "%s:%zu", type, i);
}

/* A collection size: mostly small (listpacks, intsets), sometimes past
 * every default threshold (128 entries, 512 intset members). */
static size_t pick_count(soak *s)
{
    static const size_t counts[] = {1, 1, 2, 3, 4, 7, 8, 9, 16, 33, 64,
                                    127, 128, 129, 200, 513, 600};
    s->tiny = false;
    if (chance(&s->rng, 2)) {
        /* Over 65535 listpack elements (a hash or zset has two per entry):
         * the header's count then reads 65535, "unknown, count them".
         * Small elements only, to stay quick. */
        s->tiny = true;
        return 32768 + below(&s->rng, 2000);
    }
    return PICK(&s->rng, counts);
}

/* --- the settings ------------------------------------------------------------- */

static void config_set(soak *s, const char *name, const char *val)
{
    arg_str(s, "CONFIG");
    arg_str(s, "SET");
    arg_str(s, name);
    arg_str(s, val);
    send_cmd(s);
    size_t used = strlen(s->res->config);
    snprintf(s->res->config + used, sizeof s->res->config - used, "%s%s=%s",
             used ? " " : "", name, val);
}

static void draw_config(soak *s)
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
    if (chance(&s->rng, 40)) {
        /* List elements at least this big get a "plain" quicklist node of
         * their own (QUICKLIST_2 container 1) instead of a listpack; the
         * default, 1 GiB, is out of reach of a test. */
        static const char *const plain[] = {"2", "64", "200", "5000"};
        const char *v = PICK(&s->rng, plain);
        arg_str(s, "DEBUG");
        arg_str(s, "QUICKLIST-PACKED-THRESHOLD");
        arg_str(s, v);
        send_cmd(s);
        size_t used = strlen(s->res->config);
        snprintf(s->res->config + used, sizeof s->res->config - used,
                 " quicklist-packed-threshold=%s", v);
    }
    drain(s);
}

/* --- the dataset ---------------------------------------------------------------- */

/* Start a command whose second argument is the key (kept in key/klen). */
static void cmd_key(soak *s, const char *cmd, const char *key, size_t klen)
{
    arg_str(s, cmd);
    arg_add(s, key, klen);
}

static void gen_string(soak *s, const char *key, size_t klen)
{
    cmd_key(s, "SET", key, klen);
    arg_elem(s);
    send_cmd(s);
}

/* RPUSH / LPUSH in batches of at most 64 elements. */
static void gen_list(soak *s, const char *key, size_t klen)
{
    size_t n = pick_count(s);
    while (n > 0) {
        size_t b = n < 64 ? n : 64;
        cmd_key(s, chance(&s->rng, 25) ? "LPUSH" : "RPUSH", key, klen);
        for (size_t i = 0; i < b; i++)
            arg_elem(s);
        send_cmd(s);
        n -= b;
    }
    if (chance(&s->rng, 20)) {
        cmd_key(s, "LPOP", key, klen);
        send_cmd(s);
    }
}

static void gen_hash(soak *s, const char *key, size_t klen)
{
    size_t n = pick_count(s);
    while (n > 0) {
        size_t b = n < 32 ? n : 32;
        cmd_key(s, "HSET", key, klen);
        for (size_t i = 0; i < b; i++) {
            arg_elem(s);
            arg_elem(s);
        }
        send_cmd(s);
        n -= b;
    }
    if (chance(&s->rng, 20)) {
        cmd_key(s, "HDEL", key, klen);
        arg_fmt(s, "%" PRId64, pick_int(s));
        send_cmd(s);
    }
}

static void gen_set(soak *s, const char *key, size_t klen)
{
    size_t n = pick_count(s);
    /* Half the sets hold only integers (intsets while small enough), of a
     * width class drawn per set so that 16, 32 and 64-bit intsets occur. */
    bool ints_only = chance(&s->rng, 50);
    int width = (int)below(&s->rng, 3);
    while (n > 0) {
        size_t b = n < 64 ? n : 64;
        cmd_key(s, "SADD", key, klen);
        for (size_t i = 0; i < b; i++) {
            if (!ints_only) {
                arg_elem(s);
            } else if (chance(&s->rng, 30)) {
                arg_fmt(s, "%" PRId64, pick_int(s));
            } else {
                int64_t span = width == 0 ? 32768 : width == 1
                               ? INT64_C(2147483648) : INT64_C(1) << 62;
                int64_t v = (int64_t)below(&s->rng, (uint64_t)span * 2) - span;
                arg_fmt(s, "%" PRId64, v);
            }
        }
        send_cmd(s);
        n -= b;
    }
}

static void gen_zset(soak *s, const char *key, size_t klen)
{
    size_t n = pick_count(s);
    bool ties = chance(&s->rng, 20); /* equal scores: order by member */
    while (n > 0) {
        size_t b = n < 32 ? n : 32;
        cmd_key(s, "ZADD", key, klen);
        for (size_t i = 0; i < b; i++) {
            unsigned k = (unsigned)below(&s->rng, 3);
            if (ties)
                arg_str(s, "7");
            else if (k == 0)
                arg_str(s, PICK(&s->rng, scores));
            else if (k == 1)
                arg_fmt(s, "%" PRId64, pick_int(s) / 1024);
            else
                arg_fmt(s, "%.17g", (double)(int64_t)rnd(&s->rng) / 1e9);
            arg_elem(s);
        }
        send_cmd(s);
        n -= b;
    }
}

static void arg_id(soak *s, uint64_t ms, uint64_t seq)
{
    arg_fmt(s, "%" PRIu64 "-%" PRIu64, ms, seq);
}

/* A stream: explicit IDs (so deletions can name them), entries that repeat
 * the first entry's fields (stored as "same fields" against the node's
 * master entry) or not, deletions, trimming, groups, consumers, pending
 * entries and acknowledgements. */
static void gen_stream(soak *s, const char *key, size_t klen)
{
    static const size_t counts[] = {0, 1, 2, 3, 5, 10, 50, 200};
    size_t n = PICK(&s->rng, counts);
    uint64_t ms = below(&s->rng, 3) == 0 ? 0
                                         : below(&s->rng, UINT64_C(1) << 45);
    uint64_t seq = below(&s->rng, 3);
    if (ms == 0 && seq == 0)
        seq = 1;
    uint64_t *ids = calloc(n + 1, 2 * sizeof *ids);
    if (ids == NULL)
        abort();
    size_t nf = 1 + below(&s->rng, 4);
    char fields[4][32];
    for (size_t f = 0; f < nf; f++)
        snprintf(fields[f], sizeof fields[f], "%s",
                 chance(&s->rng, 30) ? "f" : f == 0 ? "name" : "v");
    for (size_t f = 0; f < nf; f++)
        if (chance(&s->rng, 50))
            snprintf(fields[f], sizeof fields[f], "%" PRId64, pick_int(s));
    for (size_t i = 0; i < n; i++) {
        cmd_key(s, "XADD", key, klen);
        arg_id(s, ms, seq);
        ids[2 * i] = ms;
        ids[2 * i + 1] = seq;
        if (chance(&s->rng, 70)) {
            for (size_t f = 0; f < nf; f++) {
                arg_str(s, fields[f]);
                arg_elem(s);
            }
        } else {
            size_t m = 1 + below(&s->rng, 5);
            for (size_t f = 0; f < m; f++) {
                arg_elem(s);
                arg_elem(s);
            }
        }
        send_cmd(s);
        if (chance(&s->rng, 50)) {
            seq++;
        } else {
            ms += 1 + below(&s->rng, chance(&s->rng, 10) ? UINT64_C(1) << 40
                                                         : 1000);
            seq = below(&s->rng, 2);
        }
    }
    if (n == 0) { /* an empty stream exists only through MKSTREAM */
        cmd_key(s, "XGROUP", "CREATE", 6);
        arg_add(s, key, klen);
        arg_str(s, "g-empty");
        arg_str(s, "$");
        arg_str(s, "MKSTREAM");
        send_cmd(s);
    }
    if (n > 0 && chance(&s->rng, 30)) {
        cmd_key(s, "XDEL", key, klen);
        for (size_t i = 0; i < n; i++)
            if (chance(&s->rng, 30))
                arg_id(s, ids[2 * i], ids[2 * i + 1]);
        if (s->argc == 2)
            arg_id(s, ids[0], ids[1]);
        send_cmd(s);
    }
    if (n > 2 && chance(&s->rng, 15)) {
        cmd_key(s, "XTRIM", key, klen);
        arg_str(s, "MAXLEN");
        arg_fmt(s, "%zu", n / 2);
        send_cmd(s);
    }
    size_t groups = n == 0 ? 0 : below(&s->rng, 4);
    for (size_t g = 0; g < groups; g++) {
        char gname[32];
        snprintf(gname, sizeof gname, "g%zu", g);
        cmd_key(s, "XGROUP", "CREATE", 6);
        arg_add(s, key, klen);
        arg_str(s, gname);
        size_t at = below(&s->rng, n + 1);
        if (at == n)
            arg_str(s, chance(&s->rng, 50) ? "0" : "$");
        else
            arg_id(s, ids[2 * at], ids[2 * at + 1]);
        send_cmd(s);
        size_t consumers = below(&s->rng, 4);
        for (size_t c = 0; c < consumers; c++) {
            char cname[32];
            snprintf(cname, sizeof cname, "c%zu", c);
            if (chance(&s->rng, 25)) {
                cmd_key(s, "XGROUP", "CREATECONSUMER", 14);
                arg_add(s, key, klen);
                arg_str(s, gname);
                arg_str(s, cname);
                send_cmd(s);
                continue;
            }
            arg_str(s, "XREADGROUP");
            arg_str(s, "GROUP");
            arg_str(s, gname);
            arg_str(s, cname);
            arg_str(s, "COUNT");
            arg_fmt(s, "%" PRIu64, 1 + below(&s->rng, 5));
            arg_str(s, "STREAMS");
            arg_add(s, key, klen);
            arg_str(s, ">");
            send_cmd(s);
        }
        if (consumers > 0 && chance(&s->rng, 30)) {
            /* Move a pending entry to another consumer, and set its
             * delivery count. */
            cmd_key(s, "XCLAIM", key, klen);
            arg_str(s, gname);
            arg_str(s, "c9");
            arg_str(s, "0");
            arg_id(s, ids[0], ids[1]);
            arg_str(s, "RETRYCOUNT");
            arg_fmt(s, "%" PRIu64, below(&s->rng, 100000));
            send_cmd(s);
        }
        if (consumers > 0 && chance(&s->rng, 50)) {
            cmd_key(s, "XACK", key, klen);
            arg_str(s, gname);
            arg_id(s, ids[0], ids[1]);
            for (size_t i = 1; i < n; i++)
                if (chance(&s->rng, 30))
                    arg_id(s, ids[2 * i], ids[2 * i + 1]);
            send_cmd(s);
        }
    }
    if (groups > 0 && chance(&s->rng, 25)) {
        /* Delete entries that may be pending: a PEL may name IDs that no
         * longer exist. */
        cmd_key(s, "XDEL", key, klen);
        arg_id(s, ids[0], ids[1]);
        for (size_t i = 1; i < n; i++)
            if (chance(&s->rng, 20))
                arg_id(s, ids[2 * i], ids[2 * i + 1]);
        send_cmd(s);
    }
    if (chance(&s->rng, 15)) {
        /* Move the last ID on, and set the counters XSETID can set. */
        cmd_key(s, "XSETID", key, klen);
        arg_id(s, ms + 5, seq);
        arg_str(s, "ENTRIESADDED");
        arg_fmt(s, "%zu", n + below(&s->rng, 1000));
        arg_str(s, "MAXDELETEDID");
        arg_id(s, ms + 5, seq);
        send_cmd(s);
    }
    free(ids);
}

static void gen_expiry(soak *s, const char *key, size_t klen)
{
    unsigned k = (unsigned)below(&s->rng, 100);
    if (k < 20) {
        /* Far enough ahead never to expire during the run. */
        cmd_key(s, "PEXPIREAT", key, klen);
        arg_fmt(s, "%" PRId64, s->now_ms + 3600000 +
                (int64_t)below(&s->rng, UINT64_C(315360000000)));
        send_cmd(s);
    } else if (k < 25) {
        cmd_key(s, "EXPIREAT", key, klen);
        arg_fmt(s, "%" PRId64, s->now_ms / 1000 + 7200 +
                (int64_t)below(&s->rng, 1000000000));
        send_cmd(s);
        if (chance(&s->rng, 20)) {
            cmd_key(s, "PERSIST", key, klen);
            send_cmd(s);
        }
    }
}

static void gen_dataset(soak *s)
{
    static const char *const types[] = {"string", "list", "hash", "set",
                                        "zset", "stream"};
    long nkeys = (long)(40 * s->o->scale + 0.5);
    if (nkeys < 6)
        nkeys = 6;
    for (long i = 0; i < nkeys && !s->failed; i++) {
        size_t t = (size_t)i < COUNT_OF(types) ? (size_t)i
                                               : below(&s->rng, COUNT_OF(types));
        /* Some keys go to other databases (SELECTDB in the file). */
        int db = s->ndbs > 1 && chance(&s->rng, 30)
                 ? 1 + (int)below(&s->rng, (uint64_t)s->ndbs - 1) : 0;
        if (db != 0) {
            arg_str(s, "SELECT");
            arg_fmt(s, "%d", db);
            send_cmd(s);
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
            arg_str(s, "SELECT");
            arg_str(s, "0");
            send_cmd(s);
        }
        drain(s);
    }
    if (chance(&s->rng, 30)) { /* a function library: the FUNCTION2 record */
        arg_str(s, "FUNCTION");
        arg_str(s, "LOAD");
        arg_fmt(s, "#!lua name=lib%" PRIu64 "\nredis.register_function("
                "'f', function() return 1 end)", s->o->seed);
        send_cmd(s);
        drain(s);
    }
}

/* --- comparing ------------------------------------------------------------------ */

typedef struct loaded_key {
    const unsigned char *key;
    size_t klen;
    const value *v;
} loaded_key;

typedef struct key_list {
    loaded_key *k;
    size_t n, cap;
} key_list;

static int collect(const void *key, size_t klen, const value *v, void *arg)
{
    key_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->k = realloc(l->k, l->cap * sizeof *l->k);
        if (l->k == NULL)
            abort();
    }
    l->k[l->n++] = (loaded_key){key, klen, v};
    return 0;
}

/* The key being compared, escaped, for messages; a long one shows its
 * head and its (distinguishing) tail. */
static const char *kname(const loaded_key *k, char *buf, size_t sz)
{
    if (k->klen <= 48)
        return test_escape(buf, sz, k->key, k->klen);
    char head[40], tail[64];
    test_escape(head, sizeof head, k->key, 12);
    test_escape(tail, sizeof tail, k->key + k->klen - 20, 20);
    if (snprintf(buf, sz, "%s...(%zu bytes)...%s", head, k->klen, tail) < 0)
        buf[0] = '\0';
    return buf;
}

#define DIFF(s, k, ...)                                                    \
    do {                                                                   \
        char kb_[160], msg_[700];                                          \
        snprintf(msg_, sizeof msg_, __VA_ARGS__);                          \
        soak_fail((s), 1, "db %d key \"%s\": %s", (s)->cur_db,           \
                  kname((k), kb_, sizeof kb_), msg_);                      \
    } while (0)

static bool is_str(const resp_value *r)
{
    return r->type == RESP_BULK || r->type == RESP_SIMPLE;
}

/* Compare one element; on a difference say which and show both sides. */
static bool same_elem(soak *s, const loaded_key *k, const char *what,
                      size_t i, const resp_value *srv, const void *p,
                      size_t len)
{
    if (is_str(srv) && srv->len == len && memcmp(srv->str, p, len) == 0)
        return true;
    char a[80], b[80];
    DIFF(s, k, "%s %zu: server \"%s\" (%zu bytes), file \"%s\" (%zu bytes)",
         what, i, is_str(srv) ? test_escape(a, sizeof a, srv->str, srv->len)
                              : resp_type_name(srv->type),
         is_str(srv) ? srv->len : 0, test_escape(b, sizeof b, p, len), len);
    return false;
}

static bool want_array(soak *s, const loaded_key *k, const char *what,
                       const resp_value *r, size_t n)
{
    if (r->type == RESP_ARRAY && r->len == n)
        return true;
    DIFF(s, k, "%s: server has %zu, file has %zu", what,
         r->type == RESP_ARRAY ? r->len : 0, n);
    return false;
}

static void cmp_list(soak *s, const loaded_key *k, const resp_value *r)
{
    const value *v = k->v;
    if (!want_array(s, k, "list length", r, v->u.list.count))
        return;
    for (size_t i = 0; i < r->len; i++)
        if (!same_elem(s, k, "list element", i, &r->elems[i],
                       v->u.list.items[i].bytes, v->u.list.items[i].len))
            return;
}

static void cmp_set(soak *s, const loaded_key *k, const resp_value *r)
{
    const value *v = k->v;
    if (!want_array(s, k, "set size", r, v->u.set.count))
        return;
    for (size_t i = 0; i < r->len; i++) {
        const resp_value *m = &r->elems[i];
        if (!is_str(m) || !value_set_has(v, m->str, m->len)) {
            char a[80];
            DIFF(s, k, "set member \"%s\" missing from the file",
                 is_str(m) ? test_escape(a, sizeof a, m->str, m->len) : "?");
            return;
        }
    }
}

static void cmp_hash(soak *s, const loaded_key *k, const resp_value *r)
{
    const value *v = k->v;
    if (!want_array(s, k, "hash fields (x2)", r, 2 * v->u.hash.count))
        return;
    for (size_t i = 0; i + 1 < r->len; i += 2) {
        const resp_value *f = &r->elems[i];
        long pos = is_str(f) ? value_hash_find(v, f->str, f->len) : -1;
        if (pos < 0) {
            char a[80];
            DIFF(s, k, "hash field \"%s\" missing from the file",
                 is_str(f) ? test_escape(a, sizeof a, f->str, f->len) : "?");
            return;
        }
        const value_elem *e = &v->u.hash.fv[2 * pos + 1];
        if (!same_elem(s, k, "value of hash field", i / 2, &r->elems[i + 1],
                       e->bytes, e->len))
            return;
    }
}

static void cmp_zset(soak *s, const loaded_key *k, const resp_value *r)
{
    const value *v = k->v;
    if (!want_array(s, k, "zset members (x2)", r, 2 * v->u.zset.count))
        return;
    for (size_t i = 0; i + 1 < r->len; i += 2) {
        const value_zentry *e = &v->u.zset.entries[i / 2];
        if (!same_elem(s, k, "zset member (by rank)", i / 2, &r->elems[i],
                       e->member.bytes, e->member.len))
            return;
        const resp_value *sc = &r->elems[i + 1];
        double d = is_str(sc) ? strtod(sc->str, NULL) : NAN;
        if (!(d == e->score && signbit(d) == signbit(e->score))) {
            DIFF(s, k, "score of member %zu: server %s, file %.17g", i / 2,
                 is_str(sc) ? sc->str : "?", e->score);
            return;
        }
    }
}

/* Parse "ms-seq". */
static bool parse_id(const resp_value *r, value_stream_id *id)
{
    if (r == NULL || !is_str(r))
        return false;
    char *end;
    id->ms = strtoull(r->str, &end, 10);
    if (*end != '-')
        return false;
    id->seq = strtoull(end + 1, &end, 10);
    return *end == '\0';
}

static bool same_id(soak *s, const loaded_key *k, const char *what,
                    const resp_value *r, value_stream_id want)
{
    value_stream_id got;
    if (parse_id(r, &got) && got.ms == want.ms && got.seq == want.seq)
        return true;
    DIFF(s, k, "%s: server %s, file %" PRIu64 "-%" PRIu64, what,
         r && is_str(r) ? r->str : "(missing)", want.ms, want.seq);
    return false;
}

static bool same_int(soak *s, const loaded_key *k, const char *what,
                     const resp_value *r, int64_t want)
{
    if (r != NULL && r->type == RESP_INTEGER && r->integer == want)
        return true;
    DIFF(s, k, "%s: server %s%" PRId64 ", file %" PRId64, what,
         r == NULL ? "(missing) " : r->type == RESP_INTEGER ? "" : "(not "
         "an integer) ", r && r->type == RESP_INTEGER ? r->integer : 0, want);
    return false;
}

/* Value of a name in a RESP2 "map" (a flat array of name, value, ...). */
static const resp_value *field(const resp_value *map, const char *name)
{
    if (map == NULL || map->type != RESP_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < map->len; i += 2)
        if (is_str(&map->elems[i]) && strcmp(map->elems[i].str, name) == 0)
            return &map->elems[i + 1];
    return NULL;
}

/* field(), or a difference naming what XINFO did not say. */
static const resp_value *need(soak *s, const loaded_key *k,
                              const resp_value *map, const char *name)
{
    const resp_value *v = field(map, name);
    if (v == NULL)
        DIFF(s, k, "XINFO STREAM FULL has no \"%s\"", name);
    return v;
}

static void cmp_stream_entries(soak *s, const loaded_key *k,
                               const resp_value *r)
{
    const value_stream *st = k->v->u.stream;
    if (!want_array(s, k, "stream entries", r, st->nentries))
        return;
    for (size_t i = 0; i < r->len; i++) {
        const value_stream_entry *e = &st->entries[i];
        const resp_value *x = &r->elems[i];
        if (x->type != RESP_ARRAY || x->len != 2) {
            DIFF(s, k, "XRANGE entry %zu is not [id, fields]", i);
            return;
        }
        char what[64];
        snprintf(what, sizeof what, "ID of entry %zu", i);
        if (!same_id(s, k, what, &x->elems[0], e->id))
            return;
        snprintf(what, sizeof what, "fields of entry %zu (x2)", i);
        if (!want_array(s, k, what, &x->elems[1], 2 * e->nfields))
            return;
        for (size_t j = 0; j < x->elems[1].len; j++) {
            snprintf(what, sizeof what, "entry %zu field/value", i);
            if (!same_elem(s, k, what, j, &x->elems[1].elems[j],
                           e->fv[j].bytes, e->fv[j].len))
                return;
        }
    }
}

static const value_stream_group *find_group(const value_stream *st,
                                            const resp_value *name)
{
    for (size_t i = 0; name && is_str(name) && i < st->ngroups; i++)
        if (st->groups[i].name.len == name->len &&
            memcmp(st->groups[i].name.bytes, name->str, name->len) == 0)
            return &st->groups[i];
    return NULL;
}

static const value_stream_consumer *
find_consumer(const value_stream_group *g, const resp_value *name)
{
    for (size_t i = 0; name && is_str(name) && i < g->nconsumers; i++)
        if (g->consumers[i].name.len == name->len &&
            memcmp(g->consumers[i].name.bytes, name->str, name->len) == 0)
            return &g->consumers[i];
    return NULL;
}

static void cmp_consumer(soak *s, const loaded_key *k, const char *gname,
                         const value_stream_group *g, const resp_value *cm)
{
    const resp_value *name = field(cm, "name");
    const value_stream_consumer *c = find_consumer(g, name);
    char what[128];
    if (c == NULL) {
        DIFF(s, k, "group %s: consumer %s missing from the file", gname,
             name && is_str(name) ? name->str : "?");
        return;
    }
    snprintf(what, sizeof what, "group %s consumer %s seen-time", gname,
             name->str);
    if (!same_int(s, k, what, field(cm, "seen-time"), c->seen_time_ms))
        return;
    const resp_value *at = field(cm, "active-time");
    snprintf(what, sizeof what, "group %s consumer %s active-time", gname,
             name->str);
    if (at != NULL && !same_int(s, k, what, at, c->active_time_ms))
        return;
    snprintf(what, sizeof what, "group %s consumer %s pending", gname,
             name->str);
    const resp_value *pel = need(s, k, cm, "pending");
    if (pel == NULL)
        return;
    if (!want_array(s, k, what, pel, c->npel))
        return;
    for (size_t i = 0; i < pel->len; i++) {
        const resp_value *p = &pel->elems[i];
        snprintf(what, sizeof what, "group %s consumer %s pending %zu",
                 gname, name->str, i);
        if (!same_id(s, k, what, p->type == RESP_ARRAY && p->len > 0
                     ? &p->elems[0] : NULL, c->pel[i]))
            return;
    }
}

static void cmp_group(soak *s, const loaded_key *k, const resp_value *gm)
{
    const value_stream *st = k->v->u.stream;
    const resp_value *name = field(gm, "name");
    const value_stream_group *g = find_group(st, name);
    if (g == NULL) {
        DIFF(s, k, "group %s missing from the file",
             name && is_str(name) ? name->str : "?");
        return;
    }
    const char *gn = name->str;
    char what[128];
    snprintf(what, sizeof what, "group %s last-delivered-id", gn);
    if (!same_id(s, k, what, field(gm, "last-delivered-id"), g->last_id))
        return;
    const resp_value *er = field(gm, "entries-read");
    if (er != NULL) {
        bool ok = er->type == RESP_NULL ? g->entries_read == UINT64_MAX
                : er->type == RESP_INTEGER &&
                  (uint64_t)er->integer == g->entries_read;
        if (!ok) {
            DIFF(s, k, "group %s entries-read: server %" PRId64 "%s, file %"
                 PRIu64, gn, er->type == RESP_INTEGER ? er->integer : 0,
                 er->type == RESP_NULL ? " (nil)" : "", g->entries_read);
            return;
        }
    }
    snprintf(what, sizeof what, "group %s pending entries", gn);
    const resp_value *pel = need(s, k, gm, "pending");
    if (pel == NULL)
        return;
    if (!want_array(s, k, what, pel, g->npel))
        return;
    for (size_t i = 0; i < pel->len; i++) {
        const resp_value *p = &pel->elems[i];
        const value_stream_nack *n = &g->pel[i];
        snprintf(what, sizeof what, "group %s pending entry %zu", gn, i);
        if (p->type != RESP_ARRAY || p->len != 4) {
            DIFF(s, k, "%s is not [id, consumer, time, count]", what);
            return;
        }
        if (!same_id(s, k, what, &p->elems[0], n->id))
            return;
        snprintf(what, sizeof what, "group %s pending entry %zu delivery "
                 "time", gn, i);
        if (!same_int(s, k, what, &p->elems[2], n->delivery_time_ms))
            return;
        snprintf(what, sizeof what, "group %s pending entry %zu delivery "
                 "count", gn, i);
        if (!same_int(s, k, what, &p->elems[3], (int64_t)n->delivery_count))
            return;
    }
    snprintf(what, sizeof what, "group %s consumers", gn);
    const resp_value *cons = need(s, k, gm, "consumers");
    if (cons == NULL)
        return;
    if (!want_array(s, k, what, cons,
                    g->nconsumers))
        return;
    for (size_t i = 0; i < cons->len && !s->failed; i++)
        cmp_consumer(s, k, gn, g, &cons->elems[i]);
}

static void cmp_stream_info(soak *s, const loaded_key *k, const resp_value *r)
{
    const value_stream *st = k->v->u.stream;
    if (r->type != RESP_ARRAY) {
        DIFF(s, k, "XINFO STREAM FULL: %s", r->type == RESP_ERROR ? r->str
                                                                  : "?");
        return;
    }
    if (!same_int(s, k, "length", field(r, "length"), (int64_t)st->length) ||
        !same_id(s, k, "last-generated-id", field(r, "last-generated-id"),
                 st->last_id) ||
        !same_id(s, k, "max-deleted-entry-id",
                 field(r, "max-deleted-entry-id"), st->max_deleted_id) ||
        !same_int(s, k, "entries-added", field(r, "entries-added"),
                  (int64_t)st->entries_added) ||
        !same_id(s, k, "recorded-first-entry-id",
                 field(r, "recorded-first-entry-id"), st->first_id))
        return;
    const resp_value *groups = need(s, k, r, "groups");
    if (groups == NULL)
        return;
    if (!want_array(s, k, "consumer groups",
                    groups, st->ngroups))
        return;
    for (size_t i = 0; i < groups->len && !s->failed; i++)
        cmp_group(s, k, &groups->elems[i]);
}

/* Queue the questions about one key. */
static void ask(soak *s, const loaded_key *k)
{
    static const char *const fetch[] = {
        [VALUE_STRING] = "GET", [VALUE_LIST] = "LRANGE",
        [VALUE_SET] = "SMEMBERS", [VALUE_ZSET] = "ZRANGE",
        [VALUE_HASH] = "HGETALL", [VALUE_STREAM] = "XRANGE",
    };
    cmd_key(s, "TYPE", (const char *)k->key, k->klen);
    send_cmd(s);
    cmd_key(s, "PEXPIRETIME", (const char *)k->key, k->klen);
    send_cmd(s);
    value_type t = k->v->type;
    if (t > VALUE_STREAM) {
        cmd_key(s, "TYPE", (const char *)k->key, k->klen);
        send_cmd(s);
        return;
    }
    cmd_key(s, fetch[t], (const char *)k->key, k->klen);
    if (t == VALUE_LIST || t == VALUE_ZSET) {
        arg_str(s, "0");
        arg_str(s, "-1");
    }
    if (t == VALUE_ZSET)
        arg_str(s, "WITHSCORES");
    if (t == VALUE_STREAM) {
        arg_str(s, "-");
        arg_str(s, "+");
    }
    send_cmd(s);
    if (t == VALUE_STREAM) {
        arg_str(s, "XINFO");
        arg_str(s, "STREAM");
        arg_add(s, k->key, k->klen);
        arg_str(s, "FULL");
        arg_str(s, "COUNT");
        arg_str(s, "0");
        send_cmd(s);
    }
}

static int read_reply(soak *s, resp_value *r)
{
    if (resp_client_reply(&s->c, r) == 0)
        return 0;
    soak_fail(s, -1, "%s", s->c.err);
    return -1;
}

/* Read and compare the answers about one key. */
static void check(soak *s, const loaded_key *k)
{
    resp_value type, exp, body, info = {0};
    int bad = read_reply(s, &type) | read_reply(s, &exp) |
              read_reply(s, &body);
    if (k->v->type == VALUE_STREAM)
        bad |= read_reply(s, &info);
    if (bad)
        return;
    const char *want = value_type_name(k->v->type);
    if (type.type != RESP_SIMPLE || strcmp(type.str, want) != 0) {
        DIFF(s, k, "type: server %s, file %s",
             type.type == RESP_SIMPLE ? type.str : "?", want);
    } else if (!same_int(s, k, "expiry (PEXPIRETIME)", &exp,
                         k->v->expire_ms)) {
        /* reported */
    } else {
        switch (k->v->type) {
        case VALUE_STRING:
            same_elem(s, k, "string value", 0, &body, k->v->u.str.bytes,
                      k->v->u.str.len);
            break;
        case VALUE_LIST: cmp_list(s, k, &body); break;
        case VALUE_SET: cmp_set(s, k, &body); break;
        case VALUE_ZSET: cmp_zset(s, k, &body); break;
        case VALUE_HASH: cmp_hash(s, k, &body); break;
        case VALUE_STREAM:
            cmp_stream_entries(s, k, &body);
            if (!s->failed)
                cmp_stream_info(s, k, &info);
            break;
        default: break;
        }
    }
    resp_value_clear(&type);
    resp_value_clear(&exp);
    resp_value_clear(&body);
    resp_value_clear(&info);
}

static int count_encoding(void *arg, const rdb_buf *key, value *v,
                          const rdb_key_info *info)
{
    rdb_soak_result *res = arg;
    (void)key;
    value_free(v);
    const char *name = info->encoding ? info->encoding : "?";
    char plain[48];
    if (info->node_kinds != NULL && strchr(info->node_kinds, 'L') != NULL) {
        snprintf(plain, sizeof plain, "%.24s+plain", name);
        name = plain;
    }
    for (size_t i = 0; i < res->nenc; i++)
        if (strcmp(res->enc[i].name, name) == 0) {
            res->enc[i].n++;
            return 0;
        }
    if (res->nenc < COUNT_OF(res->enc)) {
        snprintf(res->enc[res->nenc].name, sizeof res->enc[0].name, "%s",
                 name);
        res->enc[res->nenc++].n = 1;
    }
    return 0;
}

static void count_encodings(soak *s, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return;
    rdb_reader r;
    rdb_handler h = {.key = count_encoding, .arg = s->res};
    rdb_options opt = {.quiet = true};
    rdb_result res;
    if (rdb_reader_init(&r, rdb_source_fd, (void *)(intptr_t)fileno(f)) == 0) {
        rdb_parse(&r, &h, &opt, &res);
        rdb_reader_free(&r);
    }
    fclose(f);
}

/* Compare one database of the dump with the server's. */
static void compare(soak *s, const char *path, int db)
{
    store *st = store_create(&store_naive_ops);
    if (st == NULL)
        abort();
    rdb_result res;
    rdb_options opt = {.quiet = true};
    int rc;
    if (s->dump == NULL) {
        rc = rdb_load_file(path, st, (uint64_t)db, &opt, &res);
    } else {
        /* The same bytes handed over a few at a time: the reader's window
         * refills land at every position of real data. */
        rdb_mem_source src = {s->dump, s->dump_len, 0, s->chunk};
        rdb_reader r;
        if (rdb_reader_init(&r, rdb_source_mem, &src) != 0)
            abort();
        rc = rdb_load_store(&r, st, (uint64_t)db, &opt, &res);
        rdb_reader_free(&r);
    }
    if (rc != 0) {
        soak_fail(s, 1, "our reader refused the dump%s: %s",
                  s->dump ? " (read in small chunks)" : "", res.error);
        store_destroy(st);
        return;
    }
    char dbs[16];
    snprintf(dbs, sizeof dbs, "%d", db);
    s->cur_db = db;
    resp_value r;
    if (resp_client_calll(&s->c, &r, "SELECT", dbs, NULL) != 0 ||
        r.type != RESP_SIMPLE)
        soak_fail(s, -1, "SELECT %d failed: %s", db, s->c.err);
    resp_value_clear(&r);
    store_reader *rd = store_reader_open(st);
    store_read_begin(rd);
    key_list keys = {0};
    store_iterate(rd, collect, &keys);
    if (s->failed) {
        /* SELECT failed: nothing to compare against */
    } else if (resp_client_calll(&s->c, &r, "DBSIZE", NULL) != 0) {
        soak_fail(s, -1, "%s", s->c.err);
    } else {
        s->res->keys += r.type == RESP_INTEGER ? (size_t)r.integer : 0;
        if (r.type != RESP_INTEGER || (size_t)r.integer != keys.n)
            soak_fail(s, 1, "db %d: the server holds %" PRId64 " keys, the "
                      "file gave us %zu", db, r.integer, keys.n);
        resp_value_clear(&r);
    }
    /* A few keys at a time: pipelined, but replies stay small. */
    for (size_t i = 0; i < keys.n && !s->failed; i += 8) {
        size_t end = i + 8 < keys.n ? i + 8 : keys.n;
        for (size_t j = i; j < end; j++)
            ask(s, &keys.k[j]);
        for (size_t j = i; j < end && !s->failed; j++)
            check(s, &keys.k[j]);
    }
    free(keys.k);
    store_read_end(rd);
    store_reader_close(rd);
    store_destroy(st);
}

static void load_dump(soak *s, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        soak_fail(s, -1, "cannot read %s", path);
        if (f)
            fclose(f);
        return;
    }
    long n = ftell(f);
    rewind(f);
    s->dump = malloc(n > 0 ? (size_t)n : 1);
    if (s->dump == NULL || n < 0 ||
        fread(s->dump, 1, (size_t)n, f) != (size_t)n) {
        soak_fail(s, -1, "cannot read %s", path);
        free(s->dump);
        s->dump = NULL;
    } else {
        static const size_t small[] = {1, 3, 13, 4095, 65537};
        s->dump_len = (size_t)n;
        s->chunk = n < 2000000 ? PICK(&s->rng, small)
                               : 4096 + below(&s->rng, 70000);
        size_t used = strlen(s->res->config);
        snprintf(s->res->config + used, sizeof s->res->config - used,
                 " (read in chunks of %zu bytes)", s->chunk);
    }
    fclose(f);
}

/* Make the server differ from the file it just saved (opts.tamper). */
static void tamper(soak *s)
{
    int m = s->o->tamper;
    int t = m == 4 ? 1 : m == 5 ? 5 : 0; /* the list, the stream, a string */
    arg_str(s, "SELECT");
    arg_fmt(s, "%d", s->first_db[t]);
    send_cmd(s);
    const char *key = s->first_key[t];
    size_t klen = s->first_klen[t];
    if (m == 1) {
        arg_str(s, "SET");
        arg_str(s, "soak:added-after-save");
        arg_str(s, "x");
    } else if (m == 2) {
        cmd_key(s, "APPEND", key, klen);
        arg_str(s, "!");
    } else if (m == 3) {
        cmd_key(s, "PEXPIREAT", key, klen);
        arg_fmt(s, "%" PRId64, s->now_ms + 86400000);
    } else if (m == 4) {
        cmd_key(s, "RPUSH", key, klen);
        arg_str(s, "added-after-save");
    } else {
        cmd_key(s, "XADD", key, klen);
        arg_str(s, "*");
        arg_str(s, "added");
        arg_str(s, "after-save");
    }
    send_cmd(s);
    arg_str(s, "SELECT");
    arg_str(s, "0");
    send_cmd(s);
    drain(s);
}

int rdb_soak_run(const rdb_soak_opts *o, rdb_soak_result *res)
{
    memset(res, 0, sizeof *res);
    soak s = {.rng = o->seed, .o = o, .res = res, .c = {.fd = -1}};
    s.now_ms = value_now_ms();
    s.big = o->big && chance(&s.rng, 30);
    s.bigs_left = 3;
    s.ndbs = 1 + (int)below(&s.rng, 3);
    /* rdbchecksum cannot be changed at run time: it is a start option. */
    const char *crc = chance(&s.rng, 50) ? "yes" : "no";
    const char *extra[] = {"--rdbchecksum", crc, "--enable-debug-command",
                           "local", NULL};
    snprintf(res->config, sizeof res->config, "rdbchecksum=%s", crc);
    redis_server rs;
    char err[1024];
    if (redis_server_start(&rs, extra, err, sizeof err) != 0) {
        soak_fail(&s, -1, "cannot start redis-server: %s", err);
        return -1;
    }
    if (resp_client_open(&s.c, rs.port) != 0)
        soak_fail(&s, -1, "%s", s.c.err);
    if (!s.failed) {
        draw_config(&s);
        gen_dataset(&s);
        arg_str(&s, "SAVE");
        send_cmd(&s);
        drain(&s);
        if (o->tamper != 0 && !s.failed)
            tamper(&s);
    }
    char path[400];
    snprintf(path, sizeof path, "%s/dump.rdb", rs.dir);
    struct stat sb;
    if (!s.failed && stat(path, &sb) == 0)
        res->rdb_bytes = (uint64_t)sb.st_size;
    if (!s.failed)
        count_encodings(&s, path);
    /* Half the runs read the file, half a copy in memory in chunks of a
     * few bytes (a few KiB for big dumps, to stay quick). */
    if (!s.failed && chance(&s.rng, 50))
        load_dump(&s, path);
    for (int db = 0; db < s.ndbs && !s.failed; db++)
        compare(&s, path, db);
    free(s.dump);
    arg_reset(&s);
    free(s.argv);
    free(s.lens);
    free(s.num_keys);
    for (size_t t = 0; t < COUNT_OF(s.first_key); t++)
        free(s.first_key[t]);
    resp_client_close(&s.c);
    redis_server_stop(&rs);
    return s.failed ? s.status : 0;
}
