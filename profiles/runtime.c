// SPDX-License-Identifier: MIT
/* runtime.c: the runtime binary and its process, see runtime.h */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <elfutils/libdwelf.h>
#include "privs.h"
#include "runtime.h"

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static int search_path(const char *name, char *path, size_t len)
{
	const char *env = getenv("PATH");
	const char *p = env && *env ? env : "/usr/local/bin:/usr/bin:/bin";

	while (*p) {
		const char *colon = strchrnul(p, ':');
		int n = snprintf(path, len, "%.*s/%s", (int)(colon - p), colon > p ? p : ".", name);

		if (n > 0 && (size_t)n < len && is_executable_file(path))
			return 0;
		p = *colon ? colon + 1 : colon;
	}
	return -ENOENT;
}

int runtime_locate(const char *spec, char *path, size_t len)
{
	char found[PATH_MAX];
	struct stat st;

	if (!*spec)
		return -ENOENT;
	if (strchr(spec, '/')) {
		if (strlen(spec) >= sizeof(found))
			return -ENAMETOOLONG;
		strcpy(found, spec);
	} else if (search_path(spec, found, sizeof(found))) {
		return -ENOENT;
	}
	if (stat(found, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EACCES;
	if (!realpath(found, path) || strlen(path) >= len)
		return -errno ? -errno : -ENAMETOOLONG;
	return 0;
}

int runtime_check_elf(const char *path, char *why, size_t len)
{
	unsigned char hdr[EI_NIDENT] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n >= 2 && hdr[0] == '#' && hdr[1] == '!') {
		snprintf(why, len, "it is a script; name the interpreter's binary instead");
		return -ENOEXEC;
	}
	if (n < EI_NIDENT || memcmp(hdr, ELFMAG, SELFMAG)) {
		snprintf(why, len, "not an ELF file");
		return -ENOEXEC;
	}
	if (hdr[EI_CLASS] != ELFCLASS64) {
		snprintf(why, len, "a 32-bit ELF file; only 64-bit runtimes are supported");
		return -ENOEXEC;
	}
	return 0;
}

int elf_build_id(const char *path, char *hex, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = elf_build_id_fd(fd, hex, len);
	close(fd);
	return err;
}

int elf_build_id_fd(int fd, char *hex, size_t len)
{
	const unsigned char *id;
	ssize_t n = -1;
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf)
		n = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	if (n > 0 && (size_t)n * 2 < len) {
		for (ssize_t i = 0; i < n; i++)
			sprintf(hex + 2 * i, "%02x", id[i]);
	}
	if (elf)
		elf_end(elf);
	return n > 0 && (size_t)n * 2 < len ? 0 : -ENODATA;
}

int drop_to_invoking_user(void)
{
	char why[160];
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	int ret = invoking_user(&uid, &gid, why, sizeof(why));

	/* a malformed SUDO_UID must never leave the target running as root */
	if (ret <= 0)
		return ret;
	pw = getpwuid(uid);
	if ((pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL)) || setgid(gid) || setuid(uid))
		return -errno;
	return 0;
}

/* Read one line from fd within the deadline; the child is killed if it is late. */
static void read_first_line(int fd, pid_t pid, char *out, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t used = 0;

	while (used + 1 < len && poll(&pfd, 1, 5000) > 0) {
		ssize_t n = read(fd, out + used, len - 1 - used);

		if (n <= 0)
			break;
		used += n;
		if (memchr(out, '\n', used))
			break;
	}
	out[used] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	kill(pid, SIGKILL);
}

int runtime_version(char *const argv[], char *out, size_t len)
{
	int pipefd[2], status, devnull;
	pid_t pid;

	if (!argv || !argv[0] || len == 0 || pipe2(pipefd, O_CLOEXEC))
		return -EINVAL;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(pipefd[1], 1);
		dup2(devnull, 2);
		if (drop_to_invoking_user() == 0)
			execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	read_first_line(pipefd[0], pid, out, len);
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return out[0] ? 0 : -ENODATA;
}

int have_bpf_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	int need[] = { CAP_BPF, CAP_PERFMON };

	if (geteuid() == 0)
		return 1;
	if (syscall(SYS_capget, &hdr, data))
		return 0;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!(data[need[i] / 32].effective & (1u << (need[i] % 32))))
			return 0;
	return 1;
}

/* name itself, or a versioned file of it (libfoo.so -> libfoo.so.1.2) in dir */
static int find_in_dir(const char *dir, const char *name, char *path, size_t len)
{
	size_t nlen = strlen(name);
	struct dirent *de;
	DIR *d;
	int n = snprintf(path, len, "%s/%s", dir, name);

	if (n > 0 && (size_t)n < len && access(path, R_OK) == 0)
		return 0;
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, name, nlen) || de->d_name[nlen] != '.')
			continue;
		n = snprintf(path, len, "%s/%s", dir, de->d_name);
		if (n > 0 && (size_t)n < len && access(path, R_OK) == 0) {
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -ENOENT;
}

int library_locate(const char *name, const char *runtime_path, char *path, size_t len)
{
	static const char *const sysdirs[] = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
					       "/usr/local/lib", "/usr/lib", "/lib", "/lib64" };
	char dir[PATH_MAX], up[PATH_MAX + 8];
	const char *slash = strrchr(runtime_path, '/');
	const char *env = getenv("LD_LIBRARY_PATH");

	if (strchr(name, '/'))
		return access(name, R_OK) ? -ENOENT : (snprintf(path, len, "%s", name), 0);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - runtime_path) : 1,
		 slash ? runtime_path : ".");
	snprintf(up, sizeof(up), "%s/../lib", dir);
	if (!find_in_dir(dir, name, path, len) || !find_in_dir(up, name, path, len))
		return 0;
	while (env && *env) {
		const char *colon = strchrnul(env, ':');

		snprintf(dir, sizeof(dir), "%.*s", (int)(colon - env), env);
		if (*dir && !find_in_dir(dir, name, path, len))
			return 0;
		env = *colon ? colon + 1 : NULL;
	}
	for (size_t i = 0; i < sizeof(sysdirs) / sizeof(sysdirs[0]); i++)
		if (!find_in_dir(sysdirs[i], name, path, len))
			return 0;
	return -ENOENT;
}

/* Does this function start by setting up a frame pointer (after an optional endbr64)? */
static bool sets_frame_pointer(const unsigned char *p, size_t avail)
{
	static const unsigned char endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	static const unsigned char push_mov[] = { 0x55, 0x48, 0x89, 0xe5 };

	if (avail >= 8 && !memcmp(p, endbr64, 4)) {
		p += 4;
		avail -= 4;
	}
	return avail >= 4 && !memcmp(p, push_mov, 4);
}

static void count_prologues(Elf *elf, Elf_Scn *symscn, GElf_Shdr *symsh,
			    struct frame_info *fi)
{
	Elf_Data *syms = elf_getdata(symscn, NULL);
	size_t n = symsh->sh_entsize ? symsh->sh_size / symsh->sh_entsize : 0;
	size_t step = n > 2048 ? n / 2048 : 1;

	for (size_t i = 0; syms && i < n; i += step) {
		GElf_Sym sym;
		GElf_Shdr sh;
		Elf_Scn *scn;
		Elf_Data *text;

		if (!gelf_getsym(syms, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_size < 16 || sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
			continue;
		scn = elf_getscn(elf, sym.st_shndx);
		if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    sym.st_value < sh.sh_addr || sym.st_value - sh.sh_addr >= sh.sh_size)
			continue;
		text = elf_getdata(scn, NULL);
		if (!text || !text->d_buf || sym.st_value - sh.sh_addr >= text->d_size)
			continue;
		fi->functions++;
		fi->with_frame_pointer += sets_frame_pointer(
			(const unsigned char *)text->d_buf + (sym.st_value - sh.sh_addr),
			text->d_size - (sym.st_value - sh.sh_addr));
	}
}

int elf_frame_info(const char *path, struct frame_info *fi)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr sh, symsh;
	size_t shstrndx;
	Elf *elf;

	memset(fi, 0, sizeof(*fi));
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if ((!strcmp(name, ".eh_frame") || !strcmp(name, ".debug_frame")) && sh.sh_size > 8)
			fi->has_cfi = true;
		if (sh.sh_type == SHT_SYMTAB)
			symtab = scn;
		if (sh.sh_type == SHT_DYNSYM)
			dynsym = scn;
	}
	scn = symtab ? symtab : dynsym;
	if (scn && gelf_getshdr(scn, &symsh))
		count_prologues(elf, scn, &symsh, fi);
	elf_end(elf);
	close(fd);
	return 0;
}
