/* values_flat.c - chapter 7's flat immutable collection and its copy-everything write.
 * Chapter 8.
 *
 * See values_flat.h for the layout.  The build functions grow the arrays
 * like any builder (they are never timed); vb_flat_edit() is the write the
 * benchmark times, and it allocates each array of the new collection at
 * its exact size, once, as a builder that knows the final count would.
 */
#include "values_flat.h"

#include "values_bench.h"

#include "velem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool vb_verify;

static void *must(void *p, const char *what)
{
    if (p == NULL)
        vb_die(what);
    return p;
}

vb_flat *vb_flat_new(int width, bool scored, bool ids, long cap)
{
    vb_flat *f = must(calloc(1, sizeof *f), "flat build");
    f->width = width;
    f->cap = cap > 0 ? cap : 1;
    f->e = must(malloc((size_t)f->cap * (size_t)width * sizeof *f->e),
                "flat build");
    if (scored)
        f->score = must(malloc((size_t)f->cap * sizeof *f->score),
                        "flat build");
    if (ids)
        f->id = must(malloc((size_t)f->cap * 2 * sizeof *f->id),
                     "flat build");
    f->arena_cap = (size_t)f->cap * 16 * (size_t)width + 64;
    f->arena = must(malloc(f->arena_cap), "flat build");
    return f;
}

/* Grow the arena of a collection being built; moves every pointer. */
static void grow_arena(vb_flat *f, size_t need)
{
    size_t cap = f->arena_cap;
    while (cap < f->used + need)
        cap *= 2;
    unsigned char *a = must(malloc(cap), "flat build");
    memcpy(a, f->arena, f->used);
    for (long j = 0; j < f->count * f->width; j++)
        f->e[j].bytes = a + (f->e[j].bytes - f->arena);
    free(f->arena);
    f->arena = a;
    f->arena_cap = cap;
}

void vb_flat_push(vb_flat *f, const char *const *s, const size_t *len,
                  double score, const uint64_t *id)
{
    if (f->count == f->cap) {
        f->cap *= 2;
        f->e = must(realloc(f->e, (size_t)f->cap * (size_t)f->width *
                                      sizeof *f->e), "flat build");
        if (f->score != NULL)
            f->score = must(realloc(f->score, (size_t)f->cap *
                                                  sizeof *f->score),
                            "flat build");
        if (f->id != NULL)
            f->id = must(realloc(f->id, (size_t)f->cap * 2 * sizeof *f->id),
                         "flat build");
    }
    size_t need = 0;
    for (int w = 0; w < f->width; w++)
        need += len[w] + 1;
    if (f->used + need > f->arena_cap)
        grow_arena(f, need);
    for (int w = 0; w < f->width; w++) {
        unsigned char *b = f->arena + f->used;
        memcpy(b, s[w], len[w]);
        b[len[w]] = '\0';
        f->e[f->count * f->width + w] = (vb_felem){ len[w], b };
        f->used += len[w] + 1;
    }
    if (f->score != NULL)
        f->score[f->count] = score;
    if (f->id != NULL) {
        f->id[2 * f->count] = id[0];
        f->id[2 * f->count + 1] = id[1];
    }
    f->count++;
}

/* The index of f's current elements, built from scratch: the O(n) that a
 * flat write of a hash, set or sorted set pays on top of the copy. */
static map *build_index(const vb_flat *f)
{
    map *m = malloc(sizeof *m);
    if (m == NULL || map_init(m, (size_t)f->count, NULL) != 0)
        vb_die("flat index");
    for (long i = 0; i < f->count; i++) {
        const vb_felem *k = &f->e[i * f->width];
        if (map_insert(m, k->bytes, k->len, (void *)(uintptr_t)(i + 1)) != 0)
            vb_die("flat index");
    }
    return m;
}

void vb_flat_index(vb_flat *f)
{
    f->index = build_index(f);
}

vb_flat *vb_flat_edit(const vb_flat *f, long del, long ins,
                      const char *const *s, const size_t *len, double score,
                      const uint64_t *id)
{
    int wd = f->width;
    long count = f->count - (del >= 0) + (ins >= 0);
    size_t add = 0;
    for (int w = 0; ins >= 0 && w < wd; w++)
        add += len[w] + 1;
    vb_flat *g = must(malloc(sizeof *g), "flat edit");
    *g = (vb_flat){ .count = count, .cap = count, .width = wd,
                    .used = f->used + add, .arena_cap = f->used + add };
    g->e = must(malloc((size_t)(count > 0 ? count : 1) * (size_t)wd *
                       sizeof *g->e), "flat edit");
    g->arena = must(malloc(g->arena_cap > 0 ? g->arena_cap : 1), "flat edit");
    if (f->score != NULL)
        g->score = must(malloc((size_t)(count > 0 ? count : 1) *
                               sizeof *g->score), "flat edit");
    if (f->id != NULL)
        g->id = must(malloc((size_t)(count > 0 ? count : 1) * 2 *
                            sizeof *g->id), "flat edit");
    /* The bytes: one copy of the old arena, the new element's after it. */
    memcpy(g->arena, f->arena, f->used);
    unsigned char *nb = g->arena + f->used;
    /* The arrays: every old element but del, its pointers moved to the
     * new arena, the new element at ins. */
    long j = 0; /* next position of g */
    for (long i = 0; i <= f->count; i++) {
        if (j == ins) {
            for (int w = 0; w < wd; w++) {
                memcpy(nb, s[w], len[w]);
                nb[len[w]] = '\0';
                g->e[j * wd + w] = (vb_felem){ len[w], nb };
                nb += len[w] + 1;
            }
            if (g->score != NULL)
                g->score[j] = score;
            if (g->id != NULL) {
                g->id[2 * j] = id[0];
                g->id[2 * j + 1] = id[1];
            }
            j++;
        }
        if (i == f->count)
            break;
        if (i == del)
            continue;
        for (int w = 0; w < wd; w++) {
            const vb_felem *o = &f->e[i * wd + w];
            g->e[j * wd + w] = (vb_felem){ o->len,
                                           g->arena + (o->bytes - f->arena) };
        }
        if (g->score != NULL)
            g->score[j] = f->score[i];
        if (g->id != NULL) {
            g->id[2 * j] = f->id[2 * i];
            g->id[2 * j + 1] = f->id[2 * i + 1];
        }
        j++;
    }
    g->index = f->index != NULL ? build_index(g) : NULL;
    return g;
}

long vb_flat_find(const vb_flat *f, const void *key, size_t len)
{
    map_entry *me = map_find(f->index, key, len);
    return me == NULL ? -1 : (long)(uintptr_t)me->val - 1;
}

const vb_felem *vb_flat_at(const vb_flat *f, long i)
{
    return &f->e[i];
}

int vb_flat_check(const vb_flat *f, char *err, size_t errlen)
{
    for (long j = 0; j < f->count * f->width; j++) {
        const vb_felem *e = &f->e[j];
        if (e->bytes < f->arena || e->bytes + e->len >= f->arena + f->used ||
            e->bytes[e->len] != '\0') {
            snprintf(err, errlen, "string %ld is not a NUL-terminated "
                     "string inside the arena", j);
            return -1;
        }
    }
    if (f->index != NULL) {
        if ((long)f->index->count != f->count) {
            snprintf(err, errlen, "index holds %zu keys, collection %ld",
                     f->index->count, f->count);
            return -1;
        }
        for (long i = 0; i < f->count; i++) {
            const vb_felem *k = &f->e[i * f->width];
            if (vb_flat_find(f, k->bytes, k->len) != i) {
                snprintf(err, errlen, "index: element %ld (\"%s\") maps to "
                         "%ld", i, (const char *)k->bytes,
                         vb_flat_find(f, k->bytes, k->len));
                return -1;
            }
        }
    }
    for (long i = 1; f->score != NULL && i < f->count; i++) {
        const vb_felem *a = &f->e[i - 1], *b = &f->e[i];
        int c = f->score[i - 1] < f->score[i]   ? -1
                : f->score[i - 1] > f->score[i] ? 1
                                                : velem_cmp_bytes(a->bytes,
                                                                  a->len,
                                                                  b->bytes,
                                                                  b->len);
        if (c >= 0) {
            snprintf(err, errlen, "entries %ld and %ld out of order", i - 1,
                     i);
            return -1;
        }
    }
    for (long i = 1; f->id != NULL && i < f->count; i++)
        if (f->id[2 * i - 2] > f->id[2 * i] ||
            (f->id[2 * i - 2] == f->id[2 * i] &&
             f->id[2 * i - 1] >= f->id[2 * i + 1])) {
            snprintf(err, errlen, "IDs of entries %ld and %ld out of order",
                     i - 1, i);
            return -1;
        }
    return 0;
}

void vb_flat_finish(vb_flat *v, const void *base)
{
    char err[256];
    if (vb_verify && vb_flat_check(v, err, sizeof err) != 0) {
        fprintf(stderr, "values-bench: the flat baseline is wrong: %s\n", err);
        exit(1);
    }
    if (v != base)
        vb_flat_free(v);
}

size_t vb_flat_bytes(const vb_flat *f)
{
    size_t b = sizeof *f + (size_t)f->cap * (size_t)f->width * sizeof *f->e +
               f->arena_cap;
    if (f->score != NULL)
        b += (size_t)f->cap * sizeof *f->score;
    if (f->id != NULL)
        b += (size_t)f->cap * 2 * sizeof *f->id;
    if (f->index != NULL)
        b += sizeof *f->index + map_table_bytes(f->index);
    return b;
}

void vb_flat_free(vb_flat *f)
{
    if (f == NULL)
        return;
    if (f->index != NULL) {
        map_release(f->index);
        free(f->index);
    }
    free(f->e);
    free(f->score);
    free(f->id);
    free(f->arena);
    free(f);
}
