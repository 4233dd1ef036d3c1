/* ch11_geo.c - chapter 11: the geo read commands against redis-server 7.0.
 *
 * GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEORADIUS_RO and
 * GEORADIUSBYMEMBER_RO, compared byte for byte with a real redis-server
 * in RESP2 and RESP3 (read_oracle.h) on the "hamt" and "ptrie" stores:
 * small and big (more than 128 members) geo sets, every option, every
 * error in Redis's order.
 */
#include "read_oom.h"
#include "read_oracle.h"
#include "test_util.h"

#include <stdio.h>

static const char *const variants[] = {"hamt", "ptrie"};

#define SAME(...) read_oracle_expect(ro, READ_SAME, __VA_ARGS__, NULL)

static read_oracle *start(int i)
{
    read_oracle *ro = read_oracle_start(variants[i]);
    oracle *o = read_oracle_writer(ro);
    oracle_cmd(o, "GEOADD", "sicily", "13.361389", "38.115556", "Palermo",
               "15.087269", "37.502669", "Catania", "12.758489",
               "38.788135", "edge1", "13.5", "37.0", "sea", "-180", "0",
               "west", "180", "85.05112878", "northeast", NULL);
    oracle_cmd(o, "GEOADD", "sicily", "0", "-85.05112878", "south", NULL);
    const char *bin[] = {"GEOADD", "sicily", "14.0", "38.0", "b\0in"};
    const size_t binlen[] = {6, 6, 4, 4, 4};
    oracle_cmdv(o, 5, bin, binlen);
    oracle_cmd(o, "ZADD", "plain", "1", "a", NULL);
    oracle_cmd(o, "SET", "str", "v", NULL);
    /* A big set: a 15 x 12 grid around Rome, skiplist in Redis. */
    for (int a = 0; a < 15; a++)
        for (int b = 0; b < 12; b++) {
            char lon[32], lat[32], m[32];
            snprintf(lon, sizeof lon, "%.6f", 12.0 + a * 0.0731);
            snprintf(lat, sizeof lat, "%.6f", 41.5 + b * 0.0517);
            snprintf(m, sizeof m, "p%02d_%02d", a, b);
            oracle_cmd(o, "GEOADD", "grid", lon, lat, m, NULL);
        }
    return ro;
}

START_TEST(positions_distances_hashes)
{
    read_oracle *ro = start(_i);
    SAME("GEOPOS", "sicily", "Palermo", "Catania", "nope", "west",
         "northeast", "south", "edge1", "sea");
    SAME("GEOPOS", "grid", "p00_00", "p14_11", "p07_05", "nope");
    SAME("GEOPOS", "missing", "a", "b");
    SAME("GEOPOS", "sicily");
    SAME("GEOPOS", "plain", "a");
    SAME("GEOPOS", "str", "a");
    const char *bin[] = {"GEOPOS", "sicily", "b\0in"};
    const size_t binlen[] = {6, 6, 4};
    read_oracle_expectv(ro, READ_SAME, 3, bin, binlen);
    SAME("GEODIST", "sicily", "Palermo", "Catania");
    SAME("GEODIST", "sicily", "Palermo", "Catania", "km");
    SAME("GEODIST", "sicily", "Palermo", "Catania", "MI");
    SAME("GEODIST", "sicily", "Palermo", "Catania", "ft");
    SAME("GEODIST", "sicily", "Palermo", "Catania", "m");
    SAME("GEODIST", "sicily", "Palermo", "Palermo");
    SAME("GEODIST", "sicily", "west", "northeast", "km");
    SAME("GEODIST", "sicily", "south", "northeast");
    SAME("GEODIST", "grid", "p00_00", "p14_11", "km");
    SAME("GEODIST", "grid", "p00_00", "p00_01");
    SAME("GEODIST", "sicily", "Palermo", "nope");
    SAME("GEODIST", "missing", "a", "b");
    SAME("GEODIST", "missing", "a", "b", "parsec");
    SAME("GEODIST", "sicily", "Palermo", "Catania", "parsec");
    SAME("GEODIST", "sicily", "Palermo", "Catania", "km", "x");
    SAME("GEODIST", "str", "a", "b");
    SAME("GEODIST", "sicily", "Palermo");
    SAME("GEOHASH", "sicily", "Palermo", "Catania", "nope", "west",
         "northeast", "south", "sea");
    SAME("GEOHASH", "grid", "p03_04", "p14_11");
    SAME("GEOHASH", "missing", "a");
    SAME("GEOHASH", "sicily");
    SAME("GEOHASH", "str", "a");
    SAME("GEOHASH", "plain", "a");
    read_oracle_stop(ro);
}
END_TEST

START_TEST(searches)
{
    read_oracle *ro = start(_i);
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
         "km", "ASC");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
         "km", "DESC", "WITHCOORD", "WITHDIST", "WITHHASH");
    SAME("GEOSEARCH", "sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "300",
         "km", "WITHDIST", "ASC");
    SAME("GEOSEARCH", "sicily", "FROMMEMBER", "Palermo", "BYBOX", "400",
         "400", "km", "WITHCOORD", "ASC");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYBOX", "400",
         "400", "km", "ASC", "COUNT", "2", "WITHDIST");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS",
         "300000", "m", "COUNT", "1");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
         "m");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
         "mi", "withhash", "DESC");
    SAME("GEOSEARCH", "grid", "FROMLONLAT", "12.5", "41.8", "BYRADIUS",
         "10", "km", "ASC", "WITHDIST");
    SAME("GEOSEARCH", "grid", "FROMMEMBER", "p07_05", "BYBOX", "20", "15",
         "km", "DESC", "WITHCOORD", "WITHHASH");
    SAME("GEOSEARCH", "grid", "FROMMEMBER", "p07_05", "BYRADIUS", "30000",
         "ft", "COUNT", "7", "WITHDIST");
    SAME("GEOSEARCH", "grid", "FROMMEMBER", "p00_00", "BYRADIUS", "1000",
         "km", "COUNT", "200", "DESC");
    SAME("GEOSEARCH", "grid", "FROMLONLAT", "12.5", "41.8", "BYRADIUS",
         "100", "km", "COUNT", "500", "ANY");
    SAME("GEOSEARCH", "missing", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
         "km");
    SAME("GEOSEARCH", "missing", "FROMMEMBER", "x", "BYRADIUS", "1", "km");
    SAME("GEORADIUS_RO", "sicily", "15", "37", "200", "km", "WITHDIST",
         "ASC");
    SAME("GEORADIUS_RO", "sicily", "15", "37", "200", "km", "WITHCOORD",
         "WITHDIST", "WITHHASH", "COUNT", "2", "DESC");
    SAME("GEORADIUS_RO", "grid", "12.5", "41.8", "5", "km", "ASC");
    SAME("GEORADIUS_RO", "missing", "15", "37", "200", "km");
    SAME("GEORADIUSBYMEMBER_RO", "sicily", "Palermo", "300", "km", "ASC",
         "WITHDIST");
    SAME("GEORADIUSBYMEMBER_RO", "grid", "p03_03", "8", "km", "COUNT", "5",
         "WITHCOORD");
    SAME("GEORADIUSBYMEMBER_RO", "missing", "x", "8", "km");
    read_oracle_stop(ro);
}
END_TEST

START_TEST(search_errors)
{
    read_oracle *ro = start(_i);
    SAME("GEOSEARCH", "str", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
         "km");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37");
    SAME("GEOSEARCH", "sicily", "BYRADIUS", "1", "km", "ASC");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "ASC", "DESC");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "200", "37", "BYRADIUS", "1",
         "km");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "x", "37", "BYRADIUS", "1",
         "km");
    SAME("GEOSEARCH", "sicily", "FROMMEMBER", "nope", "BYRADIUS", "1",
         "km");
    SAME("GEOSEARCH", "sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "1",
         "2", "BYRADIUS", "1", "km");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "-1",
         "km");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "x",
         "km");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
         "parsec");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "x",
         "km");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYBOX", "x", "1",
         "km");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1",
         "1", "km");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
         "km", "BYBOX", "1", "1", "km");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
         "km", "COUNT", "0");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
         "km", "COUNT", "x");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
         "km", "ANY");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
         "km", "STORE", "x");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
         "km", "STOREDIST");
    SAME("GEOSEARCH", "missing", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
         "km", "BOGUS");
    SAME("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1");
    SAME("GEORADIUS_RO", "sicily", "15", "37", "200", "km", "STORE", "x");
    SAME("GEORADIUS_RO", "sicily", "15", "37", "200", "km", "STOREDIST",
         "x");
    SAME("GEORADIUS_RO", "sicily", "15", "37", "-1", "km");
    SAME("GEORADIUS_RO", "sicily", "15", "100", "1", "km");
    SAME("GEORADIUS_RO", "sicily", "15", "37", "1", "yd");
    SAME("GEORADIUS_RO", "sicily", "15", "37", "1", "km", "FROMMEMBER",
         "Palermo");
    SAME("GEORADIUS_RO", "str", "15", "37", "1", "km");
    SAME("GEORADIUS_RO", "sicily", "15", "37", "1");
    SAME("GEORADIUSBYMEMBER_RO", "sicily", "nope", "1", "km");
    SAME("GEORADIUSBYMEMBER_RO", "sicily", "Palermo", "x", "km");
    SAME("GEORADIUSBYMEMBER_RO", "missing", "x", "y", "km", "ANY");
    SAME("GEORADIUSBYMEMBER_RO", "sicily", "Palermo", "1", "km", "ANY");
    read_oracle_stop(ro);
}
END_TEST

/* The data of the out-of-memory walks: a 20 x 10 grid. */
static void oom_setup(cmd_applier *a)
{
    for (int k = 0; k < 200; k++) {
        char lon[32], lat[32], m[16];
        snprintf(lon, sizeof lon, "%.4f", 2.0 + (k % 20) * 0.01);
        snprintf(lat, sizeof lat, "%.4f", 48.0 + (k / 20) * 0.01);
        snprintf(m, sizeof m, "p%03d", k);
        const char *add[] = {"GEOADD", "grid", lon, lat, m};
        ck_assert_int_eq(cmd_apply_argv(a, 5, add, NULL), CMD_APPLIED);
    }
}

/* Every allocation a handler makes may fail: -1 and nothing written, or
 * the very reply it gives with memory to spare. */
START_TEST(out_of_memory_at_every_allocation)
{
    static const char *const cmds[][16] = {
        {"GEOSEARCH", "grid", "FROMMEMBER", "p055", "BYRADIUS", "3", "km",
         "ASC", "WITHCOORD", "WITHDIST", "WITHHASH", NULL},
        {"GEOSEARCH", "grid", "FROMLONLAT", "2.1", "48.05", "BYBOX", "5",
         "5", "km", "COUNT", "10", "ANY", NULL},
        {"GEORADIUS_RO", "grid", "2.1", "48.05", "2", "km", "DESC", NULL},
        {"GEORADIUSBYMEMBER_RO", "grid", "p000", "1", "km", "WITHDIST",
         NULL},
        {"GEOPOS", "grid", "p001", "nope", "p199", NULL},
        {"GEOHASH", "grid", "p001", "nope", NULL},
        {"GEODIST", "grid", "p001", "p199", "km", NULL},
    };
    unsigned total = 0;
    for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++)
        total += read_oom_walk(variants[_i], oom_setup, cmds[c]);
    ck_assert_uint_gt(total, 7);
}
END_TEST

Suite *ch11_geo_suite(void)
{
    Suite *s = suite_create("ch11_geo");
    TCase *tc = test_tcase("geo", 120);
    tcase_add_checked_fixture(tc, NULL, read_oracle_teardown);
    tcase_add_loop_test(tc, positions_distances_hashes, 0, 2);
    tcase_add_loop_test(tc, searches, 0, 2);
    tcase_add_loop_test(tc, search_errors, 0, 2);
    tcase_add_loop_test(tc, out_of_memory_at_every_allocation, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
