// SPDX-License-Identifier: MIT
/* test_syms.c: the symbol engine's pure parts (demangling, Rust hashes,
 * clones, globs) and a load of /proc/self/exe and, if present, /usr/bin/node. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "check.h"
#include "syms.h"

static void check_demangled(const char *mangled, const char *want)
{
	char *d = syms__demangle(mangled);

	CHECK_STR(d, want);
	free(d);
}

static void test_demangle(void)
{
	check_demangled("_ZN2v88internal4wasm10WasmEngine11SyncCompileEv",
			"v8::internal::wasm::WasmEngine::SyncCompile()");
	check_demangled("_ZN8wasmtime7runtime4func27invoke_wasm_and_catch_traps17h0123456789abcdefE",
			"wasmtime::runtime::func::invoke_wasm_and_catch_traps");
	check_demangled("_RNvCs1234_4tiny14compile_module", "tiny::compile_module");
	check_demangled("_ZL3foov.part.0", "foo() [clone .part.0]");
	check_demangled("_ZN12_GLOBAL__N_13barEv.isra.0.part.0",
			"(anonymous namespace)::bar() [clone .isra.0] [clone .part.0]");
	CHECK(syms__demangle("load_from_sections") == NULL);
	CHECK(syms__demangle("_start") == NULL);
}

static void test_clones(void)
{
	CHECK(syms__is_cold("foo.cold"));
	CHECK(syms__is_cold("foo.cold.12"));
	CHECK(syms__is_cold("_Z3fooi.cold"));
	CHECK(!syms__is_cold("foo.coldstart"));
	CHECK(!syms__is_cold("foo.part.0"));
	CHECK(syms__match("foo", "foo"));
	CHECK(syms__match("foo", "foo.part.0"));
	CHECK(syms__match("foo", "foo.constprop.3"));
	CHECK(syms__match("foo", "foo.isra.0.part.1"));
	CHECK(syms__match("foo", "foo.lto_priv.0"));
	CHECK(!syms__match("foo", "foo.cold"));
	CHECK(!syms__match("foo", "foo.part.0.cold"));
	CHECK(syms__match("foo", "_ZL3foov.part.0"));
	CHECK(!syms__match("foo", "_Z3fooi.cold"));
	CHECK(!syms__match("foo", "foobar"));
}

/* a glob sees template arguments only when it has a '<' itself */
static void test_template_args(void)
{
	/* ns::Decoder<ns::Compile>::Decode(int) */
	const char *dec = "_ZN2ns7DecoderINS_7CompileEE6DecodeEi";
	/* ns::Compiler::Run(int) */
	const char *run = "_ZN2ns8Compiler3RunEi";
	/* bool ns::operator< <int>(ns::A<int> const&, ns::A<int> const&) */
	const char *lt = "_ZN2nsltIiEEbRKNS_1AIT_EES5_";

	CHECK(!syms__match("ns::*Compile*", dec));
	CHECK(syms__match("ns::*Compile*", run));
	CHECK(syms__match("ns::Decoder::Decode", dec));
	CHECK(syms__match("ns::Decoder<*Compile*>::Decode", dec));
	CHECK(syms__match("ns::operator<*", lt));
	CHECK(syms__match("ns::operator*", lt));
}

static void test_glob(void)
{
	const char *cb = "_ZN8wasmtime7compile7runtime62_$LT$impl$u20$wasmtime..compile..code_builder"
			 "..CodeBuilder$GT$14compile_module17h0123456789abcdefE";

	CHECK(syms__match("wasmtime::*CodeBuilder*::compile_module", cb));
	CHECK(syms__match("*::compile_module", cb));
	CHECK(!syms__match("compile_module", cb));
	CHECK(syms__match("v8::internal::wasm::*Compile*",
			  "_ZN2v88internal4wasm10WasmEngine11SyncCompileEv"));
	CHECK(syms__match("v8::internal::wasm::WasmEngine::SyncCompile()",
			  "_ZN2v88internal4wasm10WasmEngine11SyncCompileEv"));
	CHECK(!syms__match("v8::internal::wasm::WasmEngine::SyncCompile(int)",
			   "_ZN2v88internal4wasm10WasmEngine11SyncCompileEv"));
	CHECK(syms__match("fo?", "foo"));
	CHECK(syms__match("f[a-o]o", "foo"));
	CHECK(syms__match("foo<int>", "_Z3fooIiEvT_"));
	CHECK(syms__match("<tiny::Engine>::compile", "_RNvMCs1234_4tinyNtB2_6Engine7compile"));
}

static void test_load(const char *path, const char *spec)
{
	const struct sym **v = NULL, *s;
	char err[512];
	struct syms *syms = syms__load(path, NULL, err, sizeof(err));
	uint64_t off = 1;
	size_t n = 0;

	CHECK(syms != NULL);
	if (!syms) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK(syms__count(syms) > 0);
	CHECK(syms__build_id(syms) != NULL);
	for (size_t i = 1; i < syms__count(syms); i++)
		CHECK(syms__at(syms, i - 1)->vaddr <= syms__at(syms, i)->vaddr);
	CHECK_INT(syms__resolve(syms, spec, NULL, &v, &n, err, sizeof(err)), 0);
	CHECK(n >= 1);
	if (n) {
		s = syms__find(syms, v[0]->vaddr, &off);
		CHECK(s && s->vaddr == v[0]->vaddr);
		CHECK_INT(off, 0);
	}
	free(v);
	CHECK_INT(syms__resolve(syms, "0x1000", NULL, &v, &n, err, sizeof(err)), -EPERM);
	CHECK(syms__suggest(syms, "mian", (const char *[4]){ 0 }, 4) >= 1);
	syms__free(syms);
}

/* A cut copy of an ELF file is called truncated, never stripped; a FIFO does not block. */
static void test_truncated(void)
{
	char dir[] = "/tmp/test_syms.XXXXXX", cut[64], fifo[64], err[512], buf[4096];
	int in = open("/proc/self/exe", O_RDONLY), out;
	ssize_t n;

	CHECK(in >= 0 && mkdtemp(dir));
	snprintf(cut, sizeof(cut), "%s/cut", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	out = open(cut, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	n = read(in, buf, sizeof(buf));
	CHECK(out >= 0 && n == (ssize_t)sizeof(buf) && write(out, buf, n) == n);
	close(in);
	close(out);
	CHECK(syms__load(cut, NULL, err, sizeof(err)) == NULL && errno == ENOEXEC);
	CHECK(strstr(err, "truncated or corrupt") != NULL);
	CHECK(strstr(err, "stripped") == NULL);
	CHECK(!mkfifo(fifo, 0600));
	CHECK(syms__load(fifo, NULL, err, sizeof(err)) == NULL && errno == ENOEXEC);
	unlink(cut);
	unlink(fifo);
	rmdir(dir);
}

int main(void)
{
	char err[256];

	test_demangle();
	test_clones();
	test_glob();
	test_template_args();
	test_load("/proc/self/exe", "main");
	if (!access("/usr/bin/node", R_OK))
		test_load("/usr/bin/node", "v8::internal::wasm::WasmEngine::SyncCompile");
	CHECK(syms__load("/nonexistent", NULL, err, sizeof(err)) == NULL && errno == ENOENT);
	CHECK(syms__load("/etc/passwd", NULL, err, sizeof(err)) == NULL && errno == ENOEXEC);
	test_truncated();
	return checks_report("test_syms");
}
