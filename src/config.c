/* config.c - an immutable config behind an atomic pointer, epoch-reclaimed.
 * Chapter 5.
 *
 * The holder is the smallest copy-on-write structure in the course: one
 * pointer, one epoch domain, one mutex for writers.  Everything that makes
 * store_hamt safe makes this safe, with nothing else in the way.
 */
#include "config.h"
#include "alloc.h"
#include "ebr.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** The live configuration. */
struct config_live {
    _Atomic(config *) cur; /**< the published config */
    ebr *ebr;              /**< where replaced configs wait */
    pthread_mutex_t lock;  /**< serialises publishers */
    uint64_t generation;   /**< of the published config */
};

/** A published config with the link that retires it (config first, so a
 *  pointer to the config is a pointer to its box). */
typedef struct config_box {
    config c;      /**< what readers see */
    ebr_node node; /**< the epoch domain's queue link */
} config_box;

static void config_box_free(ebr_node *n)
{
    free((char *)n - offsetof(config_box, node));
}

/** One thread's reader. */
struct config_reader {
    config_live *cl; /**< the holder */
    ebr_reader *er;  /**< this thread's epoch slot */
};

void config_defaults(config *c)
{
    *c = (config){
        .max_bulk_len = 512u * 1024 * 1024, /* Redis proto-max-bulk-len */
        .max_multibulk_len = 1024u * 1024,  /* Redis's array limit */
        .max_inline_len = 64u * 1024,       /* Redis PROTO_INLINE_MAX_SIZE */
        .max_batch = 1024,
        .read_timeout_ms = 0,
    };
}

int config_validate(const config *c, char *err, size_t errlen)
{
    if (c->max_bulk_len == 0) {
        snprintf(err, errlen, "max-bulk-len: must be at least 1");
        return -1;
    }
    if (c->max_multibulk_len == 0) {
        snprintf(err, errlen, "max-multibulk-len: must be at least 1");
        return -1;
    }
    if (c->max_inline_len < 16) {
        snprintf(err, errlen, "max-inline-len: %zu is below 16",
                 c->max_inline_len);
        return -1;
    }
    if (c->max_batch == 0 || c->max_batch > 1000000) {
        snprintf(err, errlen, "max-batch: %zu is not in 1..1000000",
                 c->max_batch);
        return -1;
    }
    return 0;
}

int config_set(config *c, const char *name, const char *text, char *err,
               size_t errlen)
{
    static const struct {
        const char *name;
        size_t off;
        int is_unsigned;
    } fields[] = {
        { "max-bulk-len", offsetof(config, max_bulk_len), 0 },
        { "max-multibulk-len", offsetof(config, max_multibulk_len), 0 },
        { "max-inline-len", offsetof(config, max_inline_len), 0 },
        { "max-batch", offsetof(config, max_batch), 0 },
        { "read-timeout-ms", offsetof(config, read_timeout_ms), 1 },
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(name, fields[i].name) != 0)
            continue;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
            (fields[i].is_unsigned && v > UINT32_MAX) || v > SIZE_MAX) {
            snprintf(err, errlen, "%s: not a number in range: '%s'", name,
                     text);
            return -1;
        }
        if (fields[i].is_unsigned)
            *(unsigned *)(void *)((char *)c + fields[i].off) = (unsigned)v;
        else
            *(size_t *)(void *)((char *)c + fields[i].off) = (size_t)v;
        return 0;
    }
    snprintf(err, errlen, "unknown setting '%s'", name);
    return -1;
}

config_live *config_live_create(const config *initial)
{
    char err[128];
    if (config_validate(initial, err, sizeof err) != 0) {
        errno = EINVAL;
        return NULL;
    }
    config_live *cl = xcalloc(1, sizeof *cl);
    config_box *box = xmalloc(sizeof *box);
    config *c = box != NULL ? &box->c : NULL;
    ebr *d = ebr_create();
    if (cl == NULL || c == NULL || d == NULL) {
        free(cl);
        free(box);
        ebr_destroy(d);
        errno = ENOMEM;
        return NULL;
    }
    *c = *initial;
    c->generation = cl->generation = 1;
    cl->ebr = d;
    pthread_mutex_init(&cl->lock, NULL);
    atomic_init(&cl->cur, c);
    return cl;
}

void config_live_destroy(config_live *cl)
{
    if (cl == NULL)
        return;
    if (ebr_destroy(cl->ebr) != 0) {
        fprintf(stderr, "config_live_destroy: a reader is still open\n");
        abort();
    }
    /* the config is the first member of its box */
    free(atomic_load_explicit(&cl->cur, memory_order_relaxed));
    pthread_mutex_destroy(&cl->lock);
    free(cl);
}

/* [ch05-config-publish] */
int config_live_publish(config_live *cl, const config *next, char *err,
                        size_t errlen)
{
    if (config_validate(next, err, errlen) != 0) {
        errno = EINVAL;
        return -1;
    }
    config_box *box = xmalloc(sizeof *box);
    if (box == NULL)
        return -1;
    config *c = &box->c;
    *c = *next;
    pthread_mutex_lock(&cl->lock);
    c->generation = ++cl->generation;
    /* acq_rel: release publishes every field of c to readers that load it
     * with acquire; the old pointer comes back for retiring. */
    config *old = atomic_exchange_explicit(&cl->cur, c, memory_order_acq_rel);
    pthread_mutex_unlock(&cl->lock);
    ebr_retire(cl->ebr, &((config_box *)(void *)old)->node, config_box_free,
               sizeof(config_box));
    ebr_reclaim(cl->ebr);
    return 0;
}

const config *config_read_begin(config_reader *r)
{
    ebr_enter(r->er);
    /* acquire: pairs with the release in config_live_publish(). */
    return atomic_load_explicit(&r->cl->cur, memory_order_acquire);
}
/* [ch05-config-publish] */

void config_read_end(config_reader *r)
{
    ebr_exit(r->er);
}

config_reader *config_reader_open(config_live *cl)
{
    config_reader *r = xmalloc(sizeof *r);
    if (r == NULL)
        return NULL;
    r->cl = cl;
    r->er = ebr_register(cl->ebr);
    if (r->er == NULL) {
        free(r);
        return NULL;
    }
    return r;
}

void config_reader_close(config_reader *r)
{
    if (r == NULL)
        return;
    if (ebr_unregister(r->er) != 0) {
        fprintf(stderr, "config_reader_close: inside a read section\n");
        abort();
    }
    free(r);
}
