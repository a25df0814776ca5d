/* proxy_tls.c - the server name (SNI) of a TLS ClientHello, so a CONNECT to
 * an allowed name cannot carry a TLS session for another name through the
 * same front (domain fronting).  Only the first record is read; a
 * ClientHello must fit in it (16 KiB, which every client's does).
 */
#include "proxy_parse.h"

#include <ctype.h>
#include <string.h>

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

int proxy_tls_sni(const uint8_t *buf, size_t len, char *sni, size_t snilen, bool *not_tls)
{
	size_t rec, hs, p, end, ext_end;

	*not_tls = false;
	sni[0] = '\0';
	if (len < 1)
		return PROXY_MORE;
	if (buf[0] != 0x16) {
		*not_tls = true;
		return PROXY_DONE;
	}
	if (len < 5)
		return PROXY_MORE;
	if (buf[1] != 3)
		return PROXY_BAD;
	rec = be16(buf + 3);
	if (rec < 4 || rec > 16384)
		return PROXY_BAD;
	if (len < 5 + rec)
		return PROXY_MORE;
	/* Handshake: type 1 (ClientHello), 24-bit length, all in this record. */
	if (buf[5] != 1)
		return PROXY_BAD;
	hs = (size_t)buf[6] << 16 | (size_t)buf[7] << 8 | buf[8];
	if (hs + 4 > rec)
		return PROXY_BAD;
	end = 9 + hs;
	p = 9 + 2 + 32; /* client_version, random */
	if (p + 1 > end)
		return PROXY_BAD;
	p += 1 + buf[p]; /* session_id */
	if (p + 2 > end)
		return PROXY_BAD;
	p += 2 + be16(buf + p); /* cipher_suites */
	if (p + 1 > end)
		return PROXY_BAD;
	p += 1 + buf[p]; /* compression_methods */
	if (p == end)
		return PROXY_DONE; /* no extensions */
	if (p + 2 > end)
		return PROXY_BAD;
	ext_end = p + 2 + be16(buf + p);
	if (ext_end != end)
		return PROXY_BAD;
	p += 2;
	while (p < ext_end) {
		unsigned type, elen;

		if (p + 4 > ext_end)
			return PROXY_BAD;
		type = be16(buf + p);
		elen = be16(buf + p + 2);
		p += 4;
		if (p + elen > ext_end)
			return PROXY_BAD;
		if (type == 0) {
			size_t q = p, list_end, nlen;

			if (sni[0] || elen < 5)
				return PROXY_BAD; /* two server_name extensions */
			list_end = q + 2 + be16(buf + q);
			if (list_end != p + elen)
				return PROXY_BAD;
			q += 2;
			/* Exactly one entry, of type host_name. */
			if (buf[q] != 0 || q + 3 > list_end)
				return PROXY_BAD;
			nlen = be16(buf + q + 1);
			q += 3;
			if (q + nlen != list_end || nlen == 0 || nlen >= snilen)
				return PROXY_BAD;
			for (size_t i = 0; i < nlen; i++) {
				unsigned char c = buf[q + i];
				if (c <= 0x20 || c >= 0x7f)
					return PROXY_BAD;
				sni[i] = (char)tolower(c);
			}
			sni[nlen] = '\0';
			if (nlen > 1 && sni[nlen - 1] == '.')
				sni[nlen - 1] = '\0';
		}
		p += elen;
	}
	return PROXY_DONE;
}
