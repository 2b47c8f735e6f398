// SPDX-License-Identifier: MIT
/*
 * test_backend.c: the record loop (backend__run) on a real target process
 * and a backend made up here: what a backend's operations are called for,
 * that its events land in the store, that a forwarded signal reaches the
 * target, and that what a backend cannot do is refused with a reason.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include "check.h"
#include "backend.h"

struct fake {
	int opened, waits, drains, finished, closed;
};

static int fake_open(struct backend *b, const struct backend_opts *o, char *why, size_t len)
{
	static struct fake f;

	memset(&f, 0, sizeof(f));
	f.opened = 1;
	b->priv = &f;
	return 0;
}

static void fake_wait(struct backend *b, int pidfd)
{
	((struct fake *)b->priv)->waits++;
}

/* Every drain delivers one event, as a ring buffer would. */
static int fake_drain(struct backend *b)
{
	struct pp_event e = { .ts = 1, .type = PP_EV_ONCPU, .tgid = b->target->pid };

	((struct fake *)b->priv)->drains++;
	return events__push(b->events, &e);
}

static int fake_finish(struct backend *b)
{
	((struct fake *)b->priv)->finished++;
	return 0;
}

static uint64_t fake_lost(struct backend *b)
{
	return 7;
}

static void fake_detach(struct backend *b)
{
}

static void fake_close(struct backend *b)
{
	((struct fake *)b->priv)->closed++;
}

static const struct backend_ops fake_ops = {
	.name = "fake",
	.open = fake_open,
	.wait = fake_wait,
	.drain = fake_drain,
	.finish = fake_finish,
	.lost = fake_lost,
	.detach = fake_detach,
	.close = fake_close,
};

static int sent;

static int forward_once(void)
{
	return sent++ ? 0 : SIGTERM;
}

static void test_run_loop(void)
{
	char *argv[] = { "/bin/sleep", "30", NULL };
	struct backend_opts o = { 0 };
	struct event_store es = { 0 };
	struct target t;
	struct backend b;
	struct fake *f;
	char why[128] = "";

	target__init(&t);
	CHECK_INT(target__spawn(&t), 0);
	CHECK_INT(backend__open(&b, &fake_ops, &t, &es, &o, why, sizeof(why)), 0);
	f = b.priv;
	CHECK_INT(backend__attach_sampling(&b, 99, why, sizeof(why)), -EOPNOTSUPP);
	CHECK_STR(why, "the fake backend cannot sample stacks");
	CHECK_INT(backend__attach_fallback(&b, 0, why, sizeof(why)), -EOPNOTSUPP);
	CHECK_INT(target__start(&t, argv), 0);
	/* the first round forwards SIGTERM: the loop ends when the target is reaped */
	CHECK_INT(backend__run(&b, forward_once), 0);
	CHECK(t.exited);
	CHECK(WIFSIGNALED(t.wait_status) && WTERMSIG(t.wait_status) == SIGTERM);
	CHECK(f->waits >= 1 && f->drains == f->waits);
	CHECK_INT(f->finished, 1);
	CHECK_INT(es.n, f->drains);
	CHECK_INT(backend__lost(&b), 7);
	backend__close(&b);
	CHECK_INT(f->closed, 1);
	backend__close(&b); /* twice is harmless */
	CHECK_INT(f->closed, 1);
	target__close(&t);
	events__free(&es);
}

/* A child that is never started exits without exec when the target is closed. */
static void test_held_target(void)
{
	struct target t;

	target__init(&t);
	CHECK_INT(target__spawn(&t), 0);
	target__close(&t);
	CHECK(t.exited);
	CHECK(WIFEXITED(t.wait_status) && WEXITSTATUS(t.wait_status) == 127);
}

int main(void)
{
	test_run_loop();
	test_held_target();
	return checks_report("test_backend");
}
