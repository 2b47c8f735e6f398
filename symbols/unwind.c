// SPDX-License-Identifier: MIT
/*
 * unwind.c: user stacks from registers and a stack copy, see unwind.h.
 *
 * Each frame: the mapping of the pc, the file's CFI (opened once, kept for
 * the unwinder's life), the rules for the pc (libdw computes them, a
 * direct-mapped cache keeps them in a compact form, since samples repeat
 * the same few thousand pcs), then the caller's registers from the rules and
 * the stack copy. No CFI for the pc: one frame-pointer step.
 */
#define _GNU_SOURCE
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include "unwind.h"
#include "hash.h"

/* The registers we track, in struct unwind_regs order. */
enum { R_IP, R_SP, R_BP, R_BX, R_R12, R_R13, R_R14, R_R15, NREGS };

/* x86-64 psABI DWARF numbers: rbx 3, rbp 6, rsp 7, r12-r15 12-15, return address 16. */
#define DW_RA 16
static const int8_t slot_of_dwarf[DW_RA + 1] = {
	-1, -1, -1, R_BX, -1, -1, R_BP, R_SP, -1, -1, -1, -1, R_R12, R_R13, R_R14, R_R15, R_IP,
};
static const int dwarf_of_slot[NREGS] = { DW_RA, 7, 6, 3, 12, 13, 14, 15 };

enum rule_kind {
	RULE_SAME,
	RULE_UNDEF,
	RULE_AT_CFA,     /* saved at CFA + off */
	RULE_CFA,        /* is CFA + off */
	RULE_REG,        /* is register reg (a slot) + off */
	RULE_AT_EXPR,    /* saved at the address the DWARF expression gives */
	RULE_EXPR,       /* is what the DWARF expression gives */
};

struct rule {
	uint8_t kind;
	int8_t reg;
	uint16_t nops;
	int64_t off;
	const Dwarf_Op *ops; /* RULE_*EXPR: interned in the file's Dwarf_CFI */
};

/* How to get the caller's registers at one pc. The CFA rule is RULE_REG or RULE_EXPR;
 * reg[R_SP] is unused (the caller's sp is the CFA). */
struct rules {
	struct rule cfa;
	struct rule reg[NREGS];
	bool signal; /* a signal trampoline: its caller's pc is exact, not a return address */
};

struct seg {
	uint64_t offset, vaddr, size;
};

/* One mapped file and its CFI. */
struct module {
	struct module *next; /* hash chain */
	char *path;
	int fd;
	Elf *elf;
	void *image; /* the vDSO: a copy of ours */
	Dwarf_CFI *eh;
	Dwarf *dw; /* for .debug_frame, opened on the first miss in .eh_frame */
	Dwarf_CFI *dbg;
	bool dbg_tried;
	struct seg *segs;
	size_t nsegs;
};

enum { PC_EMPTY, PC_RULES, PC_NONE };

struct pc_entry {
	const struct module *mod;
	uint64_t vaddr;
	uint8_t state;
	struct rules r;
};

#define MOD_BUCKETS 256
#define PATH_MEMO 64
#define PC_CACHE_BITS 14

/* A mapping's path, as mmaps interned it, and its module (NULL: no file). */
struct path_memo {
	const char *path;
	struct module *mod;
};

struct unwinder {
	struct module *mods[MOD_BUCKETS];
	/* hashing the path for every frame costs more than the rest of the frame */
	struct path_memo memo[PATH_MEMO];
	struct pc_entry *pcs; /* 1 << PC_CACHE_BITS, direct-mapped */
	struct unwind_stats stats;
};

/* One walk: the registers of the current frame and the stack copy. */
struct walk {
	const struct mmaps *mm;
	uint32_t pid;
	uint64_t sp0;
	const uint8_t *stack;
	size_t len;
	uint64_t val[NREGS];
	uint8_t known; /* bit per slot: registers whose value we have */
	bool exact_pc; /* the pc is not a return address (frame 0, after a signal frame) */
	const struct unwind_hidden *hidden;
};

/* ---- files ---- */

static uint32_t path_hash(const char *s)
{
	return (uint32_t)fnv1a_str(FNV1A_INIT, s);
}

static int load_segs(struct module *m)
{
	size_t n;

	if (elf_getphdrnum(m->elf, &n))
		return -EINVAL;
	m->segs = calloc(n ? n : 1, sizeof(*m->segs));
	if (!m->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(m->elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			m->segs[m->nsegs++] = (struct seg){ ph.p_offset, ph.p_vaddr, ph.p_memsz };
	}
	return 0;
}

/* The vDSO is not a file: every process has the same image as ours. */
static Elf *open_vdso(struct module *m)
{
	const GElf_Ehdr *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
	size_t size;

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return NULL;
	/* the section headers come last in the image */
	size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	if (size > (1 << 20))
		return NULL;
	m->image = malloc(size);
	if (!m->image)
		return NULL;
	memcpy(m->image, eh, size);
	return elf_memory(m->image, size);
}

/*
 * A module with no CFI at all is kept too (eh NULL), so the file is opened once;
 * so is one whose name now leads to another file than the one mapped.
 */
static void module_open(struct module *m, const struct mapping *map)
{
	if (!strcmp(m->path, "[vdso]")) {
		m->elf = open_vdso(m);
	} else {
		m->fd = mapping__open(map);
		if (m->fd >= 0)
			m->elf = elf_begin(m->fd, ELF_C_READ_MMAP, NULL);
	}
	if (!m->elf || elf_kind(m->elf) != ELF_K_ELF || load_segs(m))
		return;
	m->eh = dwarf_getcfi_elf(m->elf);
}

/* Only real files and the vDSO have CFI: not "//anon", "[heap]", "[stack]", "/memfd:x". */
static bool has_file(const char *path)
{
	if (!strcmp(path, "[vdso]"))
		return true;
	return path[0] == '/' && path[1] != '/' && strncmp(path, "/memfd:", 7);
}

static struct module *module_get(struct unwinder *u, const struct mapping *map)
{
	const char *path = map->path;
	uint32_t b = path_hash(path) % MOD_BUCKETS;
	struct module *m;

	for (m = u->mods[b]; m; m = m->next)
		if (!strcmp(m->path, path))
			return m;
	if (!has_file(path))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->path = strdup(path);
	m->fd = -1;
	if (!m->path) {
		free(m);
		return NULL;
	}
	module_open(m, map);
	u->stats.files++;
	m->next = u->mods[b];
	u->mods[b] = m;
	return m;
}

/* By the path's pointer first: mmaps interns paths, so the pointer rarely changes. The
 * strcmp() guards against another mmaps reusing the memory of a freed path. */
static struct module *module_of(struct unwinder *u, const struct mapping *map)
{
	const char *path = map->path;
	struct path_memo *pm = &u->memo[((uintptr_t)path >> 4) % PATH_MEMO];

	if (pm->path == path && (pm->mod ? !strcmp(pm->mod->path, path) : !has_file(path)))
		return pm->mod;
	pm->path = path;
	pm->mod = module_get(u, map);
	return pm->mod;
}

static void module_free(struct module *m)
{
	if (m->eh)
		dwarf_cfi_end(m->eh);
	if (m->dw)
		dwarf_end(m->dw);
	if (m->elf)
		elf_end(m->elf);
	if (m->fd >= 0)
		close(m->fd);
	free(m->image);
	free(m->segs);
	free(m->path);
	free(m);
}

static int module_vaddr(const struct module *m, uint64_t offset, uint64_t *vaddr)
{
	for (size_t i = 0; i < m->nsegs; i++) {
		const struct seg *s = &m->segs[i];

		if (offset >= s->offset && offset - s->offset < s->size) {
			*vaddr = s->vaddr + (offset - s->offset);
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- rules from libdw ---- */

static int slot_of(Dwarf_Word dwarf_reg)
{
	return dwarf_reg <= DW_RA ? slot_of_dwarf[dwarf_reg] : -1;
}

/* The shapes libdw builds in ops_mem (offset, val_offset, register), or an interned expression. */
static int rule_from_ops(struct rule *r, Dwarf_Op *ops_mem, Dwarf_Op *ops, size_t nops)
{
	bool value = nops && ops[nops - 1].atom == DW_OP_stack_value;
	size_t n = value ? nops - 1 : nops;

	if (!nops) {
		r->kind = ops ? RULE_UNDEF : RULE_SAME;
		return 0;
	}
	if (ops[0].atom == DW_OP_call_frame_cfa &&
	    (n == 1 || (n == 2 && ops[1].atom == DW_OP_plus_uconst))) {
		r->kind = value ? RULE_CFA : RULE_AT_CFA;
		r->off = n == 2 ? (int64_t)ops[1].number : 0;
		return 0;
	}
	if (n == 1 && (ops[0].atom == DW_OP_regx || ops[0].atom == DW_OP_bregx)) {
		r->kind = RULE_REG;
		r->reg = (int8_t)slot_of(ops[0].number);
		r->off = ops[0].atom == DW_OP_bregx ? (int64_t)ops[0].number2 : 0;
		return r->reg < 0 ? -ENOTSUP : 0;
	}
	if (ops == ops_mem || nops > UINT16_MAX)
		return -ENOTSUP;
	r->kind = value ? RULE_EXPR : RULE_AT_EXPR;
	r->ops = ops;
	r->nops = (uint16_t)n;
	return 0;
}

static int rules_from_frame(struct rules *rs, Dwarf_Frame *f)
{
	Dwarf_Op ops_mem[3], *ops;
	size_t nops;

	memset(rs, 0, sizeof(*rs));
	if (dwarf_frame_info(f, NULL, NULL, &rs->signal) != DW_RA)
		return -ENOTSUP;
	if (dwarf_frame_cfa(f, &ops, &nops) || !nops)
		return -ENOTSUP;
	if (nops == 1 && ops[0].atom == DW_OP_bregx) {
		rs->cfa.kind = RULE_REG;
		rs->cfa.reg = (int8_t)slot_of(ops[0].number);
		rs->cfa.off = (int64_t)ops[0].number2;
		if (rs->cfa.reg < 0)
			return -ENOTSUP;
	} else {
		/* an interned expression: it lives as long as the CFI */
		rs->cfa = (struct rule){ .kind = RULE_EXPR, .ops = ops, .nops = (uint16_t)nops };
	}
	for (int s = 0; s < NREGS; s++) {
		if (s == R_SP)
			continue;
		if (dwarf_frame_register(f, dwarf_of_slot[s], ops_mem, &ops, &nops) ||
		    rule_from_ops(&rs->reg[s], ops_mem, ops, nops))
			return -ENOTSUP;
	}
	return 0;
}

static int cfi_rules(struct module *m, uint64_t vaddr, struct rules *rs)
{
	Dwarf_Frame *f = NULL;
	int err;

	if (!m->eh || dwarf_cfi_addrframe(m->eh, vaddr, &f)) {
		if (!m->dbg_tried) {
			m->dbg_tried = true;
			m->dw = m->elf ? dwarf_begin_elf(m->elf, DWARF_C_READ, NULL) : NULL;
			m->dbg = m->dw ? dwarf_getcfi(m->dw) : NULL;
		}
		free(f);
		f = NULL;
		if (!m->dbg || dwarf_cfi_addrframe(m->dbg, vaddr, &f)) {
			free(f);
			return -ENOENT;
		}
	}
	err = rules_from_frame(rs, f);
	free(f);
	return err;
}

static const struct rules *rules_get(struct unwinder *u, struct module *m, uint64_t vaddr)
{
	uint64_t h = ((uintptr_t)m ^ vaddr) * 0x9e3779b97f4a7c15ull;
	struct pc_entry *e = &u->pcs[h >> (64 - PC_CACHE_BITS)];

	if (e->state != PC_EMPTY && e->mod == m && e->vaddr == vaddr) {
		u->stats.cache_hits += e->state == PC_RULES;
		return e->state == PC_RULES ? &e->r : NULL;
	}
	e->mod = m;
	e->vaddr = vaddr;
	e->state = cfi_rules(m, vaddr, &e->r) ? PC_NONE : PC_RULES;
	return e->state == PC_RULES ? &e->r : NULL;
}

/* ---- evaluation ---- */

static bool read_stack(const struct walk *w, uint64_t addr, uint64_t *out)
{
	if (addr < w->sp0 || w->len < 8 || addr - w->sp0 > w->len - 8)
		return false;
	memcpy(out, w->stack + (addr - w->sp0), 8);
	/* a uretprobe's trampoline stands where the real return address was */
	for (unsigned i = 0; w->hidden && i < w->hidden->n; i++)
		if (w->hidden->slot[i] == addr) {
			*out = w->hidden->orig[i];
			break;
		}
	return true;
}

static bool reg_value(const struct walk *w, int slot, uint64_t *out)
{
	if (slot < 0 || !(w->known & (1u << slot)))
		return false;
	*out = w->val[slot];
	return true;
}

/* Why an evaluation failed: a register we lack or an op we skip, or memory outside the copy. */
enum { EVAL_OK, EVAL_NO_INFO, EVAL_TRUNCATED };

static int binary_op(uint8_t atom, uint64_t a, uint64_t b, uint64_t *out)
{
	switch (atom) {
	case DW_OP_plus: *out = a + b; break;
	case DW_OP_minus: *out = a - b; break;
	case DW_OP_mul: *out = a * b; break;
	case DW_OP_and: *out = a & b; break;
	case DW_OP_or: *out = a | b; break;
	case DW_OP_xor: *out = a ^ b; break;
	case DW_OP_shl: *out = b < 64 ? a << b : 0; break;
	case DW_OP_shr: *out = b < 64 ? a >> b : 0; break;
	case DW_OP_shra: *out = (uint64_t)((int64_t)a >> (b < 64 ? b : 63)); break;
	case DW_OP_ge: *out = (int64_t)a >= (int64_t)b; break;
	case DW_OP_gt: *out = (int64_t)a > (int64_t)b; break;
	case DW_OP_le: *out = (int64_t)a <= (int64_t)b; break;
	case DW_OP_lt: *out = (int64_t)a < (int64_t)b; break;
	case DW_OP_eq: *out = a == b; break;
	case DW_OP_ne: *out = a != b; break;
	default: return EVAL_NO_INFO;
	}
	return EVAL_OK;
}

#define EVAL_DEPTH 16

/*
 * The DWARF expressions CFI uses: PLT entries (DW_OP_breg7 DW_OP_breg16 DW_OP_lit15
 * DW_OP_and DW_OP_lit11 DW_OP_ge DW_OP_lit3 DW_OP_shl DW_OP_plus), signal frames
 * (DW_OP_breg7 N DW_OP_deref), and register rules (DW_OP_call_frame_cfa first).
 */
static int eval_expr(const struct walk *w, const Dwarf_Op *ops, size_t nops, uint64_t cfa,
		     uint64_t *out)
{
	uint64_t st[EVAL_DEPTH], v;
	size_t sp = 0;

	for (size_t i = 0; i < nops; i++) {
		uint8_t a = ops[i].atom;

		if (sp == EVAL_DEPTH)
			return EVAL_NO_INFO;
		if (a >= DW_OP_lit0 && a <= DW_OP_lit31) {
			st[sp++] = a - DW_OP_lit0;
		} else if (a >= DW_OP_breg0 && a <= DW_OP_breg31) {
			if (!reg_value(w, slot_of(a - DW_OP_breg0), &v))
				return EVAL_NO_INFO;
			st[sp++] = v + ops[i].number;
		} else if (a == DW_OP_bregx) {
			if (!reg_value(w, slot_of(ops[i].number), &v))
				return EVAL_NO_INFO;
			st[sp++] = v + ops[i].number2;
		} else if (a == DW_OP_call_frame_cfa) {
			st[sp++] = cfa;
		} else if (a == DW_OP_const1u || a == DW_OP_const2u || a == DW_OP_const4u ||
			   a == DW_OP_const8u || a == DW_OP_const1s || a == DW_OP_const2s ||
			   a == DW_OP_const4s || a == DW_OP_const8s || a == DW_OP_constu ||
			   a == DW_OP_consts) {
			st[sp++] = ops[i].number;
		} else if (a == DW_OP_dup && sp >= 1) {
			v = st[sp - 1];
			st[sp++] = v;
		} else if (a == DW_OP_drop && sp >= 1) {
			sp--;
		} else if (a == DW_OP_plus_uconst && sp >= 1) {
			st[sp - 1] += ops[i].number;
		} else if (a == DW_OP_deref && sp >= 1) {
			if (!read_stack(w, st[sp - 1], &st[sp - 1]))
				return EVAL_TRUNCATED;
		} else if (a == DW_OP_nop) {
		} else if (sp >= 2) {
			if (binary_op(a, st[sp - 2], st[sp - 1], &st[sp - 2]))
				return EVAL_NO_INFO;
			sp--;
		} else {
			return EVAL_NO_INFO;
		}
	}
	if (!sp)
		return EVAL_NO_INFO;
	*out = st[sp - 1];
	return EVAL_OK;
}

/* The caller's value of one register under rule r (RULE_SAME and RULE_UNDEF are the caller's). */
static int eval_rule(const struct walk *w, const struct rule *r, uint64_t cfa, uint64_t *out)
{
	uint64_t v;
	int err;

	switch (r->kind) {
	case RULE_AT_CFA:
		return read_stack(w, cfa + r->off, out) ? EVAL_OK : EVAL_TRUNCATED;
	case RULE_CFA:
		*out = cfa + r->off;
		return EVAL_OK;
	case RULE_REG:
		if (!reg_value(w, r->reg, &v))
			return EVAL_NO_INFO;
		*out = v + r->off;
		return EVAL_OK;
	case RULE_AT_EXPR:
		err = eval_expr(w, r->ops, r->nops, cfa, &v);
		if (err)
			return err;
		return read_stack(w, v, out) ? EVAL_OK : EVAL_TRUNCATED;
	case RULE_EXPR:
		return eval_expr(w, r->ops, r->nops, cfa, out);
	}
	return EVAL_NO_INFO;
}

static enum unwind_stop stop_of(int eval_err)
{
	return eval_err == EVAL_TRUNCATED ? UNWIND_TRUNCATED : UNWIND_NO_INFO;
}

/* One step by CFI: false with *stop set when the walk ends here. */
static bool step_cfi(struct walk *w, const struct rules *rs, enum unwind_stop *stop)
{
	uint64_t cfa, next[NREGS];
	uint8_t known = w->known;
	int err;

	if (rs->reg[R_IP].kind == RULE_UNDEF) {
		*stop = UNWIND_END;
		return false;
	}
	err = eval_rule(w, &rs->cfa, 0, &cfa);
	if (!err && cfa <= w->val[R_SP])
		err = EVAL_NO_INFO; /* not up the stack: a loop */
	for (int s = 0; !err && s < NREGS; s++) {
		const struct rule *r = &rs->reg[s];

		next[s] = w->val[s];
		if (s == R_SP)
			next[s] = cfa;
		else if (r->kind == RULE_UNDEF)
			known &= ~(1u << s);
		else if (r->kind != RULE_SAME && !(err = eval_rule(w, r, cfa, &next[s])))
			known |= 1u << s;
	}
	if (err) {
		*stop = stop_of(err);
		return false;
	}
	memcpy(w->val, next, sizeof(next));
	w->known = known | 1u << R_SP;
	w->exact_pc = rs->signal;
	return true;
}

/* One step by frame pointer: caller's ip at [bp + 8], bp at [bp], sp at bp + 16. */
static bool step_fp(struct walk *w, enum unwind_stop *stop)
{
	uint64_t bp = w->val[R_BP], ip, caller_bp;

	*stop = UNWIND_NO_INFO;
	if (!(w->known & (1u << R_BP)) || bp < w->val[R_SP] || (bp & 7))
		return false;
	if (!read_stack(w, bp, &caller_bp) || !read_stack(w, bp + 8, &ip)) {
		*stop = UNWIND_TRUNCATED;
		return false;
	}
	w->val[R_IP] = ip;
	w->val[R_SP] = bp + 16;
	w->val[R_BP] = caller_bp;
	w->exact_pc = false;
	return true;
}

static bool step(struct unwinder *u, struct walk *w, enum unwind_stop *stop)
{
	uint64_t pc = w->val[R_IP] - (w->exact_pc ? 0 : 1), vaddr;
	const struct mapping *map = mmaps__find(w->mm, w->pid, pc);
	struct module *m = map ? module_of(u, map) : NULL;
	const struct rules *rs = NULL;

	if (m && !module_vaddr(m, pc - map->start + map->pgoff, &vaddr)) {
		rs = rules_get(u, m, vaddr);
		u->stats.cfi_misses += !rs;
	}
	if (rs) {
		u->stats.cfi_steps++;
		return step_cfi(w, rs, stop);
	}
	u->stats.fp_steps++;
	return step_fp(w, stop);
}

/* ---- the API ---- */

struct unwinder *unwinder__new(void)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->pcs = calloc((size_t)1 << PC_CACHE_BITS, sizeof(*u->pcs));
	if (!u->pcs) {
		free(u);
		errno = ENOMEM;
		return NULL;
	}
	elf_version(EV_CURRENT);
	return u;
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	for (int b = 0; b < MOD_BUCKETS; b++) {
		for (struct module *m = u->mods[b], *next; m; m = next) {
			next = m->next;
			module_free(m);
		}
	}
	free(u->pcs);
	free(u);
}

int unwinder__unwind(struct unwinder *u, const struct mmaps *mm, uint32_t pid,
		     const struct unwind_regs *regs, const void *stack, size_t len,
		     uint64_t *ips, int max, enum unwind_stop *stop)
{
	return unwinder__unwind_hidden(u, mm, pid, regs, stack, len, NULL, ips, max, stop);
}

int unwinder__unwind_hidden(struct unwinder *u, const struct mmaps *mm, uint32_t pid,
			    const struct unwind_regs *regs, const void *stack, size_t len,
			    const struct unwind_hidden *hidden, uint64_t *ips, int max,
			    enum unwind_stop *stop)
{
	struct walk w = { mm, pid, regs->sp, stack, len, { 0 }, (1u << NREGS) - 1, true, hidden };
	enum unwind_stop why = UNWIND_LIMIT;
	int n = 0;

	memcpy(w.val, regs, sizeof(w.val));
	for (;;) {
		if (!w.val[R_IP]) {
			why = UNWIND_END;
			break;
		}
		if (n >= max)
			break;
		ips[n++] = w.val[R_IP];
		if (!step(u, &w, &why))
			break;
	}
	u->stats.samples++;
	u->stats.frames += n;
	u->stats.truncated += why == UNWIND_TRUNCATED;
	u->stats.no_info += why == UNWIND_NO_INFO;
	*stop = why;
	return n;
}

void unwinder__stats(const struct unwinder *u, struct unwind_stats *out)
{
	*out = u->stats;
}
