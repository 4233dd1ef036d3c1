/* ebr.h - epoch-based reclamation: free memory once no reader can hold it.
 * Chapter 3.
 *
 * The problem.  A copy-on-write writer publishes a new snapshot and wants to
 * free the old one, but a reader that loaded the old pointer a moment ago
 * may still be reading it.  Go's garbage collector waits for that reader
 * automatically; C must be told.  This module is that waiting.
 *
 * The scheme.  A global epoch counter moves forward one step at a time.  A
 * reader entering a read-side critical section announces the epoch it saw
 * in its own slot (one cache line per reader, so readers never write a
 * shared line); leaving, it clears the slot.  A writer that has unlinked an
 * object retires it, tagged with the current epoch t.  The epoch may advance
 * from E to E+1 only when every reader slot is idle or announces E.  So once
 * the epoch has reached t+2, every reader that was inside a section when
 * the object was retired has left, and readers that entered later can only
 * have loaded the new pointer: the object is freed.
 *
 * Retiring cannot fail.  The link that queues a retired object lives inside
 * the object (an ebr_node embedded in it, as the Linux kernel embeds an
 * rcu_head), so ebr_retire() allocates nothing and no writer ever needs a
 * fallback that waits for readers.
 *
 * Bound on garbage.  A retired object is freed by the second successful
 * advance after its retirement, no later: with all readers passing through
 * quiescent points, two ebr_reclaim() calls free it.  A reader that stays
 * inside a section blocks advances, and so reclamation, but never a writer:
 * ebr_retire() does not wait, it only lets garbage pile up.  Piling up is
 * made visible: the domain keeps a high-water mark of pending bytes and
 * raises an alarm (a callback, or by default one line on stderr) naming how
 * much is waiting and for how long the epoch has not moved.
 *
 * Threads.  A reader slot belongs to the thread that registered it.  When
 * that thread exits, a thread-exit destructor closes any section the slot
 * was left in, so a reader that dies inside a section stops holding memory
 * back; the slot stays registered (idle) until ebr_unregister().
 *
 * Only C11 atomics are used, so ThreadSanitizer sees every happens-before
 * edge: a reader's exit is a release store that the writer's scan reads
 * with a seq_cst load before anything is freed.
 */
#ifndef EBR_H
#define EBR_H

#include <stddef.h>
#include <stdint.h>

/** A reclamation domain: one per data structure (one per store). */
typedef struct ebr ebr;
/** One registered reader thread's slot in a domain. */
typedef struct ebr_reader ebr_reader;

/**
 * The queue link of a retired object, embedded in the object itself.  The
 * owner never touches its fields; ebr_retire() fills them in.
 */
typedef struct ebr_node {
    struct ebr_node *next;                /**< next retired object */
    void (*free_fn)(struct ebr_node *n);  /**< frees the enclosing object */
    size_t bytes;                         /**< its size, for statistics */
    uint64_t epoch;                       /**< the epoch it was retired in */
} ebr_node;

/** What a domain reports about its garbage (ebr_report_get(), alarms). */
typedef struct ebr_report {
    size_t pending;       /**< retired objects not yet freed */
    size_t pending_bytes; /**< their bytes */
    size_t peak_bytes;    /**< high-water mark of pending_bytes */
    uint64_t epoch;       /**< the current epoch */
    double stalled_s;     /**< seconds since the epoch last advanced */
    size_t forced_exits;  /**< sections closed because their thread exited */
} ebr_report;

/**
 * An alarm callback: called when pending garbage crosses the domain's
 * threshold, and again each time it doubles.
 * \param arg the argument given to ebr_set_alarm().
 * \param rep the figures at the moment of crossing (valid during the call).
 */
typedef void ebr_alarm_fn(void *arg, const ebr_report *rep);

/** Default alarm threshold: 64 MiB of retired objects waiting. */
#define EBR_ALARM_BYTES ((size_t)64 << 20)

/**
 * Create a domain with no readers and nothing retired.  Its alarm is set to
 * EBR_ALARM_BYTES with the default report (one line on stderr).
 * \return the domain, or NULL with errno ENOMEM.  Free with ebr_destroy().
 */
ebr *ebr_create(void);

/**
 * Destroy a domain, first freeing everything still retired.
 * \param d the domain, or NULL (does nothing).  No other thread may use d.
 * \return 0, or -1 with errno EBUSY when a reader is still registered:
 *         then nothing is freed and d stays usable.
 */
int ebr_destroy(ebr *d);

/**
 * Register the calling thread as a reader.
 * \param d the domain.
 * \return the reader's slot, or NULL with errno ENOMEM.  The slot is tied
 *         to the calling thread: only it may enter and exit sections, and
 *         its exit closes a section left open.  Thread-safe.
 */
ebr_reader *ebr_register(ebr *d);

/**
 * Unregister a reader and free its slot.  May be called from any thread
 * once the slot's thread has left its section (or has exited).
 * \param r the slot, or NULL (returns 0).
 * \return 0, or -1 with errno EBUSY when the slot is inside a section:
 *         then the slot stays registered.
 */
int ebr_unregister(ebr_reader *r);

/**
 * Enter a read-side critical section.  Until the matching ebr_exit(), no
 * object that was still reachable when this call returned is freed, so a
 * pointer loaded inside the section stays valid to its end.  Retries only
 * if the epoch moves during the call.  Sections must not nest.
 * \param r the calling thread's slot.
 */
void ebr_enter(ebr_reader *r);

/**
 * Leave the read-side critical section: pointers loaded inside it must not
 * be used any more.  One release store.
 * \param r the calling thread's slot.
 */
void ebr_exit(ebr_reader *r);

/**
 * Hand an unlinked object to the domain, to be freed once every reader that
 * might hold it has left.  Never waits for readers, never allocates, cannot
 * fail.
 *
 * \param d       the domain.
 * \param n       the ebr_node embedded in the object; the object must
 *                already be unreachable for readers that enter from now on.
 * \param free_fn called as free_fn(n) once it is safe, by whichever thread
 *                reclaims, with no lock held (so it may call ebr functions,
 *                even retire more objects).
 * \param bytes   the object's size, for statistics and the alarm only.
 * Thread-safe.  May call the alarm callback (see ebr_set_alarm()).
 */
void ebr_retire(ebr *d, ebr_node *n, void (*free_fn)(ebr_node *n),
                size_t bytes);

/**
 * Try once to advance the epoch, then free every retired object that has
 * become safe.  Never blocks on readers (only on the domain's mutex).
 * \param d the domain.
 * \return the number of objects freed by this call.  Thread-safe.
 */
size_t ebr_reclaim(ebr *d);

/**
 * Block until every object retired before this call has been taken off the
 * retired list and handed to its free function (by this call, or by an
 * ebr_reclaim() in another thread that may still be running it): a full
 * grace period.  Must not be called from inside a critical section (it
 * would wait for itself forever), and never by a writer that others wait
 * for: a reader stuck in its section makes it wait as long.  Thread-safe.
 * \param d the domain.
 */
void ebr_synchronize(ebr *d);

/**
 * Read how much garbage is waiting.  Takes no lock: each figure is exact
 * at some moment during the call, the two not necessarily at the same one.
 * \param d             the domain.
 * \param pending       if not NULL, receives the number of retired objects
 *                      not yet freed.
 * \param pending_bytes if not NULL, receives the sum of their bytes.
 */
void ebr_stats(ebr *d, size_t *pending, size_t *pending_bytes);

/**
 * Read every figure the domain keeps about its garbage.
 * \param d   the domain.
 * \param out receives the figures.  Thread-safe (takes the domain's mutex).
 */
void ebr_report_get(ebr *d, ebr_report *out);

/**
 * Set the garbage alarm.  When pending bytes reach `bytes`, fn is called
 * once (by the retiring thread, with no lock held); again at 2x, 4x, ...;
 * the alarm re-arms when pending bytes fall back under `bytes`.
 * \param d     the domain.
 * \param bytes the threshold; 0 turns the alarm off.
 * \param fn    the callback, or NULL for the default: one line on stderr.
 * \param arg   passed to fn.
 * Thread-safe.
 */
void ebr_set_alarm(ebr *d, size_t bytes, ebr_alarm_fn *fn, void *arg);

/**
 * The current global epoch, for tests and teaching output.  Starts at 1.
 * \param d the domain.
 * \return the epoch (it only ever grows).
 */
uint64_t ebr_epoch(ebr *d);

#endif
