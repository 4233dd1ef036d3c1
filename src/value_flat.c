/* value_flat.c - chapter 7's flat streams behind the value API.
 * Chapter 8.
 *
 * The stream payload of chapter 7 (see value_flat.h), moved out of value.c
 * so that it can be deleted when streams move to pstream.h.  rdb_stream.c
 * fills its arrays; this file makes, frees and measures it.  A flat stream
 * is built once and never edited (value_edit() refuses it).
 */
#include "value_internal.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>

value_flat *value_flat_new(void)
{
    value_flat *f = xcalloc(1, sizeof *f);
    if (f != NULL)
        f->refs = 1;
    return f;
}

void value_flat_release(value_flat *f)
{
    if (f == NULL || --f->refs > 0)
        return;
    value_stream *s = &f->stream;
    for (size_t i = 0; i < s->nentries; i++)
        free(s->entries[i].fv);
    free(s->entries);
    for (size_t g = 0; g < s->ngroups; g++) {
        value_stream_group *grp = &s->groups[g];
        for (size_t c = 0; c < grp->nconsumers; c++)
            free(grp->consumers[c].pel);
        free(grp->consumers);
        free(grp->pel);
    }
    free(s->groups);
    value_arena_free(f->arena);
    free(f);
}

size_t value_flat_count(const value_flat *f)
{
    return f->stream.nentries;
}

size_t value_flat_bytes(const value_flat *f)
{
    const value_stream *s = &f->stream;
    size_t b = sizeof *f + value_arena_bytes(f->arena) +
               s->nentries * sizeof(value_stream_entry);
    for (size_t i = 0; i < s->nentries; i++)
        b += 2 * s->entries[i].nfields * sizeof(value_elem);
    for (size_t g = 0; g < s->ngroups; g++) {
        const value_stream_group *grp = &s->groups[g];
        b += sizeof *grp + grp->npel * sizeof(value_stream_nack);
        for (size_t c = 0; c < grp->nconsumers; c++)
            b += sizeof(value_stream_consumer) +
                 grp->consumers[c].npel * sizeof(value_stream_id);
    }
    return b;
}

const value_stream *value_as_stream(const value *v)
{
    return &v->u.flat->stream;
}

value_stream *value_edit_stream(value *v)
{
    if (v->type != VALUE_STREAM || !(v->flags & VALUE_F_TRANSIENT)) {
        errno = EINVAL;
        return NULL;
    }
    return &v->u.flat->stream;
}
