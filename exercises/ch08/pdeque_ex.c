/* pdeque_ex.c - exercise 8.1: write a persistent deque (see pdeque_ex.h). */
#include "pdeque_ex.h"

#include <stdlib.h>

/* Suggested shape (change it if you like):
 *   struct cell { size_t refs; long x; struct cell *next; };
 *   struct pdeque { struct cell *front, *back; size_t nfront, nback; };
 * Count every cell you allocate and free in two static counters. */

pdeque *pdeque_empty(void)
{
    return NULL; /* TODO */
}

pdeque *pdeque_push_front(const pdeque *d, long x)
{
    (void)d;
    (void)x;
    return NULL; /* TODO */
}

pdeque *pdeque_push_back(const pdeque *d, long x)
{
    (void)d;
    (void)x;
    return NULL; /* TODO */
}

pdeque *pdeque_pop_front(const pdeque *d, long *x)
{
    (void)d;
    (void)x;
    return NULL; /* TODO */
}

pdeque *pdeque_pop_back(const pdeque *d, long *x)
{
    (void)d;
    (void)x;
    return NULL; /* TODO */
}

size_t pdeque_len(const pdeque *d)
{
    (void)d;
    return 0; /* TODO */
}

void pdeque_to_array(const pdeque *d, long *out)
{
    (void)d;
    (void)out; /* TODO */
}

void pdeque_release(pdeque *d)
{
    (void)d; /* TODO */
}

size_t pdeque_cells_made(void)
{
    return 0; /* TODO */
}

size_t pdeque_cells_live(void)
{
    return 0; /* TODO */
}
