/* shrink_groups_ex.c - exercise 12.1, solved: a shrink that keeps MULTI/EXEC
 * together (see shrink_groups_ex.h). */
#include "shrink_groups_ex.h"

#include "alloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

/** The groups and the caller's test, for the expanding test. */
typedef struct groups {
    size_t *start;        /**< first command of each group */
    size_t *len;          /**< its number of commands */
    size_t ng;            /**< how many groups */
    size_t *cmd;          /**< scratch: the expanded command indices */
    check_fails_fn fails; /**< the caller's test */
    void *arg;            /**< its argument */
} groups;

/* Group indices (increasing) to command indices (increasing) in g->cmd. */
static size_t expand(const groups *g, const size_t *gi, size_t n, size_t *cmd)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < g->len[gi[i]]; j++)
            cmd[m++] = g->start[gi[i]] + j;
    return m;
}

static int fails_groups(const size_t *gi, size_t n, void *arg)
{
    groups *g = arg;
    return g->fails(g->cmd, expand(g, gi, n, g->cmd), g->arg);
}

static int is(const char *name, const char *want)
{
    return strcasecmp(name, want) == 0;
}

/* Cut cmds into groups (shrink_groups_ex.h has the rules). */
static void find_groups(const char *const *cmds, size_t n, groups *g)
{
    g->ng = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        if (is(cmds[i], "MULTI")) {
            while (j < n && !is(cmds[j], "EXEC") && !is(cmds[j], "DISCARD"))
                j++;
            if (j < n)
                j++; /* the EXEC or DISCARD belongs to the group */
        }
        g->start[g->ng] = i;
        g->len[g->ng] = j - i;
        g->ng++;
        i = j;
    }
}

int shrink_groups(const char *const *cmds, size_t n, check_fails_fn fails,
                  void *arg, size_t **out, size_t *outn)
{
    groups g = {.fails = fails, .arg = arg};
    size_t *gout = NULL, gn = 0;
    int rc = -1;
    *out = NULL;
    *outn = 0;
    for (size_t i = 0; i < n; i++)
        if (cmds[i] == NULL) {
            errno = EINVAL;
            return -1;
        }
    if (n > SIZE_MAX / sizeof(size_t) - 1) {
        errno = ENOMEM;
        return -1;
    }
    /* n + 1: never a zero-sized request */
    g.start = xmalloc((n + 1) * sizeof *g.start);
    g.len = xmalloc((n + 1) * sizeof *g.len);
    g.cmd = xmalloc((n + 1) * sizeof *g.cmd);
    if (g.start == NULL || g.len == NULL || g.cmd == NULL)
        goto done;
    find_groups(cmds, n, &g);
    rc = check_shrink(g.ng, fails_groups, &g, &gout, &gn, NULL);
    if (rc != 0)
        goto done;
    /* the result has at most n commands: expand it into g.cmd, which
     * becomes the caller's array */
    *outn = expand(&g, gout, gn, g.cmd);
    *out = g.cmd;
    g.cmd = NULL;
done:
    free(gout);
    free(g.start);
    free(g.len);
    free(g.cmd);
    return rc;
}
