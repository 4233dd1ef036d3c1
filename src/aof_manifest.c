/* aof_manifest.c - Redis 7's append-only manifest: which files to load, in order.
 * Chapter 9.
 *
 * Since Redis 7.0 an append-only "file" is a directory: one base file
 * (the snapshot of the last rewrite), incremental files (what was written
 * since), history files (old ones awaiting deletion) and a manifest that
 * lists them, one per line, e.g.
 *
 *     file appendonly.aof.2.base.rdb seq 2 type b
 *     file appendonly.aof.2.incr.aof seq 2 type i
 *
 * The grammar is whatever redis/redis src/aof.c aofLoadManifestFromFile()
 * accepts, so this parser follows it rule for rule: lines are read as
 * fgets() reads them into a 1025-byte buffer (a line without its newline
 * within 1024 bytes is "too long", the last line included), a line whose
 * first byte is '#' is a comment, the rest is trimmed of spaces, tabs, CR
 * and LF, split into words as sdssplitargs() splits (double quotes with
 * C-like escapes, single quotes with \', a closing quote followed by
 * something other than a space is an error), and read as key/value pairs
 * whose keys are matched without case; the sequence number is read as
 * atoll() reads it (leading digits, a 0 or a missing one is an error).
 * Each error carries Redis's own sentence, the line number, what exactly
 * was wrong, and the line itself.
 *
 * Two differences, both refusing what Redis would misread: a NUL byte in a
 * line is an error (Redis's C strings would cut the line there), and a
 * comment longer than the buffer is skipped whole (Redis would read its
 * tail as a line of its own).
 */
#include "aof.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

/* One word of a split line. */
typedef struct word {
    char *s;
    size_t len;
} word;

/* The line being parsed, for messages. */
typedef struct mline {
    unsigned num;
    const char *text; /* trimmed */
    size_t len;
} mline;

static int fail(char *err, size_t errsz, const mline *l, const char *redis,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "line N: <Redis's sentence> (<detail>): '<line>'" */
static int fail(char *err, size_t errsz, const mline *l, const char *redis,
                const char *fmt, ...)
{
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    char shown[120];
    size_t k = 0;
    for (size_t i = 0; l->text != NULL && i < l->len && k + 5 < sizeof shown;
         i++) {
        unsigned char c = (unsigned char)l->text[i];
        if (c >= 32 && c < 127)
            shown[k++] = (char)c;
        else
            k += (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02x", c);
    }
    shown[k] = '\0';
    if (l->text != NULL)
        snprintf(err, errsz, "line %u: %s (%s): '%s%s'", l->num, redis,
                 detail, shown, k < l->len ? "..." : "");
    else
        snprintf(err, errsz, "line %u: %s (%s)", l->num, redis, detail);
    errno = EINVAL;
    return -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Split as sdssplitargs() does.  Returns the word count, or -1 (unbalanced
 * quotes, or a closing quote glued to the next word; *why says which), or
 * -2 when out of memory.  Words are written into one copy of the line
 * (unquoting only shrinks), *buf, which the caller frees. */
static int split(const char *p, size_t n, word **out, char **buf,
                 const char **why)
{
    const char *end = p + n;
    char *dst = xmalloc(n + 1);
    word *w = NULL;
    size_t nw = 0, cap = 0;
    *buf = dst;
    *out = NULL;
    if (dst == NULL)
        return -2;
    while (1) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p == end)
            break;
        char *start = dst;
        bool inq = false, insq = false, done = false;
        while (!done) {
            char c = p < end ? *p : '\0';
            if (inq) {
                if (c == '\\' && p + 3 < end && p[1] == 'x' &&
                    hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
                    *dst++ = (char)(hexval(p[2]) * 16 + hexval(p[3]));
                    p += 3;
                } else if (c == '\\' && p + 1 < end) {
                    p++;
                    switch (*p) {
                    case 'n': *dst++ = '\n'; break;
                    case 'r': *dst++ = '\r'; break;
                    case 't': *dst++ = '\t'; break;
                    case 'b': *dst++ = '\b'; break;
                    case 'a': *dst++ = '\a'; break;
                    default: *dst++ = *p; break;
                    }
                } else if (c == '"') {
                    if (p + 1 < end && !isspace((unsigned char)p[1])) {
                        *why = "a closing quote must be followed by a space";
                        goto err;
                    }
                    done = true;
                } else if (p == end) {
                    *why = "unbalanced quotes";
                    goto err;
                } else {
                    *dst++ = c;
                }
            } else if (insq) {
                if (c == '\\' && p + 1 < end && p[1] == '\'') {
                    p++;
                    *dst++ = '\'';
                } else if (c == '\'') {
                    if (p + 1 < end && !isspace((unsigned char)p[1])) {
                        *why = "a closing quote must be followed by a space";
                        goto err;
                    }
                    done = true;
                } else if (p == end) {
                    *why = "unbalanced quotes";
                    goto err;
                } else {
                    *dst++ = c;
                }
            } else {
                switch (c) {
                case ' ': case '\n': case '\r': case '\t': case '\0':
                    done = true;
                    break;
                case '"':
                    inq = true;
                    break;
                case '\'':
                    insq = true;
                    break;
                default:
                    *dst++ = c;
                    break;
                }
            }
            if (p < end)
                p++;
        }
        if (nw == cap) {
            cap = cap ? cap * 2 : 8;
            word *nwv = xrealloc(w, cap * sizeof *w);
            if (nwv == NULL) {
                free(w);
                return -2;
            }
            w = nwv;
        }
        w[nw].s = start;
        w[nw].len = (size_t)(dst - start);
        *dst++ = '\0';
        nw++;
    }
    *out = w;
    return (int)nw;
err:
    free(w);
    return -1;
}

/* atoll(): optional spaces, sign, leading digits; anything after ignored. */
static long long seq_value(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    unsigned long long v = 0;
    while (*s >= '0' && *s <= '9' && v < (1ull << 62))
        v = v * 10 + (unsigned long long)(*s++ - '0');
    return neg ? -(long long)v : (long long)v;
}

/* Parse one trimmed, non-comment line into m. */
static int parse_line(const mline *l, aof_manifest *m, long long *maxseq,
                      char *err, size_t errsz)
{
    static const char invalid[] = "Invalid AOF manifest file format";
    word *w;
    char *buf;
    const char *why = "";
    int n = split(l->text, l->len, &w, &buf, &why);
    if (n == -2) {
        free(buf);
        snprintf(err, errsz, "line %u: out of memory", l->num);
        errno = ENOMEM;
        return -1;
    }
    int rc = -1;
    if (n < 0) {
        fail(err, errsz, l, invalid, "%s", why);
        goto out;
    }
    if (n < 6 || n % 2 != 0) {
        fail(err, errsz, l, invalid,
             "%d words; a line is key/value pairs, at least file NAME seq N "
             "type T", n);
        goto out;
    }
    const word *name = NULL, *seqw = NULL, *type = NULL;
    for (int i = 0; i < n; i += 2) {
        if (strcasecmp(w[i].s, "file") == 0) {
            name = &w[i + 1];
            if (memchr(name->s, '/', name->len) != NULL ||
                memchr(name->s, '\\', name->len) != NULL) {
                fail(err, errsz, l, "File can't be a path, just a filename",
                     "'%s' has a '/' or '\\'", name->s);
                goto out;
            }
        } else if (strcasecmp(w[i].s, "seq") == 0) {
            seqw = &w[i + 1];
        } else if (strcasecmp(w[i].s, "type") == 0) {
            type = &w[i + 1];
        }
    }
    long long seq = seqw != NULL ? seq_value(seqw->s) : 0;
    if (name == NULL || seq == 0 || type == NULL || type->s[0] == '\0') {
        fail(err, errsz, l, invalid, "%s",
             name == NULL   ? "no file name"
             : seqw == NULL ? "no seq"
             : seq == 0     ? "seq is not a number other than 0"
                            : "no type");
        goto out;
    }
    char t = type->s[0];
    if (t != 'b' && t != 'h' && t != 'i') {
        fail(err, errsz, l, "Unknown AOF file type",
             "type '%c'; b is base, h history, i incremental", t);
        goto out;
    }
    if (t == 'b' && m->base != NULL) {
        fail(err, errsz, l, "Found duplicate base file information",
             "the base is already %s, line %u", m->base->name,
             m->base->line);
        goto out;
    }
    if (t == 'i' && seq <= *maxseq) {
        fail(err, errsz, l, "Found a non-monotonic sequence number",
             "seq %lld after %lld", seq, *maxseq);
        goto out;
    }
    if (t == 'h') {
        m->nhistory++;
        rc = 0;
        goto out;
    }
    aof_file_info fi = {.seq = seq, .type = t, .line = l->num};
    fi.name = xmalloc(name->len + 1);
    if (fi.name == NULL)
        goto nomem;
    memcpy(fi.name, name->s, name->len + 1);
    if (t == 'b') {
        m->base = xmalloc(sizeof *m->base);
        if (m->base == NULL) {
            free(fi.name);
            goto nomem;
        }
        *m->base = fi;
    } else {
        aof_file_info *v = xrealloc(m->incr, (m->nincr + 1) * sizeof *v);
        if (v == NULL) {
            free(fi.name);
            goto nomem;
        }
        m->incr = v;
        m->incr[m->nincr++] = fi;
        *maxseq = seq;
    }
    rc = 0;
    goto out;
nomem:
    snprintf(err, errsz, "line %u: out of memory", l->num);
    errno = ENOMEM;
out:
    free(w);
    free(buf);
    return rc;
}

int aof_manifest_parse(const char *text, size_t len, aof_manifest *m,
                       char *err, size_t errsz)
{
    memset(m, 0, sizeof *m);
    long long maxseq = 0;
    size_t pos = 0;
    unsigned num = 0;
    while (pos < len) {
        num++;
        const char *line = text + pos;
        size_t rest = len - pos;
        const char *nl = memchr(line, '\n', rest);
        size_t full = nl ? (size_t)(nl - line) + 1 : rest;
        pos += full;
        if (line[0] == '#')
            continue; /* a comment, however long */
        mline l = {.num = num, .text = line, .len = full};
        /* trim " \t\r\n" at both ends, as sdstrim() */
        while (l.len > 0 && strchr(" \t\r\n", l.text[0]) != NULL) {
            l.text++;
            l.len--;
        }
        while (l.len > 0 && strchr(" \t\r\n", l.text[l.len - 1]) != NULL)
            l.len--;
        if (nl == NULL || full > AOF_MANIFEST_MAX_LINE)
            return fail(err, errsz, &l,
                        "The AOF manifest file contains too long line",
                        nl == NULL ? "the last line has no newline"
                                   : "longer than 1024 bytes with its "
                                     "newline");
        if (memchr(line, '\0', full) != NULL)
            return fail(err, errsz, &l, "Invalid AOF manifest file format",
                        "a NUL byte in the line");
        if (l.len == 0)
            return fail(err, errsz, &l, "Invalid AOF manifest file format",
                        "a blank line");
        if (parse_line(&l, m, &maxseq, err, errsz) != 0)
            return -1;
    }
    if (num == 0) {
        snprintf(err, errsz, "Found an empty AOF manifest (no line at all)");
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int aof_manifest_read(const char *path, aof_manifest *m, char *err,
                      size_t errsz)
{
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    while (buf != NULL) {
        if (n == cap) {
            char *b = xrealloc(buf, cap *= 2);
            if (b == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            snprintf(err, errsz, "%s: %s", path, strerror(e));
            free(buf);
            close(fd);
            errno = e;
            return -1;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (buf == NULL) {
        snprintf(err, errsz, "%s: out of memory", path);
        errno = ENOMEM;
        return -1;
    }
    char msg[600];
    int rc = aof_manifest_parse(buf, n, m, msg, sizeof msg);
    free(buf);
    if (rc != 0) {
        int e = errno;
        snprintf(err, errsz, "%s: %s", path, msg);
        errno = e;
    }
    return rc;
}

void aof_manifest_free(aof_manifest *m)
{
    if (m == NULL)
        return;
    if (m->base != NULL)
        free(m->base->name);
    free(m->base);
    for (size_t i = 0; i < m->nincr; i++)
        free(m->incr[i].name);
    free(m->incr);
    memset(m, 0, sizeof *m);
}
