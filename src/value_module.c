/* value_module.c - module values: the payload that keeps a module's raw steps.
 * Chapter 8.
 *
 * Moved out of value.c when chapter 8 split the header from the payloads
 * (see value_module.h for why the steps are kept as they came).  The steps
 * array is filled by rdb_module.c through value_edit_module(); the string
 * steps' bytes are in the payload's arena.
 */
#include "value_internal.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>

value_module *value_module_new(void)
{
    value_module *m = xcalloc(1, sizeof *m);
    if (m != NULL)
        m->refs = 1;
    return m;
}

void value_module_release(value_module *m)
{
    if (m == NULL || --m->refs > 0)
        return;
    free(m->ops);
    value_arena_free(m->arena);
    free(m);
}

size_t value_module_bytes(const value_module *m)
{
    return sizeof *m + m->nops * sizeof(value_module_op) +
           value_arena_bytes(m->arena);
}

const value_module *value_as_module(const value *v)
{
    return v->u.module;
}

value_module *value_edit_module(value *v)
{
    if (v->type != VALUE_MODULE || !(v->flags & VALUE_F_TRANSIENT)) {
        errno = EINVAL;
        return NULL;
    }
    return v->u.module;
}
