/* test_trace.c - sbx trace's command line and the profile it writes from
 * what it recorded (the generalization of paths above all). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec.h"
#include "trace.h"
#include "util.h"

START_TEST(test_parse_args)
{
	char *a1[] = { "sbx", "trace", "--output", "x.ini", "--bind", "/a", "--profile", "build", "--", "make", "-j2", NULL };
	char *a2[] = { "sbx", "trace", "-o", "y.ini", "make", "--output", "z", NULL };
	char *a3[] = { "sbx", "trace", "--output=", "--", "true", NULL };
	char *a4[] = { "sbx", "trace", "--", "true", NULL };
	int argc = 11;
	char *out = NULL, err[256];

	ck_assert_int_eq(trace_parse_args(&argc, a1, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "x.ini");
	ck_assert_int_eq(argc, 8);
	ck_assert_str_eq(a1[1], "--bind");
	ck_assert_str_eq(a1[3], "--profile");
	ck_assert_str_eq(a1[5], "--");
	ck_assert_str_eq(a1[6], "make");
	ck_assert_ptr_null(a1[8]);
	free(out);

	/* After the command, --output is the command's own. */
	argc = 7;
	ck_assert_int_eq(trace_parse_args(&argc, a2, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "y.ini");
	ck_assert_int_eq(argc, 4);
	ck_assert_str_eq(a2[1], "make");
	ck_assert_str_eq(a2[2], "--output");
	ck_assert_str_eq(a2[3], "z");
	free(out);

	argc = 5;
	ck_assert_int_eq(trace_parse_args(&argc, a3, &out, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "needs a file name"));
	free(out);
	out = NULL;

	argc = 4;
	ck_assert_int_eq(trace_parse_args(&argc, a4, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "sbx-trace.ini");
	free(out);
}
END_TEST

static void add(struct trace *t, const char *path, unsigned int flags)
{
	struct tr_item *it = tr_set_add(&t->paths, path);

	it->count++;
	it->flags |= flags;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fclose(f);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

START_TEST(test_profile_generalizes)
{
	char work[] = "/var/tmp/sbx-trace-work.XXXXXX", home[] = "/var/tmp/sbx-trace-home.XXXXXX";
	char p[512], q[512], *text = NULL;
	char *argv[] = { "make", "-j2", NULL };
	size_t len = 0;
	struct sbx_spec spec;
	struct trace t;
	FILE *out;

	ck_assert_ptr_nonnull(mkdtemp(work));
	ck_assert_ptr_nonnull(mkdtemp(home));
	setenv("HOME", home, 1);
	snprintf(p, sizeof(p), "%s/.config", home);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/.config/tool.conf", home);
	touch(p);
	snprintf(p, sizeof(p), "%s/.cache", home);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/a.c", work);
	touch(p);

	spec_init(&spec);
	spec.profile = xstrdup("default");
	spec.chdir = xstrdup(work);
	spec.argv = argv;
	trace_init(&t, &spec);
	tr_set_add(&t.calls, "openat")->count = 12;
	tr_set_add(&t.calls, "execve")->count = 2;
	tr_set_add(&t.calls, "x86:open")->count = 1;
	add(&t, "/usr/bin/env", TR_EXEC | TR_READ);
	add(&t, "/etc/hostname", TR_READ);
	add(&t, "/dev/null", TR_WRITE | TR_CREATE); /* "> /dev/null": the file, not /dev */
	snprintf(p, sizeof(p), "%s/a.c", work);
	add(&t, p, TR_READ);
	snprintf(p, sizeof(p), "%s/a.o", work);
	add(&t, p, TR_WRITE | TR_CREATE);
	snprintf(p, sizeof(p), "%s/.config/tool.conf", home);
	add(&t, p, TR_READ);
	snprintf(p, sizeof(p), "%s/.cache/new.tmp", home);
	add(&t, p, TR_WRITE | TR_CREATE);
	add(&t, home, TR_READ | TR_DIR);     /* listing the home: never as a whole */
	add(&t, "/", TR_READ | TR_DIR);      /* nor / */
	add(&t, "/nonexistent-sbx/zzz", TR_READ); /* a failed lookup needs nothing */
	snprintf(p, sizeof(p), "%s/.cache/with space", home);
	add(&t, p, TR_WRITE);

	out = open_memstream(&text, &len);
	ck_assert_int_eq(trace_profile_write(&t, 0, out), 0);
	fclose(out);

	ck_assert_msg(has_line(text, "include = default"), "%s", text);
	ck_assert_msg(has_line(text, "default = errno"), "%s", text);
	ck_assert_msg(has_line(text, "ro = /usr"), "%s", text);
	ck_assert_msg(has_line(text, "ro = /etc"), "%s", text);
	snprintf(q, sizeof(q), "rw = %s", work);
	ck_assert_msg(has_line(text, q), "%s", text);
	snprintf(q, sizeof(q), "ro = %s/.config/tool.conf", home);
	ck_assert_msg(has_line(text, q), "%s", text);
	snprintf(q, sizeof(q), "rw = %s/.cache", home);
	ck_assert_msg(has_line(text, q), "%s", text);
	snprintf(q, sizeof(q), "ro = %s", home);
	ck_assert_msg(!has_line(text, q), "the home as a whole: %s", text);
	snprintf(q, sizeof(q), "rw = %s", home);
	ck_assert_msg(!has_line(text, q), "the home as a whole: %s", text);
	ck_assert_msg(!has_line(text, "ro = /"), "/ as a whole: %s", text);
	ck_assert_msg(!has_line(text, "rw = /dev"), "/dev writable as a whole: %s", text);
	ck_assert_msg(has_line(text, "rw = /dev/null"), "%s", text);
	ck_assert_msg(!strstr(text, "nonexistent-sbx"), "%s", text);
	ck_assert_msg(!strstr(text, "with space\n"), "a path with a blank as a rule: %s", text);
	ck_assert_msg(strstr(text, "# not allowed: "), "%s", text);
	ck_assert_msg(strstr(text, "x86:open"), "the other ABI is not mentioned: %s", text);
	ck_assert_msg(strstr(text, "\nallow =") && strstr(text, " openat"), "%s", text);
	ck_assert_msg(!strstr(text, " keyctl"), "%s", text);
	ck_assert_msg(has_line(text, "mode = none"), "%s", text);

	free(text);
	tr_set_free(&t.calls);
	tr_set_free(&t.paths);
	spec.argv = NULL;
	spec_free(&spec);
	snprintf(p, sizeof(p), "rm -rf '%s' '%s'", work, home);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

/* [network] under --net=proxy from a decision log with hostile lines:
 * only valid names the proxy allowed become allow entries. */
START_TEST(test_proxy_log_to_network)
{
	static const char log[] =
		"{\"host\":\"stale.test\",\"port\":80,\"verdict\":\"allow\"}\n" /* an earlier run's */
		"{\"time\":\"x\",\"client\":\"http\",\"method\":\"GET\",\"host\":\"web.test\",\"port\":8080,\"address\":\"127.0.0.1\",\"verdict\":\"allow\",\"reason\":\"allowed\",\"bytes_up\":1,\"bytes_down\":2,\"duration_ms\":0.5}\n"
		"{\"host\":\"web.test\",\"port\":8080,\"verdict\":\"allow\"}\n"
		"{\"host\":\"a.test\",\"port\":443,\"verdict\":\"allow\"}\n"
		"{\"host\":\"a.test\",\"port\":80,\"verdict\":\"allow\"}\n"
		"{\"host\":\"b.test\",\"port\":443,\"verdict\":\"allow\"}\n"
		"{\"host\":\"::1\",\"port\":8080,\"verdict\":\"allow\"}\n"
		"{\"host\":\"evil.test\\u000aallow = x.test\",\"port\":80,\"verdict\":\"allow\"}\n"
		"{\"host\":\"*.wild.test\",\"port\":80,\"verdict\":\"allow\"}\n"
		"{\"host\":\"UPPER.test\",\"port\":80,\"verdict\":\"allow\"}\n"
		"{\"host\":\"zero.test\",\"port\":0,\"verdict\":\"allow\"}\n"
		"{\"host\":\"big.test\",\"port\":70000,\"verdict\":\"allow\"}\n"
		"{\"host\":\"half.test\",\"port\":\n"
		"{\"host\":\"c.test\",\"port\":80,\"verdict\":\"allow\"} trailing\n"
		"{\"host\":\"other.test\",\"port\":9,\"verdict\":\"deny\",\"reason\":\"host not in the allow-list\"}\n"
		"{\"host\":\"other.test\",\"port\":9,\"verdict\":\"deny\",\"reason\":\"again\"}\n"
		"{\"host\":\"q\\\"uote.test\",\"port\":9,\"verdict\":\"deny\"}\n"
		"{\"host\":\"cut.test\",\"port\":80,\"verdict\":\"allow\"}"; /* no newline: cut short */
	struct sbx_spec spec;
	struct trace t;
	char *buf = NULL, *net;
	size_t len = 0;
	FILE *out;
	int fd = memfd_create("test", 0);
	char longline[8192];
	size_t stale = (size_t)(strchr(log, '\n') + 1 - log);

	ck_assert_int_ge(fd, 0);
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "{\"host\":\"", 9);
	ck_assert_int_eq(write(fd, log, stale), (ssize_t)stale);
	ck_assert_int_eq(write(fd, longline, sizeof(longline)), (ssize_t)sizeof(longline));
	ck_assert_int_eq(write(fd, "\n", 1), 1);
	ck_assert_int_eq(write(fd, log + stale, sizeof(log) - 1 - stale), (ssize_t)(sizeof(log) - 1 - stale));
	spec_init(&spec);
	spec.net.mode = SBX_NET_PROXY;
	trace_init(&t, &spec);
	t.netlog_fd = fd;
	t.netlog_start = (off_t)stale;
	out = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(out);
	trace_net_write_proxy(&t, out);
	fclose(out);
	net = strstr(buf, "[network]\n");
	ck_assert_ptr_nonnull(net);
	ck_assert_msg(strstr(net, "\nmode = proxy\nallow = [::1]:8080\nallow = a.test\nallow = b.test:443\n"
				  "allow = web.test:8080\n"), "%s", net);
	ck_assert_int_eq(strstr(net, "allow = ") - net, strstr(net, "allow = [::1]") - net);
	ck_assert_ptr_nonnull(strstr(net, "# refused during the run, not allowed here: \"other.test:9\" "
					  "(\"host not in the allow-list\")\n"));
	ck_assert_ptr_null(strstr(net, "again"));
	for (const char *bad = "stale\0evil\0x.test\0wild\0upper\0UPPER\0zero\0big\0half\0c.test\0cut\0uote\0aaaa\0"; *bad;
	     bad += strlen(bad) + 1)
		ck_assert_msg(!strstr(net, bad), "%s in %s", bad, net);
	ck_assert_ptr_nonnull(strstr(net, "# 8 log entries could not be used"));
	free(buf);
	close(fd);
	spec.argv = NULL;
	spec_free(&spec);
}
END_TEST

static Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_args);
	tcase_add_test(tc, test_profile_generalizes);
	tcase_add_test(tc, test_proxy_log_to_network);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(trace_suite());
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
