// SPDX-License-Identifier: MIT
/*
 * test_profile.c: the probe-file parser: good files, every error with its
 * line:col, argv expansion, the binary-name family rule of profile__find,
 * the tree's own probes/, and random bytes (no crash, no leak under valgrind).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/types.h>

#include "phaseprof.h"
#include "profile.h"
#include "check.h"

static char err[512];

static int parse(const char *text, struct profile **p)
{
	*p = NULL;
	return profile__parse_text("t.probe", text, strlen(text), p, err, sizeof(err));
}

static const char node_probe[] =
	"# node.probe: what the phases mean for Node.js\n"
	"profile node                      # required, first directive\n"
	"binaries node nodejs\n"
	"argv {runtime} --no-warnings {profile_dir}/node-wasi.cjs {args}\n"
	"version {runtime} --version\n"
	"\n"
	"phase load\n"
	"\tduring v8::internal::wasm::DecodeWasmModule\n"
	"\tduring v8::internal::wasm::ValidateFunctions | v8::internal::wasm::ValidateFunctionsOld\n"
	"phase compile\n"
	"\topen  v8::internal::wasm::WasmEngine::AsyncCompile\n"
	"\tclose v8::internal::wasm::AsyncCompileJob::FinishCompile%return\n"
	"phase execute\n"
	"\topen Builtins_GenericJSToWasmWrapper no-return\n"
	"phase teardown optional\n"
	"\topen lib:libnode.so.108:node::FreeEnvironment\n";

static void test_example(void)
{
	struct profile *p;
	const struct probe_site *s;

	CHECK_INT(profile__parse_text("/x/probes/node.probe", node_probe, strlen(node_probe), &p,
				      err, sizeof(err)), 0);
	CHECK_STR(err, "");
	if (!p)
		return;
	CHECK_STR(p->name, "node");
	CHECK_STR(p->path, "/x/probes/node.probe");
	CHECK_STR(p->dir, "/x/probes");
	CHECK_INT(p->nbinaries, 2);
	CHECK_STR(p->binaries[0], "node");
	CHECK_STR(p->binaries[1], "nodejs");
	CHECK_INT(p->nargv, 4);
	CHECK_STR(p->argv[0], "{runtime}");
	CHECK_STR(p->argv[2], "{profile_dir}/node-wasi.cjs");
	CHECK_STR(p->argv[3], "{args}");
	CHECK_INT(p->nversion_argv, 2);
	CHECK_STR(p->version_argv[1], "--version");
	CHECK_INT(p->nsites, 6);
	CHECK(p->optional_phase[PP_PHASE_TEARDOWN]);
	CHECK(!p->optional_phase[PP_PHASE_LOAD]);

	s = &p->sites[0];
	CHECK_INT(s->phase, PP_PHASE_LOAD);
	CHECK_INT(s->kind, SITE_DURING);
	CHECK_INT(s->line, 8);
	CHECK_INT(s->col, 2);
	CHECK_STR(s->text, "during v8::internal::wasm::DecodeWasmModule");

	s = &p->sites[1];
	CHECK_INT(s->ncandidates, 2);
	CHECK_STR(s->candidates[0].spec, "v8::internal::wasm::ValidateFunctions");
	CHECK_STR(s->candidates[1].spec, "v8::internal::wasm::ValidateFunctionsOld");
	CHECK(!s->candidates[1].lib);

	s = &p->sites[2];
	CHECK_INT(s->phase, PP_PHASE_COMPILE);
	CHECK_INT(s->kind, SITE_OPEN);
	CHECK(!s->at_return);
	s = &p->sites[3];
	CHECK_INT(s->kind, SITE_CLOSE);
	CHECK(s->at_return);
	CHECK_STR(s->candidates[0].spec, "v8::internal::wasm::AsyncCompileJob::FinishCompile");

	s = &p->sites[4];
	CHECK_INT(s->phase, PP_PHASE_EXECUTE);
	CHECK(s->no_return);
	CHECK_STR(s->text, "open Builtins_GenericJSToWasmWrapper no-return");

	s = &p->sites[5];
	CHECK_INT(s->phase, PP_PHASE_TEARDOWN);
	CHECK_STR(s->candidates[0].lib, "libnode.so.108");
	CHECK_STR(s->candidates[0].spec, "node::FreeEnvironment");
	profile__free(p);
}

static void test_quoting_and_attributes(void)
{
	struct profile *p;
	const struct probe_site *s;
	const char *text =
		"\xef\xbb\xbfprofile \"my-runtime\"\r\n"
		"binaries rt\n"
		"phase compile\n"
		"  during \"v8::(anonymous namespace)::WebAssemblyCompile\" # a comment \"x\n"
		"  open \"a \\\"q\\\" \\\\ b\" | \"|\" | \"no-return\"\n"
		"  close 0x4F2A10 | lib:libx.so:0x10 build-id=ABCdef0123 no-return\n"
		"  close \"lib:liby.so:foo(int)%return\" | bar+0x10%return\n"
		"phase instantiate\n"
		"  open \"Sé\"#comment right after a quote\n";

	CHECK_INT(parse(text, &p), 0);
	CHECK_STR(err, "");
	if (!p)
		return;
	CHECK_STR(p->name, "my-runtime");
	CHECK_STR(p->dir, ".");
	/* no argv line: the default */
	CHECK_INT(p->nargv, 2);
	CHECK_STR(p->argv[0], "{runtime}");
	CHECK_STR(p->argv[1], "{args}");
	CHECK_INT(p->nversion_argv, 0);
	CHECK_INT(p->nsites, 5);
	s = &p->sites[0];
	CHECK_STR(s->candidates[0].spec, "v8::(anonymous namespace)::WebAssemblyCompile");
	CHECK_STR(s->text, "during \"v8::(anonymous namespace)::WebAssemblyCompile\"");
	s = &p->sites[1];
	CHECK_INT(s->ncandidates, 3);
	CHECK_STR(s->candidates[0].spec, "a \"q\" \\ b");
	CHECK_STR(s->candidates[1].spec, "|");
	CHECK_STR(s->candidates[2].spec, "no-return");
	CHECK(!s->no_return);
	s = &p->sites[2];
	CHECK_INT(s->ncandidates, 2);
	CHECK_STR(s->candidates[0].spec, "0x4F2A10");
	CHECK_STR(s->candidates[1].lib, "libx.so");
	CHECK_STR(s->candidates[1].spec, "0x10");
	CHECK_STR(s->build_id, "abcdef0123");
	CHECK(s->no_return);
	CHECK(!s->at_return);
	s = &p->sites[3];
	CHECK(s->at_return);
	CHECK_STR(s->candidates[0].lib, "liby.so");
	CHECK_STR(s->candidates[0].spec, "foo(int)");
	CHECK_STR(s->candidates[1].spec, "bar+0x10");
	s = &p->sites[4];
	CHECK_INT(s->phase, PP_PHASE_INSTANTIATE);
	CHECK_STR(s->candidates[0].spec, "Sé");
	profile__free(p);
}

struct bad {
	const char *text;
	const char *where; /* "t.probe:LINE:COL: " */
	const char *what;  /* part of the message */
};

#define HDR "profile x\nbinaries x\n"

static const struct bad bad_files[] = {
	{ "", "t.probe:1:1: ", "no 'profile NAME' line" },
	{ "# only a comment\n\n", "t.probe:1:1: ", "no 'profile NAME' line" },
	{ "profile x\nphase load\n during f\n", "t.probe:1:1: ", "no 'binaries' line" },
	{ "profile x\nbinaries x\n", "t.probe:1:1: ", "no phase sections" },
	{ "binaries x\n", "t.probe:1:1: ", "'binaries' before 'profile'" },
	{ "  profil x\n", "t.probe:1:3: ", "unknown directive 'profil' (did you mean 'profile'?)" },
	{ HDR "phse load\n", "t.probe:3:1: ", "did you mean 'phase'?" },
	{ HDR "  duing f\n", "t.probe:3:3: ", "did you mean 'during'?" },
	{ HDR "frobnicate\n", "t.probe:3:1: ", "unknown directive 'frobnicate' (directives: profile" },
	{ HDR "\"phase\" load\n", "t.probe:3:1: ", "unknown directive 'phase'" },
	{ "profile x\nprofile y\n", "t.probe:2:1: ", "duplicate 'profile' (first at line 1)" },
	{ "profile\n", "t.probe:1:1: ", "'profile' needs a name" },
	{ "profile x y\n", "t.probe:1:11: ", "unexpected 'y' after the profile name" },
	{ "profile \"\"\n", "t.probe:1:9: ", "empty profile name" },
	{ "profile ../../x\n", "t.probe:1:9: ", "profile name '../../x' may use only a-z, 0-9" },
	{ "profile Node\n", "t.probe:1:9: ", "profile name 'Node' may use only" },
	{ "profile x\nbinaries\n", "t.probe:2:1: ", "'binaries' needs at least one file name" },
	{ "profile x\nbinaries a /usr/bin/b\n", "t.probe:2:12: ", "'/usr/bin/b' is a path" },
	{ HDR "binaries y\n", "t.probe:3:1: ", "duplicate 'binaries'" },
	{ HDR "phase load\n during f\nargv {runtime}\n", "t.probe:5:1: ",
	  "'argv' after a phase section" },
	{ HDR "argv\n", "t.probe:3:1: ", "'argv' needs at least one word" },
	{ HDR "argv {runtime} {arg}\n", "t.probe:3:16: ", "unknown placeholder '{arg}'" },
	{ HDR "argv {runtime} --x={runtim}\n", "t.probe:3:20: ", "unknown placeholder '{runtim}'" },
	{ HDR "argv {runtime} \"a b {oops}\"\n", "t.probe:3:21: ", "unknown placeholder '{oops}'" },
	{ HDR "argv {runtime} \"\\\\{oops}\"\n", "t.probe:3:19: ", "unknown placeholder" },
	{ HDR "argv {runtime} {args\n", "t.probe:3:16: ", "unterminated placeholder" },
	{ HDR "argv {runtime} --a={args}\n", "t.probe:3:20: ", "'{args}' must be a word of its own" },
	{ HDR "argv {runtime}\nargv {runtime}\n", "t.probe:4:1: ", "duplicate 'argv'" },
	{ HDR "version {runtim} -v\n", "t.probe:3:9: ", "unknown placeholder '{runtim}'" },
	{ HDR "during f\n", "t.probe:3:1: ", "'during' outside a phase section" },
	{ HDR "phase\n", "t.probe:3:1: ", "'phase' needs a name (phases: startup load compile" },
	{ HDR "phase lod\n", "t.probe:3:7: ",
	  "unknown phase 'lod' (phases: startup load compile instantiate execute teardown)" },
	{ HDR "phase load\n during f\nphase load\n", "t.probe:5:7: ",
	  "duplicate phase 'load' (first at line 3)" },
	{ HDR "phase load sometimes\n", "t.probe:3:12: ", "only 'optional' may follow" },
	{ HDR "phase load optional x\n", "t.probe:3:21: ", "unexpected 'x' after 'optional'" },
	{ HDR "phase load\nphase compile\n during f\n", "t.probe:3:1: ", "phase 'load' has no sites" },
	{ HDR "phase load\n during f\nphase compile\n", "t.probe:5:1: ",
	  "phase 'compile' has no sites" },
	{ HDR "phase load\n close f\n", "t.probe:3:1: ", "has 'close' sites but no 'open' site" },
	{ HDR "phase load\n open\n", "t.probe:4:2: ", "'open' needs a site" },
	{ HDR "phase load\n open \"f\n", "t.probe:4:7: ", "unterminated quote" },
	{ HDR "phase load\n open \"f\\\n", "t.probe:4:7: ", "unterminated quote" },
	{ HDR "phase load\n open \"f\\n\"\n", "t.probe:4:9: ", "unknown escape '\\n'" },
	{ HDR "phase load\n open \"f\"g\n", "t.probe:4:10: ", "expected a blank after the closing quote" },
	{ HDR "phase load\n open f\"g\"\n", "t.probe:4:8: ", "quote in the middle of a word" },
	{ HDR "phase load\n open | f\n", "t.probe:4:7: ", "empty alternative before '|'" },
	{ HDR "phase load\n open f |\n", "t.probe:4:9: ", "empty alternative after '|'" },
	{ HDR "phase load\n open f | | g\n", "t.probe:4:9: ", "empty alternative after '|'" },
	{ HDR "phase load\n open f | no-return\n", "t.probe:4:9: ", "empty alternative after '|'" },
	{ HDR "phase load\n open no-return\n", "t.probe:4:7: ", "'open' needs a site before 'no-return'" },
	{ HDR "phase load\n open \"\"\n", "t.probe:4:7: ", "empty site" },
	{ HDR "phase load\n open f g\n", "t.probe:4:9: ", "unknown attribute 'g'" },
	{ HDR "phase load\n open f noreturn\n", "t.probe:4:9: ", "unknown attribute 'noreturn'" },
	{ HDR "phase load\n open f no-return | g\n", "t.probe:4:19: ", "'|' after an attribute" },
	{ HDR "phase load\n open f no-return no-return\n", "t.probe:4:19: ", "duplicate 'no-return'" },
	{ HDR "phase load\n during f no-return\n", "t.probe:4:11: ",
	  "'no-return' cannot go with 'during'" },
	{ HDR "phase load\n open f\n close g%return no-return\n", "t.probe:5:17: ",
	  "'no-return' contradicts '%return'" },
	{ HDR "phase load\n during f%return\n", "t.probe:4:10: ",
	  "'%return' is only allowed on 'close' sites" },
	{ HDR "phase load\n open lib:l.so:f%return\n", "t.probe:4:17: ",
	  "'%return' is only allowed on 'close' sites" },
	{ HDR "phase load\n open f\n close %return\n", "t.probe:5:8: ", "'%return' needs a function" },
	{ HDR "phase load\n open f\n close g%return | h\n", "t.probe:5:19: ",
	  "alternatives must all end in '%return' or none" },
	{ HDR "phase load\n open 0x4f2a10\n", "t.probe:4:7: ",
	  "raw address 0x4f2a10 needs build-id=... so it cannot hit another build" },
	{ HDR "phase load\n open f | lib:l.so:0xABC\n", "t.probe:4:11: ",
	  "raw address 0xABC needs build-id=" },
	{ HDR "phase load\n open 0x10 build-id=\n", "t.probe:4:12: ", "empty build-id" },
	{ HDR "phase load\n open 0x10 build-id=12zz\n", "t.probe:4:23: ", "build-id must be hexadecimal" },
	{ HDR "phase load\n open 0x10 build-id=123\n", "t.probe:4:21: ", "even number of hex digits" },
	{ HDR "phase load\n open 0x10 build-id=12 build-id=34\n", "t.probe:4:24: ",
	  "duplicate 'build-id='" },
	{ HDR "phase load\n open lib::foo\n", "t.probe:4:11: ", "'lib:' needs a library name" },
	{ HDR "phase load\n open lib:foo\n", "t.probe:4:11: ", "'lib:' needs a library name" },
	{ HDR "phase load\n open lib:libx.so:\n", "t.probe:4:18: ", "'lib:libx.so:' needs a spec" },
	{ HDR "phase load\n open f\x01\n", "t.probe:4:8: ", "control character 0x01" },
	{ HDR "phase load\n open f\rg\n", "t.probe:4:8: ", "control character 0x0d" },
	{ HDR "phase load\n open é\xff\n", "t.probe:4:8: ", "invalid UTF-8 byte 0xff" },
	{ HDR "phase load\n open \xc0\x80\n", "t.probe:4:7: ", "invalid UTF-8" },
	{ HDR "phase load\n open \xed\xa0\x80\n", "t.probe:4:7: ", "invalid UTF-8" },
	/* option NAME on|off WORD... and {option:NAME} */
	{ HDR "option\n", "t.probe:3:1: ", "'option' needs a name, 'on' or 'off'" },
	{ HDR "option c on\n", "t.probe:3:1: ", "at least one word" },
	{ HDR "option C on -x\n", "t.probe:3:8: ", "bad option name 'C'" },
	{ HDR "option c maybe -x\n", "t.probe:3:10: ", "needs 'on' or 'off'" },
	{ HDR "option c on -x\noption c off -y\n", "t.probe:4:8: ",
	  "duplicate option 'c' (first at line 3)" },
	{ HDR "option c on {args}\n", "t.probe:3:13: ", "'{args}' is not allowed in an option" },
	{ HDR "option c on {module}\n", "t.probe:3:13: ", "'{module}' is not allowed in an option" },
	{ HDR "argv {runtime} x{module_args}\n", "t.probe:3:17: ", "must be a word of its own" },
	{ HDR "unsupported c \"x\"\n", "t.probe:3:13: ", "'c' names no option" },
	{ HDR "option c on -c\nunsupported c\n", "t.probe:4:1: ", "'unsupported' needs" },
	{ HDR "proven 1.0\n", "t.probe:3:1: ", "'proven' needs a version" },
	{ HDR "proven 1 k d\nproven 1 k d\n", "t.probe:4:1: ", "duplicate 'proven'" },
	{ HDR "option c on {option:c}\n", "t.probe:3:13: ", "only allowed in 'argv'" },
	{ HDR "option c on -x\nphase load\n during f\n", "t.probe:3:1: ",
	  "option 'c' is never used; put {option:c} in 'argv'" },
	{ HDR "argv {runtime} {option:c}\n", "t.probe:3:16: ", "'{option:c}' names no option" },
	{ HDR "argv {runtime}\noption c on -x\n", "t.probe:4:1: ", "'option' after 'argv'" },
	{ HDR "option c on -x\nargv {runtime} -{option:c}\n", "t.probe:4:17: ",
	  "must be a word of its own" },
	{ HDR "option c on -x\nversion {runtime} {option:c}\n", "t.probe:4:19: ",
	  "only allowed in 'argv'" },
	{ HDR "option c on -x\nargv {runtime} {option:}\n", "t.probe:4:16: ",
	  "unknown placeholder '{option:}'" },
	{ HDR "phase load\n during f\noption c on -x\n", "t.probe:5:1: ",
	  "'option' after a phase section" },
};

static void test_errors(void)
{
	struct profile *p;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad *b = &bad_files[i];

		ret = parse(b->text, &p);
		CHECK_INT(ret, -EINVAL);
		CHECK(!p);
		if (strncmp(err, b->where, strlen(b->where)) || !strstr(err, b->what))
			fprintf(stderr, "bad file %zu: got \"%s\", expected \"%s...%s...\"\n", i,
				err, b->where, b->what);
		CHECK(!strncmp(err, b->where, strlen(b->where)) && strstr(err, b->what));
		profile__free(p);
	}
}

static void test_limits(void)
{
	struct profile *p;
	size_t n = 4096, i, k;
	char *text = malloc(3 * n);
	const char *head = HDR "phase load\n open ";
	const char *ok_text = HDR "phase load\n open f\n";

	if (!text)
		return;
	/* a line of exactly 4096 bytes is fine, 4097 is an error */
	strcpy(text, head);
	i = strlen(text);
	memset(text + i, 'a', n - 6);
	strcpy(text + i + n - 6, "\n");
	CHECK_INT(parse(text, &p), 0);
	CHECK_INT(p ? strlen(p->sites[0].candidates[0].spec) : 0, n - 6);
	profile__free(p);
	strcpy(text + i + n - 6, "b\n");
	CHECK_INT(parse(text, &p), -EINVAL);
	CHECK(strstr(err, "t.probe:4:1: line is longer than 4096 bytes"));
	/* the most tokens a line can hold */
	strcpy(text, head);
	i = strlen(text);
	for (k = 0; k < 1022; k++, i += 4)
		memcpy(text + i, "f | ", 4);
	strcpy(text + i, "f\n");
	CHECK_INT(parse(text, &p), 0);
	CHECK_INT(p ? p->sites[0].ncandidates : 0, 1023);
	profile__free(p);
	strcpy(text + i, "\"\"\n");
	CHECK_INT(parse(text, &p), -EINVAL);
	CHECK(strstr(err, "t.probe:4:4095: empty site"));
	free(text);

	/* NULL/short error buffers are fine; no final newline is fine */
	CHECK_INT(profile__parse_text("t", ok_text, strlen(ok_text) - 1, &p, NULL, 0), 0);
	profile__free(p);
	CHECK_INT(profile__parse_text("t", "x", 1, &p, err, 4), -EINVAL);
	CHECK_STR(err, "t:1");
	/* embedded NUL byte */
	CHECK_INT(profile__parse_text("t", "profile x\0y\n", 12, &p, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "t:1:10: control character 0x00"));
}

static void test_many_lines(void)
{
	struct profile *p;
	size_t n = 20000, i, len = 0;
	char *text = malloc(n * 24 + 64);

	if (!text)
		return;
	len += sprintf(text, HDR "phase execute\n");
	for (i = 0; i < n; i++)
		len += sprintf(text + len, " open f%zu # c\n\n", i);
	CHECK_INT(profile__parse_text("t", text, len, &p, err, sizeof(err)), 0);
	CHECK_INT(p ? p->nsites : 0, n);
	if (p)
		CHECK_STR(p->sites[n - 1].candidates[0].spec, "f19999");
	profile__free(p);
	free(text);
}

static void test_expand(void)
{
	static char *const args[] = { "mod.wasm", "a b", "{runtime}" };
	struct profile *p;
	char **v;
	size_t n;
	const char *text = HDR
		"argv env X={runtime}:{{x} {runtime} {profile_dir}/w.cjs {args} -- {args} end\n"
		"version {runtime} --version {args}\n"
		"phase load\n during f\n";

	CHECK_INT(profile__parse_text("/p/d/x.probe", text, strlen(text), &p, err, sizeof(err)), 0);
	if (!p)
		return;
	CHECK_INT(profile__expand_argv(p, "/usr/bin/rt", args, 3, &v, &n), 0);
	CHECK_INT(n, 12);
	if (n == 12) {
		CHECK_STR(v[0], "env");
		CHECK_STR(v[1], "X=/usr/bin/rt:{x}");
		CHECK_STR(v[2], "/usr/bin/rt");
		CHECK_STR(v[3], "/p/d/w.cjs");
		CHECK_STR(v[4], "mod.wasm");
		CHECK_STR(v[5], "a b");
		CHECK_STR(v[6], "{runtime}"); /* user arguments are never expanded */
		CHECK_STR(v[7], "--");
		CHECK_STR(v[10], "{runtime}");
		CHECK_STR(v[11], "end");
		CHECK(v[12] == NULL);
	}
	profile__free_argv(v);
	CHECK_INT(profile__expand_argv(p, "/usr/bin/rt", NULL, 0, &v, &n), 0);
	CHECK_INT(n, 6);
	profile__free_argv(v);
	CHECK_INT(profile__expand_version(p, "/usr/bin/rt", &v, &n), 0);
	CHECK_INT(n, 2);
	CHECK_STR(v[1], "--version");
	CHECK(v[2] == NULL);
	profile__free_argv(v);
	profile__free(p);

	text = HDR "phase load\n during f\n";
	CHECK_INT(parse(text, &p), 0);
	if (!p)
		return;
	CHECK_INT(profile__expand_argv(p, "./rt", args, 1, &v, NULL), 0);
	CHECK_STR(v[0], "./rt");
	CHECK_STR(v[1], "mod.wasm");
	CHECK(v[2] == NULL);
	profile__free_argv(v);
	CHECK_INT(profile__expand_version(p, "./rt", &v, &n), -ENOENT);
	profile__free(p);
}

static void test_options(void)
{
	static const char text[] =
		HDR "option no-cache on -C cache=n\n"
		"option perfmap off --profile=perfmap {profile_dir}/x\n"
		"argv {runtime} run {option:no-cache} {option:perfmap} {args}\n"
		"phase load\n during f\n";
	char *args[] = { "app.wasm", "7" }, **v = NULL;
	struct profile *p;
	size_t n = 0;

	CHECK_INT(profile__parse_text("/d/t.probe", text, strlen(text), &p, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	if (!p)
		return;
	CHECK_INT(p->noptions, 2);
	CHECK_STR(p->options[0].name, "no-cache");
	CHECK(p->options[0].on && !p->options[1].on);
	CHECK_INT(p->options[1].nwords, 2);
	CHECK_INT(p->options[1].line, 4);
	CHECK(profile__option(p, "perfmap") == &p->options[1]);
	CHECK(!profile__option(p, "perf"));
	/* defaults: no-cache on, perfmap off */
	CHECK_INT(profile__expand_argv(p, "/bin/rt", args, 2, &v, &n), 0);
	CHECK_INT(n, 6);
	if (v && n == 6) {
		CHECK_STR(v[2], "-C");
		CHECK_STR(v[3], "cache=n");
		CHECK_STR(v[4], "app.wasm");
		CHECK(!v[6]);
	}
	profile__free_argv(v);
	CHECK_INT(profile__set_option(p, "no-cache", false), 0);
	CHECK_INT(profile__set_option(p, "perfmap", true), 0);
	CHECK_INT(profile__set_option(p, "nope", true), -ENOENT);
	CHECK_INT(profile__expand_argv(p, "/bin/rt", args, 2, &v, &n), 0);
	CHECK_INT(n, 6);
	if (v && n == 6) {
		CHECK_STR(v[1], "run");
		CHECK_STR(v[2], "--profile=perfmap");
		CHECK_STR(v[3], "/d/x");
		CHECK_STR(v[5], "7");
	}
	profile__free_argv(v);
	profile__free(p);
}

static void test_phase_names(void)
{
	int i;

	for (i = 0; i < PP_PHASE_CANONICAL; i++)
		CHECK_INT(phase__from_name(phase__name(i)), i);
	/* the fallback's phase has a name, but no profile can name it */
	CHECK_STR(phase__name(PP_PHASE_UNKNOWN), "unknown");
	CHECK_INT(phase__from_name("unknown"), -1);
	CHECK_STR(phase__name(PP_PHASE_INSTANTIATE), "instantiate");
	CHECK_INT(phase__from_name("teardown"), PP_PHASE_TEARDOWN);
	CHECK_INT(phase__from_name("Load"), -1);
	CHECK_INT(phase__from_name(""), -1);
	CHECK_INT(phase__from_name(NULL), -1);
	CHECK_STR(phase__name(-1), "unknown");
	CHECK_STR(phase__name(PP_PHASE_COUNT), "unknown");
}

static void write_probe(const char *dir, const char *file, const char *name, const char *bins)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "profile %s\nbinaries %s\nphase execute\n open main\n", name, bins);
	fclose(f);
}

static void check_find(const char *const *dirs, size_t ndirs, const char *bin, const char *want)
{
	struct profile *p = NULL;
	int ret = profile__find(dirs, ndirs, bin, &p, err, sizeof(err));

	if (!want) {
		CHECK_INT(ret, -ENOENT);
		CHECK(strstr(err, "no probe file lists"));
		return;
	}
	CHECK_INT(ret, 0);
	if (!p || strcmp(p->name, want))
		fprintf(stderr, "find '%s': got '%s', expected '%s'\n", bin, p ? p->name : "-",
			want);
	CHECK(p && !strcmp(p->name, want));
	profile__free(p);
}

static void rm_dir(const char *dir)
{
	struct dirent *d;
	char path[512];
	DIR *dp = opendir(dir);

	while (dp && (d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		unlink(path);
	}
	if (dp)
		closedir(dp);
	rmdir(dir);
}

static void test_find(void)
{
	char d1[] = "/tmp/pp-probes1-XXXXXX", d2[] = "/tmp/pp-probes2-XXXXXX";
	const char *dirs[3];
	struct profile *p;
	char path[600];

	if (!mkdtemp(d1) || !mkdtemp(d2)) {
		CHECK(!"mkdtemp");
		return;
	}
	dirs[0] = "/nonexistent/phaseprof";
	dirs[1] = d1;
	dirs[2] = d2;
	write_probe(d1, "iwasm.probe", "iwasm", "iwasm");
	write_probe(d1, "wasm.probe", "wasm", "wasm");
	write_probe(d1, "wasm-interp.probe", "wabt", "wasm-interp wasm-interp-legacy");
	write_probe(d1, "wasm3.probe", "wasm3", "wasm3");
	write_probe(d1, "notes.txt", "ignored", "wasmtime");
	write_probe(d2, "a-iwasm.probe", "iwasm-too", "iwasm"); /* loses the tie to d1 */
	write_probe(d2, "node.probe", "node", "nodejs node");
	write_probe(d2, "z.probe", "z", "iwasm-2.4"); /* longer: wins for iwasm-2.4.x */

	check_find(dirs, 3, "iwasm", "iwasm");
	check_find(dirs, 3, "iwasm-2.4.3", "z");
	check_find(dirs, 3, "iwasm-2.5.0", "iwasm");
	check_find(dirs, 3, "/opt/wamr/bin/iwasm.debug", "iwasm");
	check_find(dirs, 3, "wasm", "wasm");
	check_find(dirs, 3, "wasm-foo", "wasm");
	check_find(dirs, 3, "wasm-interp", "wabt");
	check_find(dirs, 3, "wasm-interp-wasi", "wabt");
	check_find(dirs, 3, "wasm-interp-legacy-2", "wabt");
	check_find(dirs, 3, "wasm3", "wasm3");
	check_find(dirs, 3, "wasm3-o2g", "wasm3");
	check_find(dirs, 3, "node", "node");
	check_find(dirs, 3, "nodejs", "node");
	check_find(dirs, 3, "wasmtime", NULL);
	check_find(dirs, 3, "iwasmx", NULL);
	check_find(dirs, 3, "xiwasm", NULL);
	check_find(dirs, 3, "wasm_", NULL);
	check_find(dirs + 2, 1, "iwasm", "iwasm-too");
	check_find(dirs, 0, "iwasm", NULL);

	/* a broken file is an error, not skipped */
	snprintf(path, sizeof(path), "%s/broken.probe", d2);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs("profile broken\nbinaries b\nphase lod\n", f);
		fclose(f);
	}
	CHECK_INT(profile__find(dirs, 3, "iwasm", &p, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "/broken.probe:3:7: unknown phase 'lod'"));
	/* an unreadable file names itself */
	CHECK_INT(profile__parse("/nonexistent/x.probe", &p, err, sizeof(err)), -ENOENT);
	CHECK_STR(err, "cannot open '/nonexistent/x.probe': no such file or directory");
	/* a real file: dir is absolute */
	snprintf(path, sizeof(path), "%s/wasm3.probe", d1);
	CHECK_INT(profile__parse(path, &p, err, sizeof(err)), 0);
	if (p) {
		CHECK_STR(p->dir, d1);
		profile__free(p);
	}
	rm_dir(d1);
	rm_dir(d2);
}

static void test_default_dirs(void)
{
	char **v;
	size_t n;

	setenv("PHASEPROF_PROBE_PATH", "/a::/b/c:", 1);
	CHECK_INT(profile__default_dirs(&v, &n), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		/* a test binary is not installed: the source tree's profiles */
		CHECK_STR(v[0], "/a");
		CHECK_STR(v[1], "/b/c");
		CHECK_STR(v[2], PHASEPROF_PROBES_DIR);
		CHECK(v[3] == NULL);
	}
	profile__free_argv(v);
	unsetenv("PHASEPROF_PROBE_PATH");
	CHECK_INT(profile__default_dirs(&v, &n), 0);
	CHECK_INT(n, 1);
	profile__free_argv(v);
}

/* Every probe file shipped in the tree parses. */
static void test_tree_probes(void)
{
	const char *src = getenv("PHASEPROF_SOURCE_DIR");
	struct profile *p;
	struct dirent *d;
	char dir[512], path[1024];
	size_t n;
	DIR *dp;

	if (!src)
		return;
	snprintf(dir, sizeof(dir), "%s/probes", src);
	dp = opendir(dir);
	while (dp && (d = readdir(dp))) {
		n = strlen(d->d_name);
		if (n < 7 || strcmp(d->d_name + n - 6, ".probe"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		CHECK_INT(profile__parse(path, &p, err, sizeof(err)), 0);
		if (err[0])
			fprintf(stderr, "%s\n", err);
		profile__free(p);
	}
	if (dp)
		closedir(dp);
}

/* Random and mutated buffers: any result is fine, a crash or a leak is not. */
static void test_random(void)
{
	static const char alphabet[] = "\"\\|{}#%: \t\n\r-=x0lib:phase open close during";
	size_t len, i, k, nok = 0;
	struct profile *p;
	char buf[2048];
	uint32_t seed = 12345;
	int round;

	for (round = 0; round < 2000; round++) {
		if (round % 2) {
			len = (sizeof(node_probe) - 1) % sizeof(buf);
			memcpy(buf, node_probe, len);
			for (k = 0; k < (size_t)(1 + round % 8); k++) {
				seed = seed * 1103515245 + 12345;
				i = (seed >> 8) % len;
				seed = seed * 1103515245 + 12345;
				if (seed & 0x10000)
					buf[i] = alphabet[(seed >> 17) % (sizeof(alphabet) - 1)];
				else
					buf[i] = (char)(seed >> 17);
			}
			if (round % 7 == 0)
				len = (seed >> 4) % len;
		} else {
			seed = seed * 1103515245 + 12345;
			len = (seed >> 8) % sizeof(buf);
			for (i = 0; i < len; i++) {
				seed = seed * 1103515245 + 12345;
				buf[i] = (seed & 0x100000) ? alphabet[(seed >> 21) % (sizeof(alphabet) - 1)]
							   : (char)(seed >> 16);
			}
		}
		p = NULL;
		if (!profile__parse_text("r.probe", buf, len, &p, err, sizeof(err))) {
			nok++;
			CHECK(p && p->name && p->nbinaries && p->nsites);
		} else {
			CHECK(!strncmp(err, "r.probe:", 8));
		}
		profile__free(p);
	}
	printf("random: %zu of 2000 buffers parsed\n", nok);
}


/* Options chosen by the module's imports, {module} {module_args}, unsupported and proven. */
static void test_wasi_options(void)
{
	static const char text[] =
		HDR "proven 1.0.41 \"release build\" 2026-11-30\n"
		"option all no-wasi --run-all-exports\n"
		"option wasi wasi --wasi\n"
		"option sep wasi --\n"
		"unsupported wasi \"wasi support not compiled in\"\n"
		"argv {runtime} {option:all} {option:wasi} {module} {option:sep} {module_args}\n"
		"phase load\n during f\n";
	char *args[] = { "app.wasm", "a", "b" }, **v = NULL;
	struct profile *p;
	size_t n = 0;

	CHECK_INT(parse(text, &p), 0);
	CHECK_STR(err, "");
	if (!p)
		return;
	CHECK_STR(p->proven_version, "1.0.41");
	CHECK_STR(p->proven_kind, "release build");
	CHECK_STR(p->proven_date, "2026-11-30");
	CHECK(profile__proven_on_binary(p));
	CHECK_STR(p->options[1].unsupported_text, "wasi support not compiled in");
	CHECK(!p->options[0].unsupported_text);
	profile__choose_options(p, true);
	CHECK_INT(profile__expand_argv(p, "/bin/rt", args, 3, &v, &n), 0);
	CHECK_INT(n, 6);
	if (v && n == 6) {
		CHECK_STR(v[1], "--wasi");
		CHECK_STR(v[2], "app.wasm");
		CHECK_STR(v[3], "--");
		CHECK_STR(v[5], "b");
	}
	profile__free_argv(v);
	profile__choose_options(p, false);
	CHECK_INT(profile__expand_argv(p, "/bin/rt", args, 1, &v, &n), 0);
	CHECK_INT(n, 3);
	if (v && n == 3) {
		CHECK_STR(v[1], "--run-all-exports");
		CHECK_STR(v[2], "app.wasm");
	}
	profile__free_argv(v);
	/* the user's choice is fixed: the module no longer decides */
	CHECK_INT(profile__set_option(p, "wasi", true), 0);
	profile__choose_options(p, false);
	CHECK(p->options[1].on);
	CHECK_INT(profile__expand_argv(p, "/bin/rt", NULL, 0, &v, &n), 0);
	CHECK_INT(n, 3); /* {runtime} --run-all-exports --wasi */
	profile__free_argv(v);
	profile__free(p);
	CHECK_INT(parse(HDR "proven source \"wasmtime@e6b33de\" 2026-11-22\nphase load\n during f\n",
			&p), 0);
	CHECK(p && !profile__proven_on_binary(p));
	profile__free(p);
}

int main(void)
{
	test_example();
	test_quoting_and_attributes();
	test_errors();
	test_limits();
	test_many_lines();
	test_expand();
	test_options();
	test_wasi_options();
	test_phase_names();
	test_find();
	test_default_dirs();
	test_tree_probes();
	test_random();
	return checks_report("test_profile");
}
