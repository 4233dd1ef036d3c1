/* ch05_partial_batch.c - chapter 5's hamt store, publishing half a batch.
 *
 * Chapter 5 shows its all-or-nothing test failing against the first
 * store_apply() of the hamt store, which skipped a change that failed (out
 * of memory) and published the others: readers saw the batch at once, but
 * what they saw was a state the master never had.  This file makes that
 * failure real: it compiles src/store_hamt.c unchanged, with its hs_apply()
 * renamed out of the way, and puts the first version in the store's table.
 * `make broken-ch05_partial_batch` links it with chapter 5's suites in
 * place of the library's store_hamt.o.
 *
 * How the renaming works: hs_apply() is static and store_hamt_ops names it
 * in the same file.  A function-like macro renames only the name followed
 * by "(" (the definition); the table's ".apply = hs_apply," is not, so it
 * names the hs_apply() defined below, declared before the macro exists.
 *
 * Why it is wrong: a replica applies a MULTI/EXEC as one batch; part of it
 * is a state the master never had, and the caller cannot put it right.
 * Never built into the library; only for docs/transcripts.
 */
#include "store.h"

static int hs_apply(store *st, store_change *ch, size_t n);
/* the library's all-or-nothing version, compiled but no longer used */
static int hs_apply_all_or_nothing(store *st, store_change *ch, size_t n)
    __attribute__((unused));
#define hs_apply(st, ch, n) hs_apply_all_or_nothing(st, ch, n)
#include "store_hamt.c"
#undef hs_apply

static int hs_apply(store *st, store_change *ch, size_t n)
{
    hs *s = (hs *)st;
    int status = 0;
    write_begin(s);
    for (size_t i = 0; i < n; i++) {
        ch[i].result = edit_one(s, ch[i].kind, ch[i].key, ch[i].klen,
                                ch[i].val);
        if (ch[i].result < 0) {
            status = -1;            /* the bug: skip it, apply the rest */
            if (ch[i].kind == STORE_CHANGE_SET)
                value_free(ch[i].val);
        }
    }
    if (edit_changed(s))
        publish(s, n);
    else
        write_cancel(s, s->val_bytes);
    if (status != 0)
        errno = ENOMEM;
    return status;
}
