/* store_registry.c - the list of store variants, for tests and benchmarks.
 * Chapter 1; extended in chapters 2, 3, 5, 8.
 *
 * Each chapter that adds a store adds one line here; the contract suite and
 * the benchmark harness find every variant through this list.
 */
#include "store.h"
#include "store_cow.h"
#include "store_naive.h"
#include "store_ptrie.h"
#include "store_rwlock.h"
#include "store_hamt.h"
#include "store_striped.h"

#include <string.h>

const store_ops *const store_variants[] = {
    &store_naive_ops,
    &store_rwlock_ops,
    &store_rwlock_rp_ops,
    &store_cow_ops,
    &store_hamt_ops,
    &store_striped_ops,
    &store_ptrie_ops,
    NULL,
};

const store_ops *store_variant(const char *name)
{
    for (size_t i = 0; store_variants[i] != NULL; i++)
        if (strcmp(store_variants[i]->name, name) == 0)
            return store_variants[i];
    return NULL;
}
