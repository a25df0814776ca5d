/* test_proxy.c - --net=proxy's parsers (HTTP, SOCKS5, TLS SNI), policy,
 * address checks, log lines and the spec keys. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "proxy_log.h"
#include "proxy_parse.h"
#include "proxy_policy.h"
#include "spec.h"

static struct proxy_req req;

static int parse(const char *s)
{
	return proxy_http_parse(s, strlen(s), &req);
}

START_TEST(test_http_absolute_form)
{
	static const char r[] = "GET http://Example.COM./a/b?c=d HTTP/1.1\r\nHost: example.com\r\n"
				"User-Agent: t\r\nProxy-Connection: keep-alive\r\nConnection: keep-alive\r\n\r\nBODY";
	char out[1024];
	size_t n;

	ck_assert_int_eq(parse(r), PROXY_DONE);
	ck_assert_int_eq(req.kind, PROXY_HTTP);
	ck_assert_str_eq(req.method, "GET");
	ck_assert_str_eq(req.host, "example.com");
	ck_assert_uint_eq(req.port, 80);
	ck_assert(!req.literal);
	ck_assert_uint_eq(req.head_len, strlen(r) - 4);
	n = proxy_http_rewrite(r, &req, out, sizeof(out));
	ck_assert_uint_gt(n, 0);
	out[n] = '\0';
	ck_assert_str_eq(out, "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\nConnection: close\r\n\r\n");
	/* No path, a port, a query right after the host. */
	ck_assert_int_eq(parse("GET http://h.test:8080?q HTTP/1.0\n\n"), PROXY_DONE);
	ck_assert_uint_eq(req.port, 8080);
	n = proxy_http_rewrite("GET http://h.test:8080?q HTTP/1.0\n\n", &req, out, sizeof(out));
	out[n] = '\0';
	ck_assert_str_eq(out, "GET /?q HTTP/1.1\r\nHost: h.test:8080\r\nConnection: close\r\n\r\n");
	ck_assert_int_eq(parse("GET http://[::1]:81/ HTTP/1.1\r\nHost: [::1]:81\r\n\r\n"), PROXY_DONE);
	ck_assert(req.literal);
	ck_assert_str_eq(req.host, "::1");
}
END_TEST

START_TEST(test_http_connect)
{
	ck_assert_int_eq(parse("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03"), PROXY_DONE);
	ck_assert_int_eq(req.kind, PROXY_CONNECT);
	ck_assert_uint_eq(req.port, 443);
	ck_assert_str_eq(req.host, "example.com");
	ck_assert_int_eq(parse("CONNECT 10.1.2.3:22 HTTP/1.1\r\n\r\n"), PROXY_DONE);
	ck_assert(req.literal);
	ck_assert_int_eq(parse("CONNECT example.com HTTP/1.1\r\n\r\n"), PROXY_BAD); /* no port */
	ck_assert_int_eq(parse("CONNECT example.com:443 HTTP/1.1\r\nHost: evil.com:443\r\n\r\n"), PROXY_BAD);
	ck_assert_int_eq(parse("CONNECT example.com:443 HTTP/1.1\r\nContent-Length: 5\r\n\r\n"), PROXY_BAD);
}
END_TEST

START_TEST(test_http_incomplete_and_limits)
{
	char *big;

	ck_assert_int_eq(parse("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n"), PROXY_MORE);
	ck_assert_int_eq(parse(""), PROXY_MORE);
	big = malloc(PROXY_HEAD_MAX + 100);
	memset(big, 'a', PROXY_HEAD_MAX + 99);
	big[PROXY_HEAD_MAX + 99] = '\0';
	ck_assert_int_eq(parse(big), PROXY_BAD);
	ck_assert_int_eq(req.status, 431);
	/* Too many headers. */
	strcpy(big, "GET http://a.test/ HTTP/1.1\r\n");
	for (int i = 0; i <= PROXY_HEADERS_MAX; i++)
		strcat(big, "X-A: b\r\n");
	strcat(big, "\r\n");
	ck_assert_int_eq(parse(big), PROXY_BAD);
	ck_assert_int_eq(req.status, 431);
	free(big);
}
END_TEST

START_TEST(test_http_smuggling_refused)
{
	static const char *const bad[] = {
		"GET http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\nHost: a.test:81\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nHost: a.test\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n",      /* folding */
		"GET http://a.test/ HTTP/1.1\r\nX-A : b\r\n\r\n",          /* space before colon */
		"GET http://a.test/ HTTP/1.1\r\nX-A: b\rc\r\n\r\n",        /* bare CR */
		"GET http://a.test/ HTTP/1.1\r\nX-A: b\x01\r\n\r\n",
		"GET /origin-form HTTP/1.1\r\nHost: a.test\r\n\r\n",
		"GET https://a.test/ HTTP/1.1\r\n\r\n",
		"GET http://user:pw@a.test/ HTTP/1.1\r\n\r\n",
		"GET http://evil.test@a.test/ HTTP/1.1\r\n\r\n",
		"GET http://a.test:0/ HTTP/1.1\r\n\r\n",
		"GET http://a.test:65536/ HTTP/1.1\r\n\r\n",
		"GET http://a..test/ HTTP/1.1\r\n\r\n",
		"GET http://a.test/ HTTP/2.0\r\n\r\n",
		"GET  http://a.test/ HTTP/1.1\r\n\r\n",
		"G(T http://a.test/ HTTP/1.1\r\n\r\n",
		"GET http://a.test/\x7f HTTP/1.1\r\n\r\n",
		"GET http://[127.0.0.1]/ HTTP/1.1\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i]) != PROXY_BAD)
			ck_abort_msg("accepted: %s", bad[i]);
		ck_assert_uint_ge(req.status, 400);
		ck_assert_ptr_nonnull(req.why);
	}
	/* The same value twice is one length; chunked alone is fine. */
	ck_assert_int_eq(parse("POST http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"), PROXY_DONE);
	ck_assert_int_eq(parse("POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"), PROXY_DONE);
}
END_TEST

START_TEST(test_socks5)
{
	static const uint8_t greet[] = { 5, 2, 2, 0 }, greet_auth[] = { 5, 1, 2 };
	static const uint8_t name[] = { 5, 1, 0, 3, 8, 'A', '.', 't', 'e', 's', 't', '.', '.', 0x01, 0xbb };
	static const uint8_t name_ok[] = { 5, 1, 0, 3, 7, 'A', '.', 't', 'e', 's', 't', '.', 0x01, 0xbb };
	static const uint8_t v4[] = { 5, 1, 0, 1, 10, 0, 0, 1, 0, 80 }, bind_cmd[] = { 5, 2, 0, 1, 10, 0, 0, 1, 0, 80 };
	size_t used = 0;

	ck_assert_int_eq(proxy_socks_greeting(greet, 1, &used, &req), PROXY_MORE);
	ck_assert_int_eq(proxy_socks_greeting(greet, 3, &used, &req), PROXY_MORE);
	ck_assert_int_eq(proxy_socks_greeting(greet, 4, &used, &req), PROXY_DONE);
	ck_assert_uint_eq(used, 4);
	ck_assert_int_eq(proxy_socks_greeting(greet_auth, 3, &used, &req), PROXY_BAD);
	ck_assert_int_eq(proxy_socks_request(name, sizeof(name), &req), PROXY_BAD); /* "a.test.." */
	ck_assert_int_eq(proxy_socks_request(name_ok, sizeof(name_ok) - 1, &req), PROXY_MORE);
	ck_assert_int_eq(proxy_socks_request(name_ok, sizeof(name_ok), &req), PROXY_DONE);
	ck_assert_str_eq(req.host, "a.test");
	ck_assert_uint_eq(req.port, 443);
	ck_assert(!req.literal);
	ck_assert_int_eq(proxy_socks_request(v4, sizeof(v4), &req), PROXY_DONE);
	ck_assert(req.literal);
	ck_assert_str_eq(req.host, "10.0.0.1");
	ck_assert_int_eq(proxy_socks_request(bind_cmd, sizeof(bind_cmd), &req), PROXY_BAD);
	ck_assert_int_eq(req.status, 7);
}
END_TEST

/* A minimal ClientHello with the given server name (or none). */
static size_t client_hello(uint8_t *b, const char *sni)
{
	size_t p = 0, n = sni ? strlen(sni) : 0, ext = sni ? 9 + n : 0, hs = 2 + 32 + 1 + 4 + 2 + 2 + ext;

	b[p++] = 0x16, b[p++] = 3, b[p++] = 1;
	b[p++] = (uint8_t)((hs + 4) >> 8), b[p++] = (uint8_t)(hs + 4);
	b[p++] = 1, b[p++] = 0, b[p++] = (uint8_t)(hs >> 8), b[p++] = (uint8_t)hs;
	b[p++] = 3, b[p++] = 3;
	memset(b + p, 0xaa, 32), p += 32;
	b[p++] = 0;                                     /* session id */
	b[p++] = 0, b[p++] = 2, b[p++] = 0x13, b[p++] = 1; /* one suite */
	b[p++] = 1, b[p++] = 0;                         /* null compression */
	b[p++] = (uint8_t)(ext >> 8), b[p++] = (uint8_t)ext;
	if (sni) {
		b[p++] = 0, b[p++] = 0;
		b[p++] = (uint8_t)((n + 5) >> 8), b[p++] = (uint8_t)(n + 5);
		b[p++] = (uint8_t)((n + 3) >> 8), b[p++] = (uint8_t)(n + 3);
		b[p++] = 0, b[p++] = (uint8_t)(n >> 8), b[p++] = (uint8_t)n;
		memcpy(b + p, sni, n), p += n;
	}
	return p;
}

START_TEST(test_tls_sni)
{
	uint8_t b[512];
	char sni[256];
	bool not_tls;
	size_t n = client_hello(b, "Www.Example.com");

	ck_assert_int_eq(proxy_tls_sni(b, n, sni, sizeof(sni), &not_tls), PROXY_DONE);
	ck_assert(!not_tls);
	ck_assert_str_eq(sni, "www.example.com");
	ck_assert_int_eq(proxy_tls_sni(b, n - 1, sni, sizeof(sni), &not_tls), PROXY_MORE);
	n = client_hello(b, NULL);
	ck_assert_int_eq(proxy_tls_sni(b, n, sni, sizeof(sni), &not_tls), PROXY_DONE);
	ck_assert_str_eq(sni, "");
	ck_assert_int_eq(proxy_tls_sni((const uint8_t *)"SSH-2.0", 7, sni, sizeof(sni), &not_tls), PROXY_DONE);
	ck_assert(not_tls);
	/* A length that points past the record is malformed, not "no SNI". */
	n = client_hello(b, "a.test");
	b[n - 7] = 0x40;
	ck_assert_int_eq(proxy_tls_sni(b, n, sni, sizeof(sni), &not_tls), PROXY_BAD);
}
END_TEST

static struct proxy_policy policy(const char *const *items)
{
	struct proxy_policy pol;
	char err[256];

	memset(&pol, 0, sizeof(pol));
	for (; *items; items++)
		ck_assert_msg(proxy_policy_add(&pol, *items, err, sizeof(err)), "%s: %s", *items, err);
	return pol;
}

static bool allows(const struct proxy_policy *pol, const char *host, unsigned port)
{
	char norm[256];
	struct proxy_addr a;
	bool lit;

	ck_assert(proxy_host_normalize(host, strlen(host), norm, sizeof(norm), &lit, &a));
	return proxy_policy_allows(pol, norm, lit, &a, port);
}

START_TEST(test_policy_patterns)
{
	static const char *const items[] = { "example.com", "*.cdn.test", "git.test:8443", "10.9.8.7:80", "[2001:db8::1]:443", NULL };
	struct proxy_policy pol = policy(items);

	ck_assert(allows(&pol, "example.com", 443));
	ck_assert(allows(&pol, "EXAMPLE.com.", 80));
	ck_assert(!allows(&pol, "example.com", 8080));
	ck_assert(!allows(&pol, "www.example.com", 443));
	ck_assert(!allows(&pol, "badexample.com", 443));
	ck_assert(allows(&pol, "a.cdn.test", 443));
	ck_assert(allows(&pol, "a.b.cdn.test", 80));
	ck_assert(!allows(&pol, "cdn.test", 443));
	ck_assert(!allows(&pol, "xcdn.test", 443));
	ck_assert(allows(&pol, "git.test", 8443));
	ck_assert(!allows(&pol, "git.test", 443));
	ck_assert(allows(&pol, "10.9.8.7", 80));
	ck_assert(!allows(&pol, "10.9.8.7", 443));
	/* The same address spelled another way is the same literal. */
	ck_assert(allows(&pol, "10.9.2055", 80));
	ck_assert(allows(&pol, "[2001:db8:0::1]", 443));
	/* A name that is numeric is a literal, never a name. */
	ck_assert(!allows(&pol, "2130706433", 80));
	proxy_policy_free(&pol);
}
END_TEST

START_TEST(test_policy_bad_patterns)
{
	static const char *const bad[] = { "*", "*.com", "a*.test", "foo.*.test", "a.test:0", "a.test:70000",
					   "a.test:x", "::1", "[::1", "@nosuch", "a_b..test", "-a.test", "[10.0.0.1]:80",
					   "*.10.0.0.1", "" };
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (proxy_policy_add(NULL, bad[i], err, sizeof(err)))
			ck_abort_msg("accepted \"%s\"", bad[i]);
		ck_assert_msg(err[0] && !strchr(err, '\n'), "no one-line message for \"%s\"", bad[i]);
	}
	ck_assert(!proxy_policy_add(NULL, "@nosuch", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "@npm"));
}
END_TEST

START_TEST(test_policy_bundles)
{
	static const char *const items[] = { "@npm", "@pypi", "@crates", "@go", "@github", "@gitlab", "@debian",
					     "@ubuntu", "@maven", "@rubygems", NULL };
	struct proxy_policy pol = policy(items);

	for (const char *const *b = proxy_bundle_names; *b; b++)
		ck_assert_ptr_nonnull(proxy_bundle(*b));
	ck_assert(allows(&pol, "registry.npmjs.org", 443));
	ck_assert(allows(&pol, "files.pythonhosted.org", 443));
	ck_assert(allows(&pol, "index.crates.io", 443));
	ck_assert(allows(&pol, "proxy.golang.org", 443));
	ck_assert(allows(&pol, "codeload.github.com", 443));
	ck_assert(allows(&pol, "gitlab.com", 443));
	ck_assert(allows(&pol, "deb.debian.org", 80));
	ck_assert(allows(&pol, "de.archive.ubuntu.com", 80));
	ck_assert(allows(&pol, "repo1.maven.org", 443));
	ck_assert(allows(&pol, "rubygems.org", 443));
	ck_assert(!allows(&pol, "evil.example", 443));
	ck_assert_uint_gt(pol.n_rules, 20);
	proxy_policy_free(&pol);
}
END_TEST

START_TEST(test_pins)
{
	struct proxy_policy pol;
	char err[256];
	static const char *const bad[] = { "noip", "name:", ":1.2.3.4", "name:1.2.3", "na me:1.2.3.4", "1.2.3.4:1.2.3.4" };

	memset(&pol, 0, sizeof(pol));
	ck_assert(proxy_policy_pin(&pol, "Reg.Test:127.0.0.1", err, sizeof(err)));
	ck_assert(proxy_policy_pin(&pol, "v6.test:[::1]", err, sizeof(err)));
	ck_assert(proxy_policy_pin(&pol, "v6b.test:::1", err, sizeof(err)));
	ck_assert_ptr_nonnull(proxy_policy_pinned(&pol, "reg.test"));
	ck_assert_int_eq(proxy_policy_pinned(&pol, "v6.test")->family, AF_INET6);
	ck_assert_ptr_null(proxy_policy_pinned(&pol, "other.test"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proxy_policy_pin(NULL, bad[i], err, sizeof(err)))
			ck_abort_msg("accepted --add-host %s", bad[i]);
	proxy_policy_free(&pol);
}
END_TEST

static const char *refused(const char *ip, bool loopback)
{
	struct proxy_addr a, own = { .family = AF_INET };

	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET, "192.0.2.77", &own.a.v4);
	if (inet_pton(AF_INET, ip, &a.a.v4) == 1)
		a.family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &a.a.v6), 1);
		a.family = AF_INET6;
	}
	return proxy_addr_refused(&a, loopback, &own, 1);
}

START_TEST(test_address_classes)
{
	static const char *const bad[] = { "127.0.0.1", "127.3.2.1", "10.0.2.2", "172.16.0.1", "172.31.255.255",
					   "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
					   "255.255.255.255", "192.0.2.77", "::1", "::", "fc00::1", "fd12::1", "fe80::1",
					   "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1",
					   "2002:a00:1::1", "::127.0.0.1" };
	static const char *const good[] = { "93.184.216.34", "1.1.1.1", "172.32.0.1", "2606:4700::1111" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(refused(bad[i], false), "%s was allowed", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(!refused(good[i], false), "%s was refused", good[i]);
	/* --net-host-loopback: 127.0.0.0/8 only. */
	ck_assert_ptr_null(refused("127.0.0.1", true));
	ck_assert_ptr_null(refused("127.9.9.9", true));
	ck_assert_ptr_nonnull(refused("::1", true));
	ck_assert_ptr_nonnull(refused("::ffff:127.0.0.1", true));
	ck_assert_ptr_nonnull(refused("10.0.0.1", true));
}
END_TEST

START_TEST(test_log_line_is_json)
{
	struct proxy_event ev;
	char line[8192], host[400];

	memset(&ev, 0, sizeof(ev));
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	host[3] = '"', host[4] = '\\', host[5] = '\n', host[6] = (char)0xff;
	ev.client = "http";
	ev.host = host;
	ev.port = 80;
	ev.reason = "host not in the allow-list";
	ck_assert_uint_gt(proxy_log_format(&ev, line, sizeof(line)), 0);
	ck_assert_ptr_nonnull(strstr(line, "hhh\\\"\\\\\\u000a\\u00ffh"));
	ck_assert_ptr_nonnull(strstr(line, "\"verdict\":\"deny\""));
	ck_assert_ptr_nonnull(strstr(line, "\"address\":null"));
	ck_assert_int_eq(line[strlen(line) - 1], '\n');
	ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1);
	/* A small buffer cuts the strings, never the closing brace. */
	ck_assert_uint_lt(proxy_log_format(&ev, line, 200), 200);
	ck_assert_int_eq(line[strlen(line) - 2], '}');
}
END_TEST

START_TEST(test_spec_keys_and_env)
{
	struct sbx_spec spec;
	char err[256];
	bool proxy_env = false, all = false, no = false;

	spec_init(&spec);
	ck_assert(spec_set(&spec, "allow-host", "a.test, *.b.test:8080,@pypi", "--allow-host", err, sizeof(err)));
	ck_assert_uint_eq(spec.net.allow.n, 3);
	ck_assert(!spec_set(&spec, "allow-host", "a.*", "--allow-host", err, sizeof(err)));
	ck_assert(!spec_set(&spec, "add-host", "x.test", "--add-host", err, sizeof(err)));
	ck_assert(spec_set(&spec, "add-host", "x.test:127.0.0.1", "--add-host", err, sizeof(err)));
	spec_validate(&spec);
	ck_assert_int_eq(spec.net.mode, SBX_NET_PROXY);
	for (size_t i = 0; i < spec.env.set.n; i++) {
		proxy_env |= !strcmp(spec.env.set.v[i], "https_proxy=http://127.0.0.1:3128");
		all |= !strcmp(spec.env.set.v[i], "ALL_PROXY=socks5h://127.0.0.1:3128");
		no |= !strncmp(spec.env.set.v[i], "no_proxy=localhost,127.0.0.1", 28);
	}
	ck_assert(proxy_env && all && no);
	spec_free(&spec);
}
END_TEST

START_TEST(test_allow_host_with_other_net)
{
	struct sbx_spec spec;
	char err[256];

	spec_init(&spec);
	ck_assert(spec_set(&spec, "net", "slirp4netns", "--net", err, sizeof(err)));
	ck_assert(spec_set(&spec, "allow-host", "a.test", "--allow-host", err, sizeof(err)));
	spec_validate(&spec); /* dies: 125 */
}
END_TEST

START_TEST(test_user_env_wins)
{
	struct sbx_spec spec;
	char err[256];
	int n = 0;

	spec_init(&spec);
	ck_assert(spec_set(&spec, "net", "proxy", "--net", err, sizeof(err)));
	ck_assert(spec_set(&spec, "setenv", "no_proxy=mine", "--setenv", err, sizeof(err)));
	spec_validate(&spec);
	for (size_t i = 0; i < spec.env.set.n; i++)
		n += !strncmp(spec.env.set.v[i], "no_proxy=", 9);
	ck_assert_int_eq(n, 1);
	ck_assert(strv_contains(&spec.env.set, "no_proxy=mine"));
	spec_free(&spec);
}
END_TEST

static Suite *proxy_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_http_absolute_form);
	tcase_add_test(tc, test_http_connect);
	tcase_add_test(tc, test_http_incomplete_and_limits);
	tcase_add_test(tc, test_http_smuggling_refused);
	tcase_add_test(tc, test_socks5);
	tcase_add_test(tc, test_tls_sni);
	tcase_add_test(tc, test_policy_patterns);
	tcase_add_test(tc, test_policy_bad_patterns);
	tcase_add_test(tc, test_policy_bundles);
	tcase_add_test(tc, test_pins);
	tcase_add_test(tc, test_address_classes);
	tcase_add_test(tc, test_log_line_is_json);
	tcase_add_test(tc, test_spec_keys_and_env);
	tcase_add_exit_test(tc, test_allow_host_with_other_net, 125);
	tcase_add_test(tc, test_user_env_wins);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proxy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
