/* ch09_geo.c - chapter 9: geohashes and geo searches equal to a real redis-server's.
 *
 * GEOADD reaches a replica as ZADD with the 52-bit geohash as its score,
 * but GEOSEARCHSTORE and GEORADIUS ... STORE reach it as typed: the
 * replica runs the search itself and must store the very members and
 * scores the master stored.  These tests hold src/geohash.c to that:
 *
 *  - encoding: seeded random positions (and the limits: +-180, the
 *    Mercator latitude limit, 0) are GEOADDed to a real redis-server, and
 *    each ZSCORE must equal geohash_encode()'s 52-bit score;
 *  - searching: seeded random sets of points (clustered, so searches find
 *    many) are GEOADDed, and random GEOSEARCHSTOREs (radius and box, every
 *    unit, ASC, DESC, COUNT, COUNT ANY, STOREDIST or not) are run by the
 *    server and by geohash_search() over a pzset with the same scores;
 *    the stored members and scores must be equal bit for bit (the
 *    server's scores are read back with ZRANGE WITHSCORES, whose %.17g
 *    text reads back to the same double);
 *  - through the applier, with the oracle (tests/util/oracle.h) in DIRECT
 *    and AOF modes: GEOADD's options and every error text, every
 *    GEOSEARCHSTORE / GEORADIUS / GEORADIUSBYMEMBER store form and error,
 *    and seeded random GEOADDs and searches, each ending with
 *    oracle_check() (the server's SAVE equal to the applier's keyspace).
 */
#include "geohash.h"

#include "oracle.h"

#include "redis_server.h"
#include "resp_client.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64*: deterministic, seeded per test */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}
static double rnd_unit(void) /* [0, 1) */
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}
static double rnd_in(double lo, double hi)
{
    return lo + (hi - lo) * rnd_unit();
}

/* Each test starts its own server (the launcher's exit handler stops it
 * however the test ends) and connects to it. */
static redis_server srv;

static void client(resp_client *c)
{
    char err[512];
    ck_assert_msg(redis_server_start(&srv, NULL, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_msg(resp_client_open(c, srv.port) == 0, "%s", c->err);
}

static void client_done(resp_client *c)
{
    resp_client_close(c);
    redis_server_stop(&srv);
}

/* Run a command; fail on an error reply; return the reply (caller clears). */
static resp_value call(resp_client *c, size_t argc, const char *const *argv)
{
    resp_value v;
    ck_assert_msg(resp_client_call(c, &v, argc, argv, NULL) == 0, "%s",
                  c->err);
    ck_assert_msg(v.type != RESP_ERROR, "%s: %s", argv[0], v.str);
    return v;
}

static void callv(resp_client *c, size_t argc, const char *const *argv)
{
    resp_value v = call(c, argc, argv);
    resp_value_clear(&v);
}

/* Text of a double that strtod() reads back exactly. */
static void dtext(char *buf, size_t sz, double d)
{
    snprintf(buf, sz, "%.17g", d);
}

/* ---- encoding ------------------------------------------------------------------- */

START_TEST(encode_matches_redis)
{
    resp_client c;
    client(&c);
    const char *flush[] = {"FLUSHALL"};
    callv(&c, 1, flush);
    rng_state = 0x9e0a11ull;
    long n = test_scale(2000, 100);
    double fixed[][2] = {
        {0, 0}, {180, 85.05112878}, {-180, -85.05112878}, {180, -85.05112878},
        {-180, 85.05112878}, {-0.0, -0.0}, {13.361389, 38.115556},
        {179.9999999, 0}, {-179.9999999, 85.0511287}, {1e-300, -1e-300},
    };
    size_t nfixed = sizeof fixed / sizeof fixed[0];
    for (long i = 0; i < n; i++) {
        double lon, lat;
        if ((size_t)i < nfixed) {
            lon = fixed[i][0];
            lat = fixed[i][1];
        } else {
            lon = rnd_in(-180, 180);
            lat = rnd_in(GEOHASH_LAT_MIN, GEOHASH_LAT_MAX);
        }
        char slon[32], slat[32], m[32], want[32];
        dtext(slon, sizeof slon, lon);
        dtext(slat, sizeof slat, lat);
        snprintf(m, sizeof m, "m%ld", i);
        const char *add[] = {"GEOADD", "g", slon, slat, m};
        callv(&c, 5, add);
        const char *sc[] = {"ZSCORE", "g", m};
        resp_value v = call(&c, 3, sc);
        geohash_bits h;
        ck_assert(geohash_encode(lon, lat, GEOHASH_STEP_MAX, &h));
        snprintf(want, sizeof want, "%llu",
                 (unsigned long long)geohash_align52(h));
        ck_assert_msg(v.type == RESP_BULK && strcmp(v.str, want) == 0,
                      "GEOADD %s %s: redis %s, geohash %s", slon, slat,
                      v.str ? v.str : "(nil)", want);
        resp_value_clear(&v);
    }
    /* Out of range is refused by both. */
    geohash_bits h;
    ck_assert(!geohash_encode(180.0000001, 0, GEOHASH_STEP_MAX, &h));
    ck_assert(!geohash_encode(0, 85.05112879, GEOHASH_STEP_MAX, &h));
    ck_assert(!geohash_encode(0, 0, 0, &h));
    client_done(&c);
}
END_TEST

START_TEST(decode_and_distance_match_redis)
{
    resp_client c;
    client(&c);
    const char *flush[] = {"FLUSHALL"};
    callv(&c, 1, flush);
    rng_state = 0xd157ull;
    long n = test_scale(300, 30);
    for (long i = 0; i < n; i++) {
        double lon1 = rnd_in(-180, 180), lat1 = rnd_in(-85, 85);
        double lon2 = i % 3 ? rnd_in(-180, 180) : lon1;
        double lat2 = rnd_in(-85, 85);
        char a[4][32];
        dtext(a[0], 32, lon1);
        dtext(a[1], 32, lat1);
        dtext(a[2], 32, lon2);
        dtext(a[3], 32, lat2);
        const char *add[] = {"GEOADD", "d", a[0], a[1], "p", a[2], a[3], "q"};
        callv(&c, 8, add);
        /* GEOSEARCHSTORE ... STOREDIST stores the raw distance in metres:
         * the exact double, unlike GEODIST's 4 decimals. */
        const char *srch[] = {"GEOSEARCHSTORE", "o", "d", "FROMMEMBER", "p",
                              "BYRADIUS", "30000", "km", "STOREDIST"};
        callv(&c, 9, srch);
        const char *sc[] = {"ZSCORE", "o", "q"};
        resp_value v = call(&c, 3, sc);
        ck_assert(v.type == RESP_BULK);
        double got = strtod(v.str, NULL);
        geohash_bits hp, hq;
        geohash_encode(lon1, lat1, GEOHASH_STEP_MAX, &hp);
        geohash_encode(lon2, lat2, GEOHASH_STEP_MAX, &hq);
        double x1, y1, x2, y2;
        geohash_decode_score((double)geohash_align52(hp), &x1, &y1);
        geohash_decode_score((double)geohash_align52(hq), &x2, &y2);
        double want = geohash_distance(x1, y1, x2, y2) / 1000;
        ck_assert_msg(memcmp(&got, &want, sizeof got) == 0,
                      "distance %s,%s to %s,%s: redis %.17g, geohash %.17g",
                      a[0], a[1], a[2], a[3], got, want);
        resp_value_clear(&v);
    }
    client_done(&c);
}
END_TEST

/* ---- searching ------------------------------------------------------------------ */

typedef struct mscore {
    char m[32];
    double score;
} mscore;

static int by_member(const void *a, const void *b)
{
    return strcmp(((const mscore *)a)->m, ((const mscore *)b)->m);
}

/* ZRANGE key 0 -1 WITHSCORES into an array sorted by member. */
static size_t read_zset(resp_client *c, const char *key, mscore **out)
{
    const char *zr[] = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
    resp_value v = call(c, 5, zr);
    ck_assert(v.type == RESP_ARRAY && v.len % 2 == 0);
    size_t n = v.len / 2;
    mscore *a = calloc(n ? n : 1, sizeof(*a));
    ck_assert_ptr_nonnull(a);
    for (size_t i = 0; i < n; i++) {
        snprintf(a[i].m, sizeof a[i].m, "%s", v.elems[2 * i].str);
        a[i].score = strtod(v.elems[2 * i + 1].str, NULL);
    }
    resp_value_clear(&v);
    qsort(a, n, sizeof(*a), by_member);
    *out = a;
    return n;
}

static const char *const units[] = {"m", "km", "ft", "mi"};
static const double unit_m[] = {1, 1000, 0.3048, 1609.34};

START_TEST(search_matches_redis)
{
    resp_client c;
    client(&c);
    rng_state = 0x5ea4c4ull + (uint64_t)_i;
    long rounds = test_scale(6, 2);
    long searches = test_scale(60, 10);
    for (long r = 0; r < rounds; r++) {
        const char *flush[] = {"FLUSHALL"};
        callv(&c, 1, flush);
        /* A cluster somewhere (sometimes near a pole or the date line). */
        double clon = rnd_in(-180, 180), clat = rnd_in(-80, 80);
        if (r % 3 == 1) clon = 179.5;
        if (r % 3 == 2) clat = 84.5;
        double spread = r % 2 ? 2.0 : 0.05;
        size_t npts = (size_t)test_scale(r % 2 ? 400 : 100, 20);
        pzset *z = pzset_new();
        ck_assert_ptr_nonnull(z);
        for (size_t i = 0; i < npts; i++) {
            double lon = clon + rnd_in(-spread, spread);
            double lat = clat + rnd_in(-spread, spread);
            if (lon > 180) lon -= 360;
            if (lon < -180) lon += 360;
            if (lat > 85) lat = 85;
            char slon[32], slat[32], m[32];
            dtext(slon, sizeof slon, lon);
            dtext(slat, sizeof slat, lat);
            snprintf(m, sizeof m, "p%zu", i);
            const char *add[] = {"GEOADD", "g", slon, slat, m};
            callv(&c, 5, add);
            geohash_bits h;
            ck_assert(geohash_encode(lon, lat, GEOHASH_STEP_MAX, &h));
            pzset *nz;
            ck_assert_int_eq(pzset_add(z, m, strlen(m),
                                       (double)geohash_align52(h), &nz), 1);
            pzset_release(z);
            z = nz;
        }
        for (long q = 0; q < searches; q++) {
            geohash_shape s = { 0 };
            unsigned u = (unsigned)(rnd() % 4);
            s.conversion = unit_m[u];
            s.lon = clon + rnd_in(-spread, spread);
            s.lat = clat + rnd_in(-spread, spread);
            if (s.lon > 180) s.lon -= 360;
            if (s.lon < -180) s.lon += 360;
            if (s.lat > 85) s.lat = 85;
            double extent_m = spread * 111000.0 * rnd_in(0.05, 1.5);
            s.box = rnd() % 2;
            char a1[32], a2[32], a3[32], a4[32], cnt[16];
            dtext(a1, sizeof a1, s.lon);
            dtext(a2, sizeof a2, s.lat);
            const char *argv[20];
            size_t argc = 0;
            argv[argc++] = "GEOSEARCHSTORE";
            argv[argc++] = "o";
            argv[argc++] = "g";
            argv[argc++] = "FROMLONLAT";
            argv[argc++] = a1;
            argv[argc++] = a2;
            if (s.box) {
                s.width = rnd_in(0, extent_m * 2) / s.conversion;
                s.height = rnd_in(0, extent_m * 2) / s.conversion;
                dtext(a3, sizeof a3, s.width);
                dtext(a4, sizeof a4, s.height);
                argv[argc++] = "BYBOX";
                argv[argc++] = a3;
                argv[argc++] = a4;
            } else {
                s.radius = rnd_in(0, extent_m) / s.conversion;
                dtext(a3, sizeof a3, s.radius);
                argv[argc++] = "BYRADIUS";
                argv[argc++] = a3;
            }
            argv[argc++] = units[u];
            int sort = (int)(rnd() % 3); /* none, asc, desc */
            if (sort == 1) argv[argc++] = "ASC";
            if (sort == 2) argv[argc++] = "DESC";
            long long count = 0;
            bool any = false;
            if (rnd() % 2) {
                count = 1 + (long long)(rnd() % 30);
                snprintf(cnt, sizeof cnt, "%lld", count);
                argv[argc++] = "COUNT";
                argv[argc++] = cnt;
                any = rnd() % 3 == 0;
                if (any) argv[argc++] = "ANY";
            }
            bool storedist = rnd() % 2;
            if (storedist) argv[argc++] = "STOREDIST";
            callv(&c, argc, argv);

            /* The same search here. */
            if (count && !sort && !any) sort = 1;
            geohash_found f = { 0 };
            ck_assert_int_eq(geohash_search(z, &s, any ? (size_t)count : 0,
                                            &f), 0);
            if (sort)
                geohash_sort(&f, sort == 2);
            size_t keep = count == 0 || f.n < (size_t)count ? f.n
                                                            : (size_t)count;
            mscore *want = calloc(keep ? keep : 1, sizeof(*want));
            ck_assert_ptr_nonnull(want);
            for (size_t i = 0; i < keep; i++) {
                snprintf(want[i].m, sizeof want[i].m, "%.*s",
                         (int)f.p[i].len, (const char *)f.p[i].member);
                want[i].score = storedist ? f.p[i].dist / s.conversion
                                          : f.p[i].score;
            }
            geohash_found_free(&f);
            qsort(want, keep, sizeof(*want), by_member);
            mscore *got;
            size_t ngot = read_zset(&c, "o", &got);
            char what[256];
            snprintf(what, sizeof what, "round %ld search %ld: %s %s %s %s",
                     r, q, s.box ? "BYBOX" : "BYRADIUS", a1, a2, a3);
            ck_assert_msg(ngot == keep, "%s: redis stored %zu, geohash %zu",
                          what, ngot, keep);
            for (size_t i = 0; i < keep; i++) {
                ck_assert_msg(strcmp(got[i].m, want[i].m) == 0,
                              "%s: member %s vs %s", what, got[i].m,
                              want[i].m);
                ck_assert_msg(memcmp(&got[i].score, &want[i].score,
                                     sizeof(double)) == 0,
                              "%s: %s score %.17g vs %.17g", what, got[i].m,
                              got[i].score, want[i].score);
            }
            free(got);
            free(want);
        }
        pzset_release(z);
    }
    client_done(&c);
}
END_TEST

/* ---- through the applier (the oracle) ------------------------------------------------- */

#define C(...) oracle_cmd(o, __VA_ARGS__, NULL)
#define E(...) oracle_expect_error(o, __VA_ARGS__, NULL)

/* Loop index -> mode: even DIRECT, odd AOF (GEOADD arrives as ZADD,
 * the searches as typed). */
static oracle *start(int i)
{
    oracle *o = oracle_start(i / 2 % 2 ? "hamt" : "cow",
                             i % 2 ? ORACLE_AOF : ORACLE_DIRECT);
    ck_assert_ptr_nonnull(o);
    return o;
}

START_TEST(geoadd_forms)
{
    oracle *o = start(_i);
    C("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269",
      "37.502669", "Catania");
    C("GEOADD", "g", "NX", "0", "0", "Palermo", "1", "1", "Null");
    C("GEOADD", "g", "XX", "CH", "2", "2", "Null", "3", "3", "Nobody");
    C("GEOADD", "g", "CH", "XX", "180", "85.05112878", "Catania");
    C("GEOADD", "g", "-180", "-85.05112878", "corner", "-0", "-0", "zero");
    C("GEOADD", "nokey", "XX", "1", "1", "a");
    E("GEOADD", "g", "200", "10", "m");
    E("GEOADD", "g", "10", "86", "m");
    E("GEOADD", "g", "-180.0000001", "0", "m");
    E("GEOADD", "g", "x", "10", "m");
    E("GEOADD", "g", "10", "nan", "m");
    E("GEOADD", "g", "1", "2", "m", "3", "x", "n");
    E("GEOADD", "g", "1", "2", "m", "3");
    E("GEOADD", "g", "NX", "XX", "1", "2", "m");
    E("GEOADD", "g", "NX", "CH", "CH");
    E("GEOADD", "g", "GT", "1", "2", "m");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

START_TEST(search_store_forms)
{
    oracle *o = start(_i);
    C("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269",
      "37.502669", "Catania", "12.758489", "38.788135", "edge1", "17.241510",
      "38.788135", "edge2", "13.5", "38.0", "near");
    C("GEOSEARCHSTORE", "d1", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
      "km", "ASC");
    C("GEOSEARCHSTORE", "d2", "g", "FROMMEMBER", "Palermo", "BYBOX", "400",
      "400", "km", "DESC", "COUNT", "2", "STOREDIST");
    C("GEOSEARCHSTORE", "d3", "g", "fromlonlat", "15", "37", "bybox", "400",
      "400", "km", "count", "1", "any");
    C("GEOSEARCHSTORE", "d4", "g", "FROMLONLAT", "15", "37", "BYRADIUS",
      "200000", "m", "STOREDIST", "STOREDIST");
    C("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "r1");
    C("GEORADIUS", "g", "15", "37", "200", "mi", "STOREDIST", "r2", "DESC",
      "COUNT", "3");
    C("GEORADIUS", "g", "15", "37", "656168", "ft", "STORE", "r3", "STOREDIST",
      "r4");
    C("GEORADIUSBYMEMBER", "g", "Palermo", "100", "km", "STOREDIST", "r5",
      "ASC");
    C("GEORADIUS", "g", "15", "37", "200", "km", "WITHDIST", "ASC"); /* read */
    oracle_check(o);
    /* Empty results and missing sources delete the destination. */
    C("GEOSEARCHSTORE", "d1", "g", "FROMLONLAT", "-100", "-40", "BYRADIUS",
      "1", "m");
    C("GEOSEARCHSTORE", "d2", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1",
      "m");
    C("GEORADIUS", "nokey", "15", "37", "200", "km", "STORE", "r1");
    C("GEORADIUSBYMEMBER", "nokey", "x", "notanumber", "km", "STORE", "r2");
    C("GEOSEARCHSTORE", "g2", "g", "FROMMEMBER", "near", "BYRADIUS", "0", "m");
    oracle_check(o);
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
      "km", "COUNT", "0");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
      "km", "COUNT", "x");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
      "km", "ANY");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
      "km", "WITHDIST");
    E("GEOSEARCHSTORE", "x", "g", "FROMMEMBER", "nosuch", "BYRADIUS", "1",
      "km");
    E("GEOSEARCHSTORE", "x", "g", "FROMMEMBER", "Palermo", "FROMLONLAT", "1",
      "1", "BYRADIUS", "1", "km");
    E("GEOSEARCHSTORE", "x", "g", "BYRADIUS", "1", "km", "ASC", "ASC");
    E("geosearchstore", "x", "g", "FROMLONLAT", "1", "1", "ASC", "ASC");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1",
      "parsec");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "-1",
      "km");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "x",
      "km");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "1", "1", "BYBOX", "x", "1",
      "km");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "1", "1", "BYBOX", "1", "x",
      "km");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "1", "1", "BYBOX", "1", "-1",
      "km");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "1", "100", "BYBOX", "1", "1",
      "km");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "1", "1", "BYBOX", "1", "1",
      "km", "BYRADIUS", "1", "km");
    E("GEOSEARCHSTORE", "x", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1",
      "km", "STORE", "y");
    E("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "r1", "WITHCOORD");
    E("GEORADIUS", "g", "15", "37", "200", "km", "STORE");
    E("GEORADIUS", "g", "200", "37", "200", "km", "STORE", "r1");
    E("GEORADIUS", "g", "15", "37", "-1", "km", "STORE", "r1");
    E("GEORADIUSBYMEMBER", "g", "nosuch", "1", "km", "STORE", "r1");
    E("GEORADIUSBYMEMBER", "g", "Palermo", "1", "yd", "STORE", "r1");
    E("GEORADIUS", "g", "15", "37", "200", "km", "FROMMEMBER", "x");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

START_TEST(random_searches)
{
    oracle *o = start(_i);
    rng_state = 0x6e0ull + (uint64_t)_i * 104729;
    double clon = rnd_in(-170, 170), clat = rnd_in(-60, 60);
    long n = test_scale(300, 40);
    char a[6][32], m[32], cnt[16];
    for (long step = 0; step < n; step++) {
        unsigned op = (unsigned)(rnd() % 10);
        dtext(a[0], 32, clon + rnd_in(-1, 1));
        dtext(a[1], 32, clat + rnd_in(-1, 1));
        if (op < 5) {
            snprintf(m, sizeof m, "p%u", (unsigned)(rnd() % 200));
            C("GEOADD", rnd() % 4 ? "g" : "h", a[0], a[1], m);
            continue;
        }
        const char *argv[24];
        size_t argc = 0;
        const char *units4[] = {"m", "km", "ft", "mi"};
        unsigned u = (unsigned)(rnd() % 4);
        double scale = 1.0 / unit_m[u];
        dtext(a[2], 32, rnd_in(0, 150000) * scale);
        dtext(a[3], 32, rnd_in(0, 150000) * scale);
        const char *dst = rnd() % 2 ? "d" : "g2";
        if (op < 8) {
            argv[argc++] = "GEOSEARCHSTORE";
            argv[argc++] = dst;
            argv[argc++] = "g";
            if (rnd() % 3 == 0) {
                snprintf(m, sizeof m, "p%u", (unsigned)(rnd() % 200));
                argv[argc++] = "FROMMEMBER";
                argv[argc++] = m;
            } else {
                argv[argc++] = "FROMLONLAT";
                argv[argc++] = a[0];
                argv[argc++] = a[1];
            }
            if (rnd() % 2) {
                argv[argc++] = "BYRADIUS";
                argv[argc++] = a[2];
            } else {
                argv[argc++] = "BYBOX";
                argv[argc++] = a[2];
                argv[argc++] = a[3];
            }
            argv[argc++] = units4[u];
        } else {
            argv[argc++] = "GEORADIUS";
            argv[argc++] = "g";
            argv[argc++] = a[0];
            argv[argc++] = a[1];
            argv[argc++] = a[2];
            argv[argc++] = units4[u];
        }
        unsigned sort = (unsigned)(rnd() % 3);
        if (sort == 1) argv[argc++] = "ASC";
        if (sort == 2) argv[argc++] = "DESC";
        if (rnd() % 2) {
            snprintf(cnt, sizeof cnt, "%u", 1 + (unsigned)(rnd() % 20));
            argv[argc++] = "COUNT";
            argv[argc++] = cnt;
            if (rnd() % 3 == 0) argv[argc++] = "ANY";
        }
        bool dist = rnd() % 2;
        if (op < 8) {
            if (dist) argv[argc++] = "STOREDIST";
        } else {
            argv[argc++] = dist ? "STOREDIST" : "STORE";
            argv[argc++] = dst;
        }
        oracle_cmdv(o, argc, argv, NULL);
        if (step % 100 == 99)
            oracle_check(o);
    }
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

Suite *ch09_geo_suite(void)
{
    Suite *s = suite_create("ch09_geo");
    TCase *tc = test_tcase("geohash", 120);
    tcase_add_test(tc, encode_matches_redis);
    tcase_add_test(tc, decode_and_distance_match_redis);
    tcase_add_loop_test(tc, search_matches_redis, 0, 2);
    suite_add_tcase(s, tc);
    TCase *to = test_tcase("applier", 120);
    tcase_add_checked_fixture(to, NULL, oracle_teardown);
    tcase_add_loop_test(to, geoadd_forms, 0, 4);
    tcase_add_loop_test(to, search_store_forms, 0, 4);
    tcase_add_loop_test(to, random_searches, 0, 4);
    suite_add_tcase(s, to);
    return s;
}
