/* glob.c - Redis's glob patterns (see glob.h).
 * Chapter 11.
 *
 * One pass with a single backtrack point.  When `*` is met, remember where
 * in the pattern it was and where in the subject we were; on a mismatch
 * later, let that `*` swallow one more byte and retry from there.  Only
 * the last `*` needs remembering: whatever an earlier one matched can be
 * kept, because the later `*` can absorb any extra bytes.  Classes and
 * escapes are matched by one_byte(), which also says how many pattern
 * bytes the element used.
 */
#include "glob.h"

#include <ctype.h>

static unsigned char fold(unsigned char c, bool nocase)
{
    return nocase ? (unsigned char)tolower(c) : c;
}

/* Match one pattern element at pat[0..) against byte c.  Sets *used to
 * the element's length in the pattern.  The element is not `*`. */
static bool one_byte(const unsigned char *pat, size_t plen, unsigned char c,
                     bool nocase, size_t *used)
{
    if (pat[0] == '?') {
        *used = 1;
        return true;
    }
    if (pat[0] == '\\' && plen >= 2) {
        *used = 2;
        return fold(pat[1], nocase) == fold(c, nocase);
    }
    if (pat[0] != '[') {
        *used = 1;
        return fold(pat[0], nocase) == fold(c, nocase);
    }
    size_t i = 1;
    bool negate = i < plen && pat[i] == '^';
    if (negate)
        i++;
    bool hit = false;
    for (; i < plen && pat[i] != ']'; i++) {
        if (pat[i] == '\\' && i + 1 < plen) {
            i++;
            if (fold(pat[i], nocase) == fold(c, nocase))
                hit = true;
        } else if (i + 2 < plen && pat[i + 1] == '-' && pat[i + 2] != ']') {
            unsigned char lo = fold(pat[i], nocase);
            unsigned char hi = fold(pat[i + 2], nocase);
            unsigned char x = fold(c, nocase);
            if (lo > hi) {
                unsigned char t = lo;
                lo = hi;
                hi = t;
            }
            if (x >= lo && x <= hi)
                hit = true;
            i += 2;
        } else if (fold(pat[i], nocase) == fold(c, nocase)) {
            hit = true;
        }
    }
    /* i is at ']' or at the end (an unclosed class, as Redis takes it). */
    *used = i < plen ? i + 1 : plen;
    return negate ? !hit : hit;
}

bool glob_match(const char *pattern, size_t plen, const char *subject,
                size_t slen, bool nocase)
{
    /* learn: ch11 glob_match "The command table" */
    const unsigned char *pat = (const unsigned char *)pattern;
    const unsigned char *s = (const unsigned char *)subject;
    size_t p = 0, i = 0;
    size_t star_p = (size_t)-1, star_i = 0;
    while (i < slen || p < plen) {
        if (p < plen && pat[p] == '*') {
            while (p < plen && pat[p] == '*')
                p++;
            if (p == plen)
                return true;
            star_p = p;
            star_i = i;
            continue;
        }
        size_t used = 0;
        if (p < plen && i < slen &&
            one_byte(pat + p, plen - p, s[i], nocase, &used)) {
            p += used;
            i++;
            continue;
        }
        if (star_p == (size_t)-1 || star_i >= slen)
            return false;
        star_i++;
        p = star_p;
        i = star_i;
    }
    return true;
    /* learn: end */
}

bool glob_is_literal(const char *pat, size_t plen)
{
    for (size_t i = 0; i < plen; i++)
        if (pat[i] == '*' || pat[i] == '?' || pat[i] == '[' || pat[i] == '\\')
            return false;
    return true;
}
