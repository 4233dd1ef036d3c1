/* rdb_module.c - reading module data without the module.
 * Chapter 7.
 *
 * A module value (type 7, MODULE_2) or MODULE_AUX record starts with a
 * 64-bit module id: 9 characters of 6 bits each (the module type name, from
 * a 64-character alphabet) and a 10-bit encoding version.  What follows is
 * whatever the module wrote, but since Redis 4.0 GA every write is tagged:
 *   1 signed int (a length) | 2 unsigned int (a length) | 3 float (4 bytes)
 *   | 4 double (8 bytes) | 5 string | 0 end
 * so a reader that does not have the module can still step over (or show)
 * the data.  The 4.0 release candidates wrote untagged data (type 6), which
 * nobody but the module can parse -- that is why type 7 exists.
 */
#include "rdb_internal.h"
#include "alloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char module_charset[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int rdb_read_module_ops(rdb_ctx *c, uint64_t id, value *v)
{
    value_module *m = value_edit_module(v);
    uint64_t bits = id >> 10;
    for (int i = 8; i >= 0; i--) {
        m->name[i] = module_charset[bits & 63];
        bits >>= 6;
    }
    m->name[9] = '\0';
    m->module_id = id;
    m->encver = (unsigned)(id & 1023);
    for (;;) {
        uint64_t at = rdb_offset(c->r), op;
        if (rdb_read_len(c->r, &op, NULL) != 0)
            return -1;
        if (op == 0)
            return 0;
        value_module_op o;
        memset(&o, 0, sizeof o);
        o.kind = (value_module_op_kind)op;
        switch (op) {
        case VALUE_MOD_SINT:
        case VALUE_MOD_UINT:
            if (rdb_read_len(c->r, &o.u, NULL) != 0)
                return -1;
            break;
        case VALUE_MOD_FLOAT: {
            uint64_t u;
            float f;
            uint32_t u32;
            if (rdb_read_uint_le(c->r, 4, &u) != 0)
                return -1;
            u32 = (uint32_t)u;
            memcpy(&f, &u32, sizeof f);
            o.d = f;
            break;
        }
        case VALUE_MOD_DOUBLE:
            if (rdb_read_double_bin(c->r, &o.d) != 0)
                return -1;
            break;
        case VALUE_MOD_STRING:
            if (rdb_read_string(c->r, &c->s1, NULL) != 0 ||
                value_intern(v, c->s1.p, c->s1.len, &o.str) != 0)
                return -1;
            break;
        default:
            return rdb_fail_at(c->r, at, "module %s: unknown data opcode %"
                               PRIu64, m->name, op);
        }
        if ((m->nops & (m->nops - 1)) == 0) {
            void *p = xrealloc(m->ops, (m->nops ? m->nops * 2 : 1) *
                                          sizeof *m->ops);
            if (p == NULL)
                return rdb_fail(c->r, "out of memory");
            m->ops = p;
        }
        m->ops[m->nops++] = o;
    }
}
