/* ch07_corpus.c - chapter 7: every dump of the RDB corpus decodes to its
 * expected contents.
 *
 * The corpus (tests/data/rdb, or $RDB_CORPUS; see tests/util/corpus.h and
 * tests/data/rdb/README.md) holds real dumps from
 * Redis 2.2 to 7.4, Valkey and Redis Enterprise, each with an expected JSON
 * file written by an independent decoder and cross-checked against a real
 * server.  Each dump is parsed through the same path rdb-dump uses
 * (rdb_dump_json), the output is read back with tests/util/json.c and
 * compared semantically: sets as sets, sorted sets as sets of (member,
 * score) with scores compared as numbers, hashes as maps.  Negative files
 * (corrupt, future version, bad checksum) must fail with the error their
 * expected file describes -- and a bad-checksum file must still decode to
 * its contents when CRC checking is off.  A missing corpus is a failure,
 * never a silent skip.
 */
#include "corpus.h"
#include "json.h"
#include "rdb.h"
#include "rdb_json.h"
#include "test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES 256

static char corpus_root[1024];
static char *files[MAX_FILES]; /* "<source>/<file>" relative to the corpus */
static int nfiles;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List expected/<source>/<file>.json; returns the number found. */
static int list_corpus(void)
{
    snprintf(corpus_root, sizeof corpus_root, "%s", corpus_dir());
    char path[1200];
    snprintf(path, sizeof path, "%s/expected", corpus_root);
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    struct dirent *src;
    while ((src = readdir(d)) != NULL) {
        if (src->d_name[0] == '.')
            continue;
        char sub[1500];
        snprintf(sub, sizeof sub, "%s/%s", path, src->d_name);
        DIR *sd = opendir(sub);
        if (sd == NULL)
            continue;
        struct dirent *f;
        while ((f = readdir(sd)) != NULL && nfiles < MAX_FILES) {
            size_t n = strlen(f->d_name);
            if (n < 6 || strcmp(f->d_name + n - 5, ".json") != 0)
                continue;
            char rel[600];
            snprintf(rel, sizeof rel, "%s/%.*s", src->d_name, (int)(n - 5),
                     f->d_name);
            files[nfiles++] = strdup(rel);
        }
        closedir(sd);
    }
    closedir(d);
    qsort(files, (size_t)nfiles, sizeof files[0], cmp_str);
    return nfiles;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *b = malloc(cap);
    while (b != NULL && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (nb == NULL)
                free(b);
            b = nb;
        }
    }
    fclose(f);
    *len = n;
    return b;
}

/* Decode a dump to JSON text with rdb_dump_json(); returns 0 or -1. */
static int decode(const char *rel, bool no_crc, char **out, size_t *outlen,
                  rdb_result *res)
{
    char path[1700];
    snprintf(path, sizeof path, "%s/%s", corpus_root, rel);
    int fd = open(path, O_RDONLY);
    ck_assert_msg(fd >= 0, "cannot open %s", path);
    rdb_reader r;
    ck_assert_int_eq(rdb_reader_init(&r, rdb_source_fd, (void *)(intptr_t)fd),
                     0);
    FILE *mem = open_memstream(out, outlen);
    ck_assert_ptr_nonnull(mem);
    rdb_options opt = {.no_crc = no_crc, .quiet = true};
    int rc = rdb_dump_json(&r, mem, &opt, true, res);
    fclose(mem);
    rdb_reader_free(&r);
    close(fd);
    return rc;
}

/* --- semantic comparison ------------------------------------------------ */

static bool equal(const json *a, const json *b);

static bool equal_unordered_arrays(const json *a, const json *b)
{
    if (a->n != b->n)
        return false;
    bool *used = calloc(b->n + 1, 1);
    bool ok = true;
    for (size_t i = 0; i < a->n && ok; i++) {
        ok = false;
        for (size_t k = 0; k < b->n; k++)
            if (!used[k] && equal(a->items[i], b->items[k])) {
                used[k] = ok = true;
                break;
            }
    }
    free(used);
    return ok;
}

/* Generic equality; object members in any order. */
static bool equal(const json *a, const json *b)
{
    if (a == NULL || b == NULL || a->type != b->type)
        return false;
    switch (a->type) {
    case JSON_NULL: return true;
    case JSON_BOOL: return a->b == b->b;
    case JSON_NUMBER:
    case JSON_STRING:
        return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
    case JSON_ARRAY:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++)
            if (!equal(a->items[i], b->items[i]))
                return false;
        return true;
    case JSON_OBJECT:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++)
            if (!equal(a->items[i], json_get(b, a->keys[i])))
                return false;
        return true;
    }
    return false;
}

static double score_of(const json *s)
{
    if (s == NULL || s->type != JSON_STRING)
        return NAN;
    return strtod(s->str, NULL); /* also reads inf, -inf, nan */
}

/* [ch07-zset-compare] */
/* Sorted sets: same (member, score) pairs in any order, scores numeric. */
static bool equal_zset(const json *a, const json *b)
{
    if (a->type != JSON_ARRAY || b->type != JSON_ARRAY || a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const json *pa = a->items[i];
        bool found = false;
        for (size_t k = 0; k < b->n && !found; k++) {
            const json *pb = b->items[k];
            if (pa->n == 2 && pb->n == 2 && equal(pa->items[0], pb->items[0])) {
                double x = score_of(pa->items[1]), y = score_of(pb->items[1]);
                found = x == y || (isnan(x) && isnan(y));
            }
        }
        if (!found)
            return false;
    }
    return true;
}
/* [ch07-zset-compare] */

static bool equal_value(const char *type, const json *a, const json *b)
{
    if (a == NULL || b == NULL)
        return false;
    if (strcmp(type, "set") == 0)
        return a->type == JSON_ARRAY && b->type == JSON_ARRAY &&
               equal_unordered_arrays(a, b);
    if (strcmp(type, "zset") == 0)
        return equal_zset(a, b);
    return equal(a, b);
}

static char *show(const json *j)
{
    static char buf[400];
    if (j == NULL)
        return "(absent)";
    if (j->type == JSON_STRING || j->type == JSON_NUMBER)
        snprintf(buf, sizeof buf, "%.*s", (int)(j->len > 300 ? 300 : j->len),
                 j->str);
    else
        snprintf(buf, sizeof buf, "(%s of %zu)",
                 j->type == JSON_ARRAY ? "array" : "object", j->n);
    return buf;
}

/* Compare one key's entry. */
static void compare_key(const char *rel, const char *key, const json *exp,
                        const json *got)
{
    ck_assert_msg(got != NULL, "%s: key \"%s\" missing", rel, key);
    const json *type = json_get(exp, "type");
    ck_assert_ptr_nonnull(type);
    for (size_t i = 0; i < exp->n; i++) {
        const char *attr = exp->keys[i];
        const json *g = json_get(got, attr);
        bool ok = strcmp(attr, "value") == 0
                      ? equal_value(type->str, exp->items[i], g)
                      : equal(exp->items[i], g);
        ck_assert_msg(ok, "%s: key \"%s\": %s differs: expected %s", rel, key,
                      attr, show(exp->items[i]));
    }
    for (size_t i = 0; i < got->n; i++)
        ck_assert_msg(json_get(exp, got->keys[i]) != NULL,
                      "%s: key \"%s\": unexpected attribute %s", rel, key,
                      got->keys[i]);
}

static void compare(const char *rel, const json *exp, const json *got)
{
    static const char *const top[] = {
        "magic", "rdb_version", "aux", "checksum", "trailing_bytes",
        "resizedb", "functions", "module_aux", "slot_info",
        "enterprise_opcodes"};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
        const json *e = json_get(exp, top[i]), *g = json_get(got, top[i]);
        ck_assert_msg((e == NULL && g == NULL) || equal(e, g),
                      "%s: \"%s\" differs: expected %s, got %s", rel, top[i],
                      show(e), e ? show(g) : "(present)");
    }
    const json *edbs = json_get(exp, "dbs"), *gdbs = json_get(got, "dbs");
    ck_assert_ptr_nonnull(edbs);
    ck_assert_ptr_nonnull(gdbs);
    ck_assert_msg(edbs->n == gdbs->n, "%s: %zu databases, expected %zu", rel,
                  gdbs->n, edbs->n);
    for (size_t d = 0; d < edbs->n; d++) {
        const json *ed = edbs->items[d], *gd = json_get(gdbs, edbs->keys[d]);
        ck_assert_msg(gd != NULL, "%s: db %s missing", rel, edbs->keys[d]);
        ck_assert_msg(ed->n == gd->n, "%s: db %s has %zu keys, expected %zu",
                      rel, edbs->keys[d], gd->n, ed->n);
        for (size_t k = 0; k < ed->n; k++)
            compare_key(rel, ed->keys[k], ed->items[k],
                        json_get(gd, ed->keys[k]));
    }
}

static json *load_expected(const char *rel)
{
    char path[1700], err[200];
    size_t len;
    snprintf(path, sizeof path, "%s/expected/%s.json", corpus_root, rel);
    char *text = slurp(path, &len);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    json *j = json_parse(text, len, err, sizeof err);
    free(text);
    ck_assert_msg(j != NULL, "%s: %s", path, err);
    return j;
}

static bool contains(const json *j, const char *needle)
{
    return j != NULL && j->type == JSON_STRING && strstr(j->str, needle);
}

START_TEST(corpus_file_decodes_as_expected)
{
    const char *rel = files[_i];
    json *exp = load_expected(rel);
    char *out = NULL, err[200];
    size_t outlen = 0;
    rdb_result res;
    const json *behaviour = json_get(exp, "expected_parser_behaviour");
    bool expect_error = json_get(exp, "expect_error") != NULL ||
                        contains(behaviour, "reject:");
    bool bad_crc = contains(json_get(exp, "checksum"), "MISMATCH");

    int rc = decode(rel, false, &out, &outlen, &res);
    if (expect_error || bad_crc) {
        ck_assert_msg(rc != 0, "%s: a negative file was accepted", rel);
        const json *key = json_get(exp, "failing_key");
        if (key != NULL)
            ck_assert_msg(strstr(res.error, key->str) != NULL,
                          "%s: error does not name key %s: %s", rel, key->str,
                          res.error);
        if (contains(behaviour, "version"))
            ck_assert_msg(strstr(res.error, "version") != NULL,
                          "%s: error does not mention the version: %s", rel,
                          res.error);
        if (!expect_error)
            ck_assert_msg(strstr(res.error, "checksum mismatch") != NULL,
                          "%s: expected a checksum error, got: %s", rel,
                          res.error);
        ck_assert_msg(strncmp(res.error, "offset ", 7) == 0,
                      "%s: error has no offset: %s", rel, res.error);
        free(out);
        out = NULL;
        if (expect_error) {
            json_free(exp);
            return;
        }
        rc = decode(rel, true, &out, &outlen, &res); /* CRC off: contents */
    }
    ck_assert_msg(rc == 0, "%s: %s", rel, res.error);
    json *got = json_parse(out, outlen, err, sizeof err);
    ck_assert_msg(got != NULL, "%s: rdb_dump_json wrote bad JSON: %s", rel,
                  err);
    compare(rel, exp, got);
    json_free(got);
    json_free(exp);
    free(out);
}
END_TEST

START_TEST(corpus_is_present)
{
    char where[1400];
    ck_assert_msg(nfiles > 0, "RDB corpus not found: no expected/<source>/"
                  "*.json under %s (run the tests from the repository root, "
                  "or set RDB_CORPUS=dir)", corpus_where(where, sizeof where));
    ck_assert_msg(nfiles >= 80, "only %d corpus files under %s", nfiles,
                  corpus_root);
}
END_TEST

Suite *ch07_corpus_suite(void)
{
    Suite *s = suite_create("ch07_corpus");
    if (nfiles == 0)
        list_corpus();
    TCase *tc = test_tcase("present", 10);
    tcase_add_test(tc, corpus_is_present);
    suite_add_tcase(s, tc);
    tc = test_tcase("files", 120);
    if (nfiles > 0)
        tcase_add_loop_test(tc, corpus_file_decodes_as_expected, 0, nfiles);
    suite_add_tcase(s, tc);
    return s;
}
