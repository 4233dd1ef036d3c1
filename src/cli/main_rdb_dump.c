/* main_rdb_dump.c - rdb-dump: print an RDB file as JSON, or trace its bytes.
 * Chapter 7.
 *
 *   rdb-dump FILE [--no-crc]      JSON on stdout (shape: rdb_json.h)
 *   rdb-dump FILE --hexdump       every record with its offset, its bytes
 *                                 in hex and what they decode to
 *
 * On a malformed file it prints the error, with the byte offset (and key),
 * on stderr and exits with status 1.  FILE may be "-" for standard input:
 * the reader streams, so `redis-cli --rdb /dev/stdout | rdb-dump -` works.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rdb.h"
#include "rdb_json.h"

static void usage(void)
{
    fprintf(stderr, "usage: rdb-dump FILE [--no-crc] [--hexdump]\n"
                    "  FILE       an RDB file, or - for standard input\n"
                    "  --no-crc   report a checksum mismatch instead of "
                    "failing\n"
                    "  --hexdump  trace records: offset, bytes, meaning\n");
}

/* --- --hexdump: one block per record ------------------------------------ */

typedef struct trace {
    const unsigned char *file;
    uint64_t size;
    uint64_t start;   /* offset of the record being described */
    char what[200];   /* its description */
} trace;

static void hex_line(const trace *t, uint64_t o, uint64_t end)
{
    printf("          ");
    for (uint64_t i = o; i < o + 16; i++) {
        if (i < end)
            printf("%02x ", t->file[i]);
        else
            printf("   ");
    }
    printf(" |");
    for (uint64_t i = o; i < o + 16 && i < end; i++)
        putchar(t->file[i] >= 32 && t->file[i] < 127 ? t->file[i] : '.');
    printf("|\n");
}

/* Print the record [t->start, end): its description, then its bytes (a
 * long record shows its first three and last lines). */
static void flush_record(trace *t, uint64_t end)
{
    if (end <= t->start)
        return;
    printf("%08" PRIx64 "  %s\n", t->start, t->what);
    uint64_t lines = (end - t->start + 15) / 16;
    for (uint64_t l = 0; l < lines; l++) {
        if (lines > 5 && l == 3) {
            printf("          ... %" PRIu64 " more lines ...\n", lines - 4);
            l = lines - 1;
        }
        hex_line(t, t->start + 16 * l, end);
    }
}

static void describe(trace *t, const char *fmt, const unsigned char *p,
                     size_t n)
{
    char s[64];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 40; i++)
        s[k++] = p[i] >= 32 && p[i] < 127 ? (char)p[i] : '.';
    s[k] = '\0';
    size_t used = strlen(t->what);
    snprintf(t->what + used, sizeof t->what - used, fmt, s,
             n > 40 ? "..." : "");
}

static int tr_record(void *arg, uint64_t off, int op)
{
    trace *t = arg;
    static const char *const ops[] = {
        [0xF4] = "SLOT_INFO", [0xF5] = "FUNCTION2", [0xF6] = "FUNCTION",
        [0xF7] = "MODULE_AUX", [0xF8] = "IDLE", [0xF9] = "FREQ",
        [0xFA] = "AUX", [0xFB] = "RESIZEDB", [0xFC] = "EXPIRETIME_MS",
        [0xFD] = "EXPIRETIME", [0xFE] = "SELECTDB", [0xFF] = "EOF"};
    flush_record(t, off);
    t->start = off;
    bool valkey = t->size >= 6 && memcmp(t->file, "VALKEY", 6) == 0;
    if (op >= 0xF4)
        snprintf(t->what, sizeof t->what, "opcode 0x%02x %s", op, ops[op]);
    else if (op == 0xF3 && valkey)
        snprintf(t->what, sizeof t->what, "opcode 0xf3 SLOT_IMPORT");
    else if (op == 22 && valkey)
        snprintf(t->what, sizeof t->what, "key, type 22 hash_2");
    else
        snprintf(t->what, sizeof t->what, "key, type %d %s", op,
                 rdb_type_name(op) ? rdb_type_name(op) : "?");
    if (op == 0xFF)
        strcat(t->what, " (then the 8-byte CRC-64, little-endian)");
    return 0;
}

static int tr_aux(void *arg, const rdb_buf *k, const rdb_buf *v)
{
    describe(arg, ": \"%s%s\"", k->p, k->len);
    describe(arg, " = \"%s%s\"", v->p, v->len);
    return 0;
}

static int tr_key(void *arg, const rdb_buf *k, value *v,
                  const rdb_key_info *in)
{
    trace *t = arg;
    describe(t, ": \"%s%s\"", k->p, k->len);
    size_t used = strlen(t->what);
    snprintf(t->what + used, sizeof t->what - used, " -> %s of %zu",
             value_type_name(v->type), value_count(v));
    if (v->type == VALUE_STRING) {
        unsigned char head[64]; /* describe() shows at most 40 bytes */
        value_str_read(v, 0, head, sizeof head);
        describe(t, " \"%s%s\"", head, value_str_len(v));
    }
    used = strlen(t->what);
    if (in->lru_idle_s >= 0)
        snprintf(t->what + used, sizeof t->what - used, " (idle %" PRId64
                 " s)", in->lru_idle_s);
    else if (in->lfu_freq >= 0)
        snprintf(t->what + used, sizeof t->what - used, " (freq %d)",
                 in->lfu_freq);
    value_free(v);
    return 0;
}

static int tr_selectdb(void *arg, uint64_t db)
{
    trace *t = arg;
    size_t used = strlen(t->what);
    snprintf(t->what + used, sizeof t->what - used, " %" PRIu64, db);
    return 0;
}

static int tr_resizedb(void *arg, uint64_t db, uint64_t size, uint64_t exp)
{
    trace *t = arg;
    size_t used = strlen(t->what);
    (void)db;
    snprintf(t->what + used, sizeof t->what - used,
             " keys %" PRIu64 ", with expiry %" PRIu64, size, exp);
    return 0;
}

static int hexdump(const char *path, const rdb_options *opt)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "rdb-dump: %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *b = realloc(buf, cap *= 2);
            if (b == NULL)
                free(buf);
            buf = b;
        }
    }
    fclose(f);
    if (buf == NULL) {
        fprintf(stderr, "rdb-dump: out of memory\n");
        return 1;
    }
    trace t = {.file = buf, .size = n, .start = 0};
    snprintf(t.what, sizeof t.what, "magic \"%.9s\"", (const char *)buf);
    rdb_handler h = {.record = tr_record, .aux = tr_aux, .key = tr_key,
                     .selectdb = tr_selectdb, .resizedb = tr_resizedb,
                     .arg = &t};
    rdb_reader r;
    rdb_result res;
    rdb_reader_init_mem(&r, buf, n);
    int rc = rdb_parse(&r, &h, opt, &res);
    flush_record(&t, rc == 0 ? res.end_offset : rdb_offset(&r));
    if (rc == 0 && res.end_offset < n)
        printf("%08" PRIx64 "  %" PRIu64 " trailing bytes\n", res.end_offset,
               n - res.end_offset);
    free(buf);
    if (rc != 0) {
        fprintf(stderr, "rdb-dump: %s: %s\n", path, res.error);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    rdb_options opt = {0};
    int want_hex = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-crc") == 0)
            opt.no_crc = true;
        else if (strcmp(argv[i], "--hexdump") == 0)
            want_hex = 1;
        else if (path == NULL && (argv[i][0] != '-' || argv[i][1] == '\0'))
            path = argv[i];
        else {
            usage();
            return 2;
        }
    }
    if (path == NULL) {
        usage();
        return 2;
    }
    if (want_hex)
        return hexdump(path, &opt);
    int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "rdb-dump: %s: %s\n", path, strerror(errno));
        return 1;
    }
    rdb_reader r;
    rdb_result res;
    if (rdb_reader_init(&r, rdb_source_fd, (void *)(intptr_t)fd) != 0) {
        fprintf(stderr, "rdb-dump: out of memory\n");
        return 1;
    }
    int rc = rdb_dump_json(&r, stdout, &opt, true, &res);
    rdb_reader_free(&r);
    if (fd != 0)
        close(fd);
    if (rc != 0) {
        fprintf(stderr, "rdb-dump: %s: %s\n", path, res.error);
        return 1;
    }
    return 0;
}
