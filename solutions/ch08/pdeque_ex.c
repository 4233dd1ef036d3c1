/* pdeque_ex.c - exercise 8.1, solved: a persistent deque from two shared stacks. */
#include "pdeque_ex.h"

#include <stdlib.h>

/* A stack cell: shared by every version and every cell that points at it. */
struct cell {
    size_t refs;
    long x;
    struct cell *next;
};

/* A version: front's top is the first element, back's top the last. */
struct pdeque {
    struct cell *front, *back;
    size_t nfront, nback;
};

static size_t made, live;

static struct cell *retain(struct cell *c)
{
    if (c != NULL)
        c->refs++;
    return c;
}

/* Drop one reference; free the cells it was the last to reach, in a loop
 * (a recursive release would overflow the stack on a long list). */
static void release(struct cell *c)
{
    while (c != NULL && --c->refs == 0) {
        struct cell *next = c->next;
        free(c);
        live--;
        c = next;
    }
}

/* A new cell on top of next (next gets one more reference). */
static struct cell *push(long x, struct cell *next)
{
    struct cell *c = malloc(sizeof *c);
    if (c == NULL)
        return NULL;
    c->refs = 1;
    c->x = x;
    c->next = retain(next);
    made++;
    live++;
    return c;
}

/* A version owning the references it is given (released on failure). */
static pdeque *make(struct cell *front, size_t nf, struct cell *back,
                    size_t nb)
{
    pdeque *d = malloc(sizeof *d);
    if (d == NULL) {
        release(front);
        release(back);
        return NULL;
    }
    *d = (pdeque){ front, back, nf, nb };
    return d;
}

pdeque *pdeque_empty(void)
{
    return make(NULL, 0, NULL, 0);
}

pdeque *pdeque_push_front(const pdeque *d, long x)
{
    struct cell *c = push(x, d->front);
    if (c == NULL)
        return NULL;
    return make(c, d->nfront + 1, retain(d->back), d->nback);
}

pdeque *pdeque_push_back(const pdeque *d, long x)
{
    struct cell *c = push(x, d->back);
    if (c == NULL)
        return NULL;
    return make(retain(d->front), d->nfront, c, d->nback + 1);
}

/* Split the k cells of `from` (top = the end nearest it): its newer
 * k - m cells stay on that side (copied, in order: a list shares only its
 * tail, so a shortened prefix is new cells), the older m = ceil(k / 2)
 * move, reversed, to the other side.  Returns 0 and the two new stacks,
 * or -1 if out of memory (nothing leaked). */
static int split(const struct cell *from, size_t k, struct cell **keep,
                 size_t *nkeep, struct cell **moved, size_t *nmoved)
{
    size_t m = (k + 1) / 2, i = 0;
    struct cell *head = NULL, **tail = &head, *rev = NULL;
    for (const struct cell *c = from; c != NULL; c = c->next, i++) {
        struct cell *n;
        if (i < k - m) { /* kept: append, keeping the order */
            n = push(c->x, NULL);
            if (n != NULL) {
                *tail = n;
                tail = &n->next;
            }
        } else { /* moved: pushing reverses */
            n = push(c->x, rev);
            if (n != NULL) {
                release(rev); /* n holds it now */
                rev = n;
            }
        }
        if (n == NULL) {
            release(head);
            release(rev);
            return -1;
        }
    }
    *keep = head;
    *nkeep = k - m;
    *moved = rev;
    *nmoved = m;
    return 0;
}

/* Pop the top of one side (front when at_front), rebuilding it from the
 * other side first when it is empty. */
static pdeque *pop(const pdeque *d, long *x, int at_front)
{
    const struct cell *side = at_front ? d->front : d->back;
    const struct cell *other = at_front ? d->back : d->front;
    size_t nside = at_front ? d->nfront : d->nback;
    size_t nother = at_front ? d->nback : d->nfront;
    struct cell *s, *o;
    size_t ns, no;
    if (nside > 0) {
        s = retain((struct cell *)side);
        o = retain((struct cell *)other);
        ns = nside;
        no = nother;
    } else {
        if (nother == 0)
            return NULL;
        if (split(other, nother, &o, &no, &s, &ns) != 0)
            return NULL;
    }
    *x = s->x;
    struct cell *rest = retain(s->next);
    release(s);
    return at_front ? make(rest, ns - 1, o, no) : make(o, no, rest, ns - 1);
}

pdeque *pdeque_pop_front(const pdeque *d, long *x)
{
    return pop(d, x, 1);
}

pdeque *pdeque_pop_back(const pdeque *d, long *x)
{
    return pop(d, x, 0);
}

size_t pdeque_len(const pdeque *d)
{
    return d->nfront + d->nback;
}

void pdeque_to_array(const pdeque *d, long *out)
{
    size_t i = 0, n = pdeque_len(d);
    for (const struct cell *c = d->front; c != NULL; c = c->next)
        out[i++] = c->x;
    i = n;
    for (const struct cell *c = d->back; c != NULL; c = c->next)
        out[--i] = c->x;
}

void pdeque_release(pdeque *d)
{
    if (d == NULL)
        return;
    release(d->front);
    release(d->back);
    free(d);
}

size_t pdeque_cells_made(void)
{
    return made;
}

size_t pdeque_cells_live(void)
{
    return live;
}
