// SPDX-License-Identifier: MIT
/* bpf_cache.c: loaded BPF programs kept across runs, see bpf_cache.h */
#define _GNU_SOURCE
#define PR_DOMAIN "bpf cache"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_cache.h"
#include "json.h"
#include "log.h"
#include "privs.h"

/* kept objects per instance, at most: phaseprof.bpf.c has 14 programs and 18 maps */
#define MAX_KEPT 64
#define MAX_KEY 512
/* every slot held: wait this long for one, in steps, before loading afresh */
#define BPF_CACHE_WAIT_MS 30
#define BPF_CACHE_WAIT_STEP_MS 2

const char *bpf_cache__dir(void)
{
	const char *dir = getenv("PHASEPROF_BPF_CACHE_DIR");

	return dir ? dir : BPF_CACHE_DIR;
}

/* "prog_NAME" or "map_NAME": bpffs refuses dots in names, libbpf's own maps start with one */
static void pin_name(char *buf, size_t len, const char *kind, const char *name)
{
	size_t n = (size_t)snprintf(buf, len, "%s_%s", kind, name[0] == '.' ? name + 1 : name);

	for (char *c = buf; *c && c < buf + (n < len ? n : len); c++)
		if (*c == '.')
			*c = '_';
}

/* The cache's root is on bpffs, root's, and no one else's to write or read. */
static int check_root_dir(const char *dir)
{
	struct statfs fs;
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (statfs(dir, &fs) || lstat(dir, &st))
		return -errno;
	if ((unsigned long)fs.f_type != BPF_FS_MAGIC)
		return -ENOTSUP;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
		return -EPERM;
	return 0;
}

static int make_dir(char *path, size_t len, const char *parent, const char *name)
{
	if ((size_t)snprintf(path, len, "%s/%s", parent, name) >= len)
		return -ENAMETOOLONG;
	return mkdir(path, 0700) && errno != EEXIST ? -errno : 0;
}

/* The slot directory at path, flock()ed with op: its fd, -EWOULDBLOCK when held, or -errno. */
static int open_locked(const char *path, int op)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	if (flock(fd, op | LOCK_NB)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Lock slot dir/i, made if missing: its fd, -EWOULDBLOCK when another run holds it, or -errno. */
static int lock_slot(const char *dir, int i, char *path, size_t len)
{
	char name[16];
	int err;

	snprintf(name, sizeof(name), "%d", i);
	err = make_dir(path, len, dir, name);
	return err ?: open_locked(path, LOCK_EX);
}

/* The first free slot of cfg_dir: 0, -EBUSY when every one is held, or -errno. */
static int first_free(struct bpf_cache_slot *slot, const char *cfg_dir)
{
	for (int i = 0; i < BPF_CACHE_SLOTS; i++) {
		int fd = lock_slot(cfg_dir, i, slot->path, sizeof(slot->path));

		if (fd >= 0) {
			slot->fd = fd;
			futimens(fd, NULL); /* last used: the least recently used goes first */
			return 0;
		}
		if (fd != -EWOULDBLOCK)
			return fd;
	}
	return -EBUSY;
}

static int claim_slot(struct bpf_cache_slot *slot, const char *object, const char *config)
{
	const char *root = bpf_cache__dir();
	char obj_dir[PATH_MAX], cfg_dir[PATH_MAX];
	int err = check_root_dir(root);

	err = err ?: make_dir(obj_dir, sizeof(obj_dir), root, object);
	err = err ?: make_dir(cfg_dir, sizeof(cfg_dir), obj_dir, config);
	err = err ?: first_free(slot, cfg_dir);
	/*
	 * Held by the keepers of runs that just ended (their links take 40 to 100
	 * ms to come down): a short wait costs less than loading afresh.
	 */
	for (int i = 0; err == -EBUSY && i * BPF_CACHE_WAIT_STEP_MS < BPF_CACHE_WAIT_MS; i++) {
		usleep(BPF_CACHE_WAIT_STEP_MS * 1000);
		err = first_free(slot, cfg_dir);
	}
	return err;
}

int bpf_cache__claim(struct bpf_cache_slot *slot, const char *object, const char *config)
{
	struct fs_ident fs;
	int err;

	slot->fd = -1;
	slot->path[0] = 0;
	snprintf(slot->object, sizeof(slot->object), "%s", object);
	if (!bpf_cache__dir()[0])
		return -ENOENT;
	if (geteuid() != 0)
		return -EPERM;
	privs_root_fs(&fs);
	err = claim_slot(slot, object, config);
	privs_restore_fs(&fs);
	if (err)
		pr_debug("no cached BPF programs in %s: %s", bpf_cache__dir(),
			 err == -EBUSY ? "every slot is in use" :
			 err == -ENOTSUP ? "not a bpffs directory" :
			 err == -EPERM ? "not root's alone" : strerror(-err));
	return err;
}

void bpf_cache__release(struct bpf_cache_slot *slot)
{
	if (slot->fd >= 0)
		close(slot->fd);
	slot->fd = -1;
}

/* ---- emptying maps (only system calls: the keeper runs this too) ---- */

static void delete_all(int fd, __u32 key_size, __u32 max_entries)
{
	char key[MAX_KEY];

	if (key_size > sizeof(key))
		return;
	for (__u32 i = 0; i <= max_entries; i++)
		if (bpf_map_get_next_key(fd, NULL, key) || bpf_map_delete_elem(fd, key))
			return;
}

static void zero_percpu(int fd, __u32 value_size, __u32 max_entries)
{
	char zeros[16384] = { 0 };
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu <= 0 || (size_t)ncpu * ((value_size + 7) & ~7U) > sizeof(zeros))
		return;
	for (__u32 i = 0; i < max_entries; i++)
		bpf_map_update_elem(fd, &i, zeros, BPF_ANY);
}

void bpf_cache__empty_maps(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		int fd = bpf_map__fd(map);

		if (fd < 0)
			continue;
		switch (bpf_map__type(map)) {
		case BPF_MAP_TYPE_HASH:
		case BPF_MAP_TYPE_PERCPU_HASH:
		case BPF_MAP_TYPE_LRU_HASH:
		case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		case BPF_MAP_TYPE_STACK_TRACE:
			delete_all(fd, bpf_map__key_size(map), bpf_map__max_entries(map));
			break;
		case BPF_MAP_TYPE_PERCPU_ARRAY:
			zero_percpu(fd, bpf_map__value_size(map), bpf_map__max_entries(map));
			break;
		default: /* ring buffers are drained by the reader; arrays are scratch or globals */
			break;
		}
	}
}

/* ---- keeping a loaded instance ---- */

/* Unlink every entry of the slot's directory (a half-pinned instance, or an old one). */
static void clear_slot(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd, e->d_name, 0);
	closedir(d);
}

/* slot/prog_NAME or slot/map_NAME into pin (PATH_MAX): 0 or -ENAMETOOLONG. */
static int pin_path(const struct bpf_cache_slot *slot, const char *kind, const char *name,
		    char *pin)
{
	char file[128];

	pin_name(file, sizeof(file), kind, name);
	return (size_t)snprintf(pin, PATH_MAX, "%s/%s", slot->path, file) >= PATH_MAX ?
		       -ENAMETOOLONG :
		       0;
}

static int pin_at(const struct bpf_cache_slot *slot, const char *kind, const char *name, int fd)
{
	char pin[PATH_MAX];
	int err = pin_path(slot, kind, name, pin);

	return err ?: bpf_obj_pin(fd, pin) ? -errno : 0;
}

static int pin_all(struct bpf_cache_slot *slot, struct bpf_object *obj)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int err = 0;

	bpf_object__for_each_map(map, obj)
		err = err ?: pin_at(slot, "map", bpf_map__name(map), bpf_map__fd(map));
	bpf_object__for_each_program(prog, obj)
		if (!err && bpf_program__fd(prog) >= 0)
			err = pin_at(slot, "prog", bpf_program__name(prog), bpf_program__fd(prog));
	return err;
}

static void evict_least_used(const char *object);

int bpf_cache__keep(struct bpf_cache_slot *slot, struct bpf_object *obj)
{
	struct fs_ident fs;
	int err;

	if (slot->fd < 0)
		return -EBADF;
	privs_root_fs(&fs);
	clear_slot(slot->fd);
	err = pin_all(slot, obj);
	if (err)
		clear_slot(slot->fd);
	else
		evict_least_used(slot->object);
	privs_restore_fs(&fs);
	if (err)
		pr_debug("cannot keep the BPF programs in %s: %s", slot->path, strerror(-err));
	else
		pr_debug("BPF programs kept in %s for the next run", slot->path);
	return err;
}

/* ---- adopting a kept instance ---- */

struct kept {
	int map_fds[MAX_KEPT];
	int prog_fds[BPF_CACHE_MAX_PROGS];
	__u32 prog_ids[BPF_CACHE_MAX_PROGS];
	bool stale_ok[BPF_CACHE_MAX_PROGS]; /* its links may outlive their run (adopt()) */
	int nmaps, nprogs;
};

static int get_pinned(const struct bpf_cache_slot *slot, const char *kind, const char *name)
{
	char pin[PATH_MAX];
	int fd = pin_path(slot, kind, name, pin);

	if (fd)
		return fd;
	fd = bpf_obj_get(pin);
	return fd < 0 ? -errno : fd;
}

/* The kept map is the one obj would make: same type, key, value and size. */
static int matching_map(const struct bpf_map *map, int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	return info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map) &&
			       info.value_size == bpf_map__value_size(map) &&
			       info.max_entries == bpf_map__max_entries(map) ?
		       0 :
		       -ESTALE;
}

static int matching_prog(const struct bpf_program *prog, int fd, __u32 *id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	return info.type == bpf_program__type(prog) &&
			       !strncmp(info.name, bpf_program__name(prog), sizeof(info.name) - 1) ?
		       0 :
		       -ESTALE;
}

static int gather_maps(const struct bpf_cache_slot *slot, struct bpf_object *obj, struct kept *k)
{
	struct bpf_map *map;
	int err = 0;

	bpf_object__for_each_map(map, obj) {
		int fd = k->nmaps < MAX_KEPT ? get_pinned(slot, "map", bpf_map__name(map)) : -E2BIG;

		if (fd < 0)
			return fd;
		k->map_fds[k->nmaps++] = fd;
		err = matching_map(map, fd);
		if (err)
			return err;
	}
	return 0;
}

static bool named_in(const char *name, const char *const *names)
{
	for (; names && *names; names++)
		if (!strcmp(name, *names))
			return true;
	return false;
}

static int gather_progs(const struct bpf_cache_slot *slot, struct bpf_object *obj, struct kept *k,
			const char *const *stale_ok)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		int fd = -1, err;

		if (k->nprogs == BPF_CACHE_MAX_PROGS)
			return -E2BIG;
		k->stale_ok[k->nprogs] = named_in(bpf_program__name(prog), stale_ok);
		if (bpf_program__autoload(prog)) {
			fd = get_pinned(slot, "prog", bpf_program__name(prog));
			if (fd < 0)
				return fd;
		}
		k->prog_fds[k->nprogs++] = fd;
		if (fd >= 0 && (err = matching_prog(prog, fd, &k->prog_ids[k->nprogs - 1])))
			return err;
	}
	return 0;
}

/* Which of k's programs prog_id is, or -1. */
static int prog_index(const struct kept *k, __u32 prog_id)
{
	for (int i = 0; i < k->nprogs; i++)
		if (k->prog_fds[i] >= 0 && k->prog_ids[i] == prog_id)
			return i;
	return -1;
}

/*
 * The links of the machine that run k's programs: those of a run not yet
 * come down (*live), and those of its programs that tell runs apart (*stale).
 */
static void count_links(const struct kept *k, int *live, int *stale)
{
	__u32 id = 0;

	*live = *stale = 0;
	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);
		int i;

		if (fd < 0)
			continue;
		i = bpf_obj_get_info_by_fd(fd, &info, &len) ? -1 : prog_index(k, info.prog_id);
		close(fd);
		if (i >= 0)
			(*(k->stale_ok[i] ? stale : live))++;
	}
}

static void close_kept(struct kept *k)
{
	for (int i = 0; i < k->nmaps; i++)
		close(k->map_fds[i]);
	for (int i = 0; i < k->nprogs; i++)
		if (k->prog_fds[i] >= 0)
			close(k->prog_fds[i]);
	k->nmaps = k->nprogs = 0;
}

/* Map a kept global section where the skeleton reads it (libbpf's own copy until now). */
static int map_globals(struct bpf_map *map)
{
	size_t size, page = (size_t)sysconf(_SC_PAGESIZE);
	/* libbpf's copy is writable memory of its own: it gives it out as const */
	void *at = (void *)bpf_map__initial_value(map, &size);
	int prot = bpf_map__map_flags(map) & BPF_F_RDONLY_PROG ? PROT_READ : PROT_READ | PROT_WRITE;

	if (!at || !(bpf_map__map_flags(map) & BPF_F_MMAPABLE))
		return 0;
	size = (((size + 7) & ~(size_t)7) * bpf_map__max_entries(map) + page - 1) & ~(page - 1);
	if (mmap(at, size, prot, MAP_SHARED | MAP_FIXED, bpf_map__fd(map), 0) == MAP_FAILED)
		return -errno;
	return 0;
}

/* obj's maps become the kept ones: reuse_fd takes a copy of each fd. */
static int take_maps(struct bpf_object *obj, const struct kept *k)
{
	struct bpf_map *map;
	int i = 0, err = 0;

	bpf_object__for_each_map(map, obj) {
		err = bpf_map__reuse_fd(map, k->map_fds[i++]);
		err = err ?: map_globals(map);
		if (err)
			return err;
	}
	return 0;
}

static int adopt(struct bpf_cache_slot *slot, struct bpf_object *obj, int *prog_fds, struct kept *k,
		 const char *const *stale_ok)
{
	int err = gather_maps(slot, obj, k) ?: gather_progs(slot, obj, k, stale_ok);
	int live = 0, stale = 0;

	if (!err)
		count_links(k, &live, &stale);
	/* a killed run's links go as the kernel closes its files: give them a moment */
	for (int i = 0; live && i < 20; i++) {
		usleep(10000);
		count_links(k, &live, &stale);
	}
	if (live)
		err = -EBUSY;
	else if (stale)
		pr_debug("%d uprobe link%s of an earlier run still coming down: %s hits do not "
			 "count", stale, stale == 1 ? "" : "s", stale == 1 ? "its" : "their");
	err = err ?: take_maps(obj, k);
	if (err)
		return err;
	for (int i = 0; i < k->nprogs; i++)
		prog_fds[i] = k->prog_fds[i];
	k->nprogs = 0; /* the caller owns the program fds now */
	bpf_cache__empty_maps(obj);
	return 0;
}

int bpf_cache__adopt(struct bpf_cache_slot *slot, struct bpf_object *obj, int *prog_fds,
		     const char *const *stale_ok)
{
	struct kept k = { .nmaps = 0 };
	struct fs_ident fs;
	int err;

	if (slot->fd < 0)
		return -EBADF;
	privs_root_fs(&fs);
	err = adopt(slot, obj, prog_fds, &k, stale_ok);
	privs_restore_fs(&fs);
	close_kept(&k);
	if (err && err != -ENOENT)
		pr_debug("cannot reuse the BPF programs kept in %s: %s", slot->path,
			 err == -ESTALE ? "they do not match this phaseprof" :
			 err == -EBUSY ? "still attached" : strerror(-err));
	return err;
}

/* ---- what is kept: listed and dropped ---- */

struct slot_ref {
	const char *object, *config, *slot;
	char path[PATH_MAX];
};

typedef void (*slot_fn)(const struct slot_ref *ref, void *ctx);

static bool all_of(const char *s, const char *set, size_t len)
{
	return strspn(s, set) == strlen(s) && (!len || strlen(s) == len);
}

/*
 * Only names phaseprof makes are walked (and so dropped): the directory may
 * be pointed anywhere in bpffs, where other tools pin their own objects.
 */
static bool ours(int depth, const char *name)
{
	switch (depth) {
	case 0: return all_of(name, "0123456789abcdef", 16); /* OBJECT */
	case 1: return !strncmp(name, "multi-", 6);	     /* CONFIG */
	default: return name[0] && all_of(name, "0123456789", 0); /* SLOT */
	}
}

/* fn for every subdirectory of dir (at depth below the cache's root) phaseprof made. */
static void each_subdir(const char *dir, int depth,
			void (*fn)(const char *dir, const char *name, int depth, void *ctx), void *ctx)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && ours(depth, e->d_name))
			fn(dir, e->d_name, depth, ctx);
	closedir(d);
}

struct walk {
	slot_fn fn;
	void *ctx;
	bool remove_empty; /* directories left empty go (dropping) */
	struct slot_ref ref;
	char dirs[2][PATH_MAX]; /* OBJECT's and CONFIG's */
};

/* dir/name at depth 0 (OBJECT), 1 (CONFIG) or 2 (SLOT, handed to fn). */
static void walk_at(const char *dir, const char *name, int depth, void *ctx)
{
	struct walk *w = ctx;
	const char **field[] = { &w->ref.object, &w->ref.config, &w->ref.slot };
	char *path = depth == 2 ? w->ref.path : w->dirs[depth];

	*field[depth] = name;
	if ((size_t)snprintf(path, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		return;
	if (depth == 2) {
		w->fn(&w->ref, w->ctx);
		return;
	}
	each_subdir(path, depth + 1, walk_at, w);
	if (w->remove_empty)
		rmdir(path); /* only if it is empty now */
}

/* fn for every slot of the cache, as root; with remove_empty, empty directories go too. */
static void each_slot(slot_fn fn, void *ctx, bool remove_empty)
{
	struct walk w = { .fn = fn, .ctx = ctx, .remove_empty = remove_empty };
	struct fs_ident fs;

	privs_root_fs(&fs);
	if (!check_root_dir(bpf_cache__dir()))
		each_subdir(bpf_cache__dir(), 0, walk_at, &w);
	privs_restore_fs(&fs);
}

/* Remove a slot no run holds: 1, 0 when one holds it. */
static int drop_slot(const char *path)
{
	int fd = open_locked(path, LOCK_EX);

	if (fd == -EWOULDBLOCK)
		return 0;
	if (fd < 0)
		return 1;
	clear_slot(fd);
	rmdir(path);
	close(fd);
	return 1;
}

struct drop_count {
	unsigned dropped, busy;
};

static void drop_one(const struct slot_ref *ref, void *ctx)
{
	struct drop_count *c = ctx;

	if (drop_slot(ref->path))
		c->dropped++;
	else
		c->busy++;
}

int bpf_cache__drop(unsigned *dropped, unsigned *busy)
{
	struct drop_count c = { 0 };

	each_slot(drop_one, &c, true);
	*dropped = c.dropped;
	*busy = c.busy;
	return 0;
}


struct lru {
	const char *object; /* this build's: other builds' instances go first */
	char path[BPF_CACHE_MAX_INSTANCES * 4][PATH_MAX];
	struct timespec used[BPF_CACHE_MAX_INSTANCES * 4];
	bool other[BPF_CACHE_MAX_INSTANCES * 4];
	int n;
};

static void note_slot(const struct slot_ref *ref, void *ctx)
{
	struct lru *l = ctx;
	struct stat st;

	if (l->n == BPF_CACHE_MAX_INSTANCES * 4 || stat(ref->path, &st))
		return;
	snprintf(l->path[l->n], sizeof(l->path[0]), "%s", ref->path);
	l->other[l->n] = strcmp(ref->object, l->object) != 0;
	l->used[l->n++] = st.st_mtim;
}

/* i goes before j: another build's, or used longer ago */
static bool goes_first(const struct lru *l, int i, int j)
{
	if (l->other[i] != l->other[j])
		return l->other[i];
	return l->used[i].tv_sec != l->used[j].tv_sec ? l->used[i].tv_sec < l->used[j].tv_sec :
							 l->used[i].tv_nsec < l->used[j].tv_nsec;
}

static int least_used(const struct lru *l)
{
	int min = -1;

	for (int i = 0; i < l->n; i++)
		if (l->path[i][0] && (min < 0 || goes_first(l, i, min)))
			min = i;
	return min;
}


/*
 * Past BPF_CACHE_MAX_INSTANCES, idle instances go: other builds' first (an
 * upgrade leaves the old one's behind), then the least recently used.
 */
static void evict_least_used(const char *object)
{
	struct lru *l = calloc(1, sizeof(*l));
	int kept;

	if (!l)
		return;
	l->object = object;
	each_slot(note_slot, l, false);
	kept = l->n;
	while (kept > BPF_CACHE_MAX_INSTANCES) {
		int i = least_used(l);

		if (i < 0)
			break;
		if (drop_slot(l->path[i])) {
			pr_debug("removed the BPF instance %s (%s)", l->path[i],
				 l->other[i] ? "another build's" : "least recently used");
			kept--;
		}
		l->path[i][0] = 0;
	}
	free(l);
}

/* memlock of a BPF object fd, from its fdinfo (what the kernel charges for it) */
static unsigned long long memlock_of(int fd)
{
	char path[64], line[256];
	unsigned long long bytes = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &bytes) == 1)
			break;
	fclose(f);
	return bytes;
}

struct slot_stats {
	unsigned progs, maps;
	unsigned long long memlock;
	bool busy;
};

static void stat_slot(const char *path, struct slot_stats *st)
{
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	memset(st, 0, sizeof(*st));
	if (dfd < 0)
		return;
	st->busy = flock(dfd, LOCK_SH | LOCK_NB) != 0;
	d = fdopendir(dup(dfd));
	while (d && (e = readdir(d))) {
		char pin[PATH_MAX];
		int fd;

		if (e->d_name[0] == '.' ||
		    (size_t)snprintf(pin, sizeof(pin), "%s/%s", path, e->d_name) >= sizeof(pin))
			continue;
		fd = bpf_obj_get(pin);
		if (fd < 0)
			continue;
		st->memlock += memlock_of(fd);
		st->progs += !strncmp(e->d_name, "prog_", 5);
		st->maps += !strncmp(e->d_name, "map_", 4);
		close(fd);
	}
	if (d)
		closedir(d);
	close(dfd);
}

struct lister {
	FILE *out;
	struct json *j;
	unsigned n;
};

static void list_one(const struct slot_ref *ref, void *ctx)
{
	struct lister *l = ctx;
	struct slot_stats st;

	stat_slot(ref->path, &st);
	l->n++;
	if (!l->j) {
		fprintf(l->out, "  %s: %u programs, %u maps, %.1f MiB locked, %s\n", ref->path,
			st.progs, st.maps, st.memlock / 1048576.0, st.busy ? "in use" : "idle");
		return;
	}
	json_begin_object(l->j, NULL);
	json_string(l->j, "path", ref->path);
	json_string(l->j, "object", ref->object);
	json_string(l->j, "config", ref->config);
	json_string(l->j, "slot", ref->slot);
	json_u64(l->j, "programs", st.progs);
	json_u64(l->j, "maps", st.maps);
	json_u64(l->j, "memlock_bytes", st.memlock);
	json_bool(l->j, "in_use", st.busy);
	json_end_object(l->j);
}

unsigned bpf_cache__list(FILE *out, struct json *j)
{
	struct lister l = { .out = out, .j = j };

	each_slot(list_one, &l, false);
	return l.n;
}
