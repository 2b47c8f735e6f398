// SPDX-License-Identifier: MIT
/* test_suite_file.c: the suite file parser (man/phaseprof-suite.5): what it reads, and every
 * error named at file:line:col. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "suite_file.h"

static char tmp[] = "/tmp/test_suite_file.XXXXXX";
static char path[300];

static void touch(const char *name)
{
	char p[400];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmp, name);
	f = fopen(p, "w");
	if (f)
		fclose(f);
}

static int parse(const char *text, struct suite **s, char *err, size_t len)
{
	err[0] = '\0';
	return suite__parse_text(path, text, strlen(text), s, err, len);
}

/* The error for text, with the temp file's path replaced by "S". */
static const char *error_of(const char *text)
{
	static char err[512], out[520];
	struct suite *s = NULL;
	size_t n = strlen(path);

	if (!parse(text, &s, err, sizeof(err))) {
		suite__free(s);
		return "(no error)";
	}
	snprintf(out, sizeof(out), "S%s", strncmp(err, path, n) ? err : err + n);
	return out;
}

static void test_good(void)
{
	char err[512];
	struct suite *s = NULL;
	const char *text = "# defaults\n"
			   "timeout 5\n"
			   "env LANG=C\n"
			   "\n"
			   "case fib\t# the first\n"
			   "  module a.wasm\n"
			   "  args 25 \"two words\" \"q\\\"uote\"\n"
			   "  stdin in.txt\r\n"
			   "case cat\n"
			   "  module a.wasm\n"
			   "  env X=1\n"
			   "  expect stdout out.txt\n"
			   "  exit 3\n"
			   "  timeout 0.5\n"
			   "  dir .\n";

	CHECK_INT(parse(text, &s, err, sizeof(err)), 0);
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_INT(s->ncases, 2);
	CHECK_STR(s->cases[0].name, "fib");
	CHECK(strstr(s->cases[0].module, "/a.wasm") && s->cases[0].module[0] == '/');
	CHECK_INT(s->cases[0].nargs, 3);
	CHECK_STR(s->cases[0].args[1], "two words");
	CHECK_STR(s->cases[0].args[2], "q\"uote");
	CHECK(s->cases[0].args[3] == NULL);
	CHECK(s->cases[0].stdin_path && strstr(s->cases[0].stdin_path, "/in.txt"));
	CHECK(s->cases[0].timeout == 5);
	CHECK_INT(s->cases[0].expect_exit, -1);
	CHECK(s->cases[0].expect_path == NULL);
	CHECK_INT(s->cases[0].nenv, 1);
	CHECK_INT(s->cases[1].nenv, 2);
	CHECK_STR(s->cases[1].env[1], "X=1");
	CHECK_INT(s->cases[1].expect_exit, 3);
	CHECK(s->cases[1].timeout == 0.5);
	CHECK(s->cases[1].expect_path && strstr(s->cases[1].expect_path, "/out.txt"));
	CHECK(s->cases[1].dir != NULL);
	CHECK(s->cases[1].nargs == 0 && s->cases[1].args && !s->cases[1].args[0]);
	CHECK(suite__find(s, "cat") == &s->cases[1]);
	suite__free(s);
}

static void test_errors(void)
{
	CHECK_STR(error_of(""),
		  "S:0:1: no cases: a suite needs at least one 'case NAME' with a 'module'");
	CHECK_STR(error_of("module a.wasm\n"), "S:1:1: 'module' before the first 'case'");
	CHECK_STR(error_of("case a\ncase b\n  module a.wasm\n"), "S:1:1: case 'a' has no 'module'");
	CHECK_STR(error_of("case a\n  module a.wasm\ncase b\n"), "S:3:1: case 'b' has no 'module'");
	CHECK_STR(error_of("case a\n  module nope.wasm\n"),
		  "S:2:10: cannot find 'nope.wasm': No such file or directory");
	CHECK_STR(error_of("case a\n  module .\n"), "S:2:10: '.' is not a regular file");
	CHECK_STR(error_of("case a\n  module a.wasm\n  module a.wasm\n"),
		  "S:3:3: case 'a' has a module already (line 2)");
	CHECK_STR(error_of("case a\n module a.wasm\ncase a\n"),
		  "S:3:6: a case named 'a' exists already (line 1)");
	CHECK_STR(error_of("case a/b\n"),
		  "S:1:6: case name 'a/b' must be 1 to 63 letters, digits, '.', '_' or '-', "
		  "not starting with '.' or '-'");
	CHECK_STR(error_of("case a b\n"), "S:1:8: unexpected 'b': 'case' takes a name");
	CHECK_STR(error_of("case\n"), "S:1:1: 'case' takes a name");
	CHECK_STR(error_of("case a\n  modul a.wasm\n"),
		  "S:2:3: unknown directive 'modul' (expected case, module, args, stdin, env, dir, "
		  "expect, exit or timeout)");
	CHECK_STR(error_of("timeout 0\n"),
		  "S:1:9: 'timeout' takes seconds, more than 0 and at most 86400, not '0'");
	CHECK_STR(error_of("timeout 1x\n"),
		  "S:1:9: 'timeout' takes seconds, more than 0 and at most 86400, not '1x'");
	CHECK_STR(error_of("exit 256\n"),
		  "S:1:6: 'exit' takes a status from 0 to 255 or 'same', not '256'");
	CHECK_STR(error_of("env 1A=2\n"),
		  "S:1:5: expected NAME=VALUE, NAME made of letters, digits and '_'");
	CHECK_STR(error_of("env AB\n"),
		  "S:1:7: expected NAME=VALUE, NAME made of letters, digits and '_'");
	CHECK_STR(error_of("expect maybe\n"), "S:1:8: 'expect' takes 'same' or 'stdout FILE'");
	CHECK_STR(error_of("case a\n  args \"open\n"), "S:2:8: unterminated quote");
	CHECK_STR(error_of("case a\n  args \"a\\n\"\n"),
		  "S:2:10: unknown escape '\\n' (only \\\" and \\\\ are escapes)");
	CHECK_STR(error_of("case a\n  args x\"y\"\n"),
		  "S:2:9: quote in the middle of a word; quote the whole word");
	CHECK_STR(error_of("case a\n  args \"x\"y\n"),
		  "S:2:11: expected a blank after the closing quote");
	CHECK_STR(error_of("case a\n  args \x01\n"), "S:2:8: control character 0x01");
	/* columns count characters, not bytes */
	CHECK_STR(error_of("case a\n  args \"\xc3\xa9\" \"\n"), "S:2:12: unterminated quote");
	CHECK_STR(error_of("case a\n  dir a.wasm\n"), "S:2:7: 'a.wasm' is not a directory");
}

static void test_directory(void)
{
	char err[512], sub[400];
	struct suite *s = NULL;

	snprintf(sub, sizeof(sub), "%s/d", tmp);
	mkdir(sub, 0755);
	touch("d/b.wasm");
	touch("d/a x.wasm");
	touch("d/notes.txt");
	CHECK_INT(suite__load(sub, &s, err, sizeof(err)), 0);
	if (!s)
		return;
	CHECK_INT(s->ncases, 2);
	CHECK_STR(s->cases[0].name, "a_x");
	CHECK_STR(s->cases[1].name, "b");
	CHECK(strstr(s->cases[1].module, "/d/b.wasm") != NULL);
	CHECK(s->cases[1].nargs == 0 && s->cases[1].args[0] == NULL);
	suite__free(s);
	/* a directory with a suite file is that suite */
	touch("d/x.suite");
	CHECK(suite__load(sub, &s, err, sizeof(err)) < 0);
	CHECK(strstr(err, "/d/x.suite:0:1: no cases") != NULL);
	touch("d/y.suite");
	CHECK(suite__load(sub, &s, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "holds several .suite files") != NULL);
	snprintf(sub, sizeof(sub), "%s/empty", tmp);
	mkdir(sub, 0755);
	CHECK(suite__load(sub, &s, err, sizeof(err)) < 0);
	CHECK(strstr(err, "no .wasm files") != NULL);
}

int main(void)
{
	char cmd[400];

	if (!mkdtemp(tmp))
		return 1;
	touch("a.wasm");
	touch("in.txt");
	touch("out.txt");
	snprintf(path, sizeof(path), "%s/t.suite", tmp);
	test_good();
	test_errors();
	test_directory();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		return 1;
	return checks_report("test_suite_file");
}
