/* rdb_soak.c - running one soak seed, and the plumbing its parts share
 * (see rdb_soak.h; chapter 7).
 *
 * One run is three phases.  Build (rdb_soak_gen.c): draw the server
 * settings, then keys of random types whose elements come from tables of
 * boundary lengths and boundary integers; commands are pipelined per key
 * and every reply is checked, so a harness mistake shows as "could not
 * run", never as a difference.  Load: SAVE, then rdb_load_file() into a
 * naive store (half the runs load a copy from memory in small chunks
 * instead), and a second rdb_parse() pass only to count the encodings the
 * file used.  Compare (rdb_soak_cmp.c): for every key we loaded, ask the
 * server for its type, expiry and contents and compare field by field;
 * DBSIZE must equal our key count, so a key the reader dropped is caught
 * as well as one it misread.  The server is the reference: whatever it
 * holds after the commands is what the dump must contain, so the generator
 * never models Redis semantics.
 */
#include "rdb_soak_internal.h"

#include "rdb.h"
#include "redis_server.h"
#include "value.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void soak_fail(soak *s, int status, const char *fmt, ...)
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

void soak_arg_reset(soak *s)
{
    for (size_t i = 0; i < s->argc; i++)
        free(s->argv[i]);
    s->argc = 0;
}

void soak_arg_add(soak *s, const void *p, size_t len)
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

void soak_arg_str(soak *s, const char *str)
{
    soak_arg_add(s, str, strlen(str));
}

void soak_arg_fmt(soak *s, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    soak_arg_str(s, buf);
}

/* Queue the command built so far and start the next. */
void soak_send(soak *s)
{
    if (!s->failed && resp_client_send(&s->c, s->argc,
                                       (const char *const *)s->argv,
                                       s->lens) != 0)
        soak_fail(s, -1, "%s", s->c.err);
    s->res->commands++;
    soak_arg_reset(s);
}

/* Read every queued reply; an error reply means the generator is wrong. */
void soak_drain(soak *s)
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

/* Start a command whose second argument is the key (kept in key/klen). */
void soak_cmd_key(soak *s, const char *cmd, const char *key, size_t klen)
{
    soak_arg_str(s, cmd);
    soak_arg_add(s, key, klen);
}

/* --- running a seed --------------------------------------------------------- */

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
                               : 4096 + soak_below(&s->rng, 70000);
        size_t used = strlen(s->res->config);
        snprintf(s->res->config + used, sizeof s->res->config - used,
                 " (read in chunks of %zu bytes)", s->chunk);
    }
    fclose(f);
}
int rdb_soak_run(const rdb_soak_opts *o, rdb_soak_result *res)
{
    memset(res, 0, sizeof *res);
    soak s = {.rng = o->seed, .o = o, .res = res, .c = {.fd = -1}};
    s.now_ms = value_now_ms();
    s.big = o->big && soak_chance(&s.rng, 30);
    s.bigs_left = 3;
    s.ndbs = 1 + (int)soak_below(&s.rng, 3);
    /* rdbchecksum cannot be changed at run time: it is a start option. */
    const char *crc = soak_chance(&s.rng, 50) ? "yes" : "no";
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
        soak_draw_config(&s);
        soak_gen_dataset(&s);
        soak_arg_str(&s, "SAVE");
        soak_send(&s);
        soak_drain(&s);
        if (o->tamper != 0 && !s.failed)
            soak_tamper(&s);
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
    if (!s.failed && soak_chance(&s.rng, 50))
        load_dump(&s, path);
    for (int db = 0; db < s.ndbs && !s.failed; db++)
        soak_compare(&s, path, db);
    free(s.dump);
    soak_arg_reset(&s);
    free(s.argv);
    free(s.lens);
    free(s.num_keys);
    for (size_t t = 0; t < COUNT_OF(s.first_key); t++)
        free(s.first_key[t]);
    resp_client_close(&s.c);
    redis_server_stop(&rs);
    return s.failed ? s.status : 0;
}
