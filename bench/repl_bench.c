/* repl_bench.c - chapter 10's benchmark helpers: the master's keys, INFO,
 * replica logs, spread (see repl_bench.h).
 * Chapter 10.
 */
#include "repl_bench.h"

#include "bench.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double rb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rb_machine(char *buf, size_t n)
{
    char model[256];
    bench_cpu_model(model, sizeof model);
    double la[3] = {0, 0, 0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f == NULL || fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
        la[0] = la[1] = la[2] = 0;
    if (f != NULL)
        fclose(f);
    snprintf(buf, n, "%ld-vCPU KVM guest, %s, shared, noisy; load average "
             "%.2f %.2f %.2f at the start", sysconf(_SC_NPROCESSORS_ONLN),
             model, la[0], la[1], la[2]);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void rb_stats(const double *v, int n, double *med, double *lo, double *hi)
{
    double s[256];
    int k = 0;
    for (int i = 0; i < n && k < 256; i++)
        if (!isnan(v[i]))
            s[k++] = v[i];
    if (k == 0) {
        *med = *lo = *hi = NAN;
        return;
    }
    qsort(s, (size_t)k, sizeof s[0], cmp_d);
    *med = k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
    *lo = s[0];
    *hi = s[k - 1];
}

/* Pipelining: queue commands, read every reply each 1000. */
typedef struct pipe_state {
    resp_client *c;
    unsigned queued;
    int failed;
} pipe_state;

static int drain(pipe_state *p)
{
    while (p->queued > 0) {
        resp_value v;
        if (resp_client_reply(p->c, &v) != 0)
            return p->failed = -1;
        if (v.type == RESP_ERROR && !p->failed) {
            snprintf(p->c->err, sizeof p->c->err, "populate: %s", v.str);
            p->failed = -1;
        }
        resp_value_clear(&v);
        p->queued--;
    }
    return p->failed;
}

static int queue(pipe_state *p, int argc, ...)
{
    const char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc && i < 16; i++)
        argv[i] = va_arg(ap, const char *);
    va_end(ap);
    if (resp_client_send(p->c, (size_t)argc, argv, NULL) != 0)
        return -1;
    if (++p->queued >= 1000)
        return drain(p);
    return 0;
}

int rb_populate(resp_client *c, uint64_t keys, uint64_t big, rb_mix *out)
{
    pipe_state p = {.c = c};
    char k[64], v[64], a[32], b[32];
    uint64_t elements = 0, nbig = big > 0 ? 4 : 0;
    for (uint64_t i = 0; i + nbig < keys && p.failed == 0; i++) {
        snprintf(v, sizeof v, "value-%08llu-abcdefgh", (unsigned long long)i);
        int rc = 0;
        switch (i % 20) {
        case 0: case 1: case 2: case 3: case 4: case 5: case 6:
            snprintf(k, sizeof k, "str:%08llu", (unsigned long long)i);
            rc = queue(&p, 3, "SET", k, v);
            break;
        case 7: case 8:
            snprintf(k, sizeof k, "ttl:%08llu", (unsigned long long)i);
            rc = queue(&p, 5, "SET", k, v, "PXAT", "4102444800000");
            break;
        case 9:
            snprintf(k, sizeof k, "int:%08llu", (unsigned long long)i);
            snprintf(a, sizeof a, "%llu", (unsigned long long)i * 7);
            rc = queue(&p, 3, "SET", k, a);
            break;
        case 10: case 11:
            snprintf(k, sizeof k, "hash:%08llu", (unsigned long long)i);
            rc = queue(&p, 12, "HSET", k, "f1", v, "f2", "2", "f3", "three",
                       "f4", v, "f5", "5");
            elements += 5;
            break;
        case 12: case 13:
            snprintf(k, sizeof k, "list:%08llu", (unsigned long long)i);
            rc = queue(&p, 7, "RPUSH", k, "a", v, "c", "4", "e");
            elements += 5;
            break;
        case 14: case 15:
            snprintf(k, sizeof k, "zset:%08llu", (unsigned long long)i);
            rc = queue(&p, 12, "ZADD", k, "1", "a", "2.5", "b", "3", v, "-4",
                       "d", "5", "e");
            elements += 5;
            break;
        case 16:
            snprintf(k, sizeof k, "set:%08llu", (unsigned long long)i);
            rc = queue(&p, 7, "SADD", k, "m1", "m2", v, "m4", "m5");
            elements += 5;
            break;
        case 17:
            snprintf(k, sizeof k, "iset:%08llu", (unsigned long long)i);
            rc = queue(&p, 7, "SADD", k, "1", "2", "3", "40000", "-5");
            elements += 5;
            break;
        case 18:
            snprintf(k, sizeof k, "stream:%08llu", (unsigned long long)i);
            rc = queue(&p, 7, "XADD", k, "1700000000000-1", "f", v, "g",
                       "1");
            elements += 1;
            break;
        default:
            snprintf(k, sizeof k, "long:%08llu", (unsigned long long)i);
            rc = queue(&p, 3, "SET", k,
                       "a string long enough for LZF: aaaaaaaaaaaaaaaaaaaaaaa"
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
            break;
        }
        if (rc != 0)
            return -1;
    }
    for (uint64_t i = 0; i < big && nbig > 0 && p.failed == 0; i++) {
        snprintf(a, sizeof a, "member:%09llu", (unsigned long long)i);
        snprintf(b, sizeof b, "%llu", (unsigned long long)(i * 37 % 100003));
        if (queue(&p, 4, "HSET", "big:hash", a, b) != 0 ||
            queue(&p, 4, "ZADD", "big:zset", b, a) != 0 ||
            queue(&p, 3, "SADD", "big:set", a) != 0 ||
            queue(&p, 3, "RPUSH", "big:list", a) != 0)
            return -1;
        elements += 4;
    }
    if (drain(&p) != 0)
        return -1;
    resp_value r;
    if (resp_client_calll(c, &r, "DBSIZE", NULL) != 0)
        return -1;
    out->keys = r.type == RESP_INTEGER ? (uint64_t)r.integer : 0;
    resp_value_clear(&r);
    out->elements = elements;
    snprintf(out->what, sizeof out->what,
             "strings 55%% (plain, integers, LZF-sized, 10%% of all keys with "
             "a TTL), "
             "hashes, lists, sorted sets 10%% each, sets 10%% (strings and "
             "integers), one-entry streams 5%%; 5 elements per collection"
             "%s", big > 0 ? "; plus a big hash, sorted set, set and list" :
             "");
    if (big > 0) {
        size_t used = strlen(out->what);
        snprintf(out->what + used, sizeof out->what - used,
                 " of %llu elements each", (unsigned long long)big);
    }
    return 0;
}

int rb_info(resp_client *c, const char *section, const char *field,
            char *out, size_t n)
{
    resp_value r;
    if (resp_client_calll(c, &r, "INFO", section, NULL) != 0)
        return -1;
    int rc = -1;
    size_t fl = strlen(field);
    if (r.type == RESP_BULK) {
        for (const char *p = r.str; p != NULL && *p; ) {
            const char *eol = strchr(p, '\n');
            size_t len = eol ? (size_t)(eol - p) : strlen(p);
            if (len > fl && strncmp(p, field, fl) == 0 && p[fl] == ':') {
                size_t vl = len - fl - 1;
                if (vl > 0 && p[fl + 1 + vl - 1] == '\r')
                    vl--;
                snprintf(out, n, "%.*s", (int)vl, p + fl + 1);
                rc = 0;
                break;
            }
            p = eol ? eol + 1 : NULL;
        }
    }
    resp_value_clear(&r);
    return rc;
}

int64_t rb_info_int(resp_client *c, const char *section, const char *field)
{
    char v[64];
    if (rb_info(c, section, field, v, sizeof v) != 0)
        return -1;
    return strtoll(v, NULL, 10);
}

double rb_log_time(const char *path, const char *what)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NAN;
    char line[2048];
    double t = NAN;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strstr(line, what) == NULL)
            continue;
        /* "<pid>:<role> 01 Dec 2026 18:18:51.951 * message" */
        const char *sp = strchr(line, ' ');
        struct tm tm = {0};
        int ms = 0;
        char *rest = sp ? strptime(sp + 1, "%d %b %Y %H:%M:%S", &tm) : NULL;
        if (rest == NULL || sscanf(rest, ".%d", &ms) != 1)
            continue;
        t = (double)timegm(&tm) + ms / 1000.0;
    }
    fclose(f);
    return t;
}

int rb_call(resp_client *c, const char *arg0, ...)
{
    const char *argv[16];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 16;
         a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    resp_value r;
    if (resp_client_call(c, &r, argc, argv, NULL) != 0)
        return -1;
    int rc = 0;
    if (r.type == RESP_ERROR) {
        snprintf(c->err, sizeof c->err, "%s: %s", arg0, r.str);
        rc = -1;
    }
    resp_value_clear(&r);
    return rc;
}
