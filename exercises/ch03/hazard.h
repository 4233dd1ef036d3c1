/* hazard.h - exercise 3.2: hazard pointers, another way to reclaim safely.
 *
 * Epochs protect everything a reader might see during its section, which
 * makes reads cheap and lets one stuck reader hold back all reclamation.
 * Hazard pointers protect exactly one object per slot: a reader publishes
 * the pointer it is about to use ("this one is hazardous, do not free it"),
 * re-checks that it is still current, and clears the slot when done.  The
 * reclaimer frees every retired object that no slot names.  A stuck reader
 * then pins one object, not all garbage; the price is a store and a
 * re-load per protected pointer.
 */
#ifndef HAZARD_H
#define HAZARD_H

#include <stddef.h>

/** A domain: the hazard slots of all readers and the retired list. */
typedef struct hp_domain hp_domain;
/** One reader thread's hazard slot (protects one pointer at a time). */
typedef struct hp_slot hp_slot;

/** \return a new domain, or NULL if out of memory. */
hp_domain *hp_create(void);

/**
 * Free every retired object and the domain.  No slot may be registered.
 * \param d the domain, or NULL.
 */
void hp_destroy(hp_domain *d);

/**
 * Register a slot for the calling thread.
 * \param d the domain.
 * \return the slot, or NULL if out of memory.
 */
hp_slot *hp_register(hp_domain *d);

/**
 * Unregister (and clear) a slot.
 * \param h the slot, or NULL.
 */
void hp_unregister(hp_slot *h);

/**
 * Load *src and protect the loaded object: once this returns p, p is not
 * freed until hp_clear(h) (or the next hp_protect on h).
 * \param h   the calling thread's slot.
 * \param src the shared pointer (written by writers with an atomic store
 *            or exchange before they retire the old object).
 * \return the protected pointer (may be NULL if *src is NULL).
 */
void *hp_protect(hp_slot *h, void *_Atomic *src);

/**
 * Drop the slot's protection.
 * \param h the slot.
 */
void hp_clear(hp_slot *h);

/**
 * Retire an object that is no longer reachable through any shared pointer.
 * \param d       the domain.
 * \param p       the object.
 * \param free_fn called with p once no slot protects it.
 * \return 0, or -1 if out of memory (then p was not retired).
 */
int hp_retire(hp_domain *d, void *p, void (*free_fn)(void *p));

/**
 * Free every retired object that no slot protects.
 * \param d the domain.
 * \return the number freed.
 */
size_t hp_scan(hp_domain *d);

/**
 * \param d the domain.
 * \return the number of retired objects not yet freed.
 */
size_t hp_pending(hp_domain *d);

#endif
