/* ebr_private.h - the layout of an ebr domain and a reader slot; not an API.
 * Chapter 3.
 *
 * ebr.c is the only code that touches these fields.  They are in a header
 * so that the chapter-3 tests can check the layout the design depends on
 * (the epoch alone on its line, each reader slot alone on its line) and
 * read a slot's announcement, and so that the test build can place a hook
 * inside ebr_enter().  The hook exists only when EBR_TEST_HOOKS is defined,
 * which the Makefile does for the copy of ebr.c linked into the test
 * programs; the library itself compiles the hook to nothing.
 */
#ifndef EBR_PRIVATE_H
#define EBR_PRIVATE_H

#include "ebr.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/** Two 64-byte lines: the adjacent-line prefetcher pulls pairs of lines,
 *  so 64-byte padding still lets two writers' fields share traffic. */
#define EBR_LINE 128

/** The threads that registered slots: one per thread, in its TLS. */
typedef struct ebr_thread {
    ebr_reader *slots; /**< this thread's registered slots (owners_lock) */
} ebr_thread;

/** A reader slot: its first line is written only by its reader. */
struct ebr_reader {
    /** 0 outside a critical section, else the epoch announced on entry. */
    _Alignas(EBR_LINE) _Atomic uint64_t announced;
    ebr *domain;       /**< read on entry, never written after register */
    ebr_reader *next;  /**< in domain->readers, under domain->lock */
    ebr_thread *owner; /**< registering thread, NULL once it has exited */
    ebr_reader *tnext; /**< in owner->slots, under the owners lock */
};

/** A domain: the epoch on a line of its own, the writers' state after. */
struct ebr {
    /** The global epoch: loaded by every reader on every entry, stored
     *  only by an advance.  Nothing else lives on its line. */
    _Alignas(EBR_LINE) _Atomic uint64_t epoch;
    /** Guards everything below; taken by writers, never by readers. */
    _Alignas(EBR_LINE) pthread_mutex_t lock;
    ebr_reader *readers;            /**< registered slots */
    ebr_node *head;                 /**< retired, oldest first */
    ebr_node *tail;                 /**< newest retired */
    _Atomic size_t pending;         /**< retired and not freed */
    _Atomic size_t pending_bytes;   /**< their bytes */
    size_t peak_bytes;              /**< high-water mark of pending_bytes */
    uint64_t advanced_ns;           /**< CLOCK_MONOTONIC of the last advance */
    size_t alarm_bytes;             /**< alarm threshold, 0 = off */
    size_t alarm_next;              /**< next level that raises the alarm */
    ebr_alarm_fn *alarm_fn;         /**< NULL: the default stderr line */
    void *alarm_arg;                /**< passed to alarm_fn */
    _Atomic size_t forced_exits;    /**< sections closed by thread exit */
};

#ifdef EBR_TEST_HOOKS
/** Test builds only: called in ebr_enter() between loading the epoch and
 *  announcing it, with the slot and the epoch just loaded. */
extern void (*ebr_test_enter_hook)(ebr_reader *r, uint64_t seen);
/** Calls the test hook when one is set. */
#define EBR_ENTER_HOOK(r, e)                                                   \
    do {                                                                       \
        if (ebr_test_enter_hook != NULL)                                       \
            ebr_test_enter_hook((r), (e));                                     \
    } while (0)
#else
/** The library build: no hook, no code. */
#define EBR_ENTER_HOOK(r, e) ((void)0)
#endif

#endif
