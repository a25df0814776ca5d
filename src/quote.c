/* quote.c - one way to print a name sbx did not choose.
 *
 * A file name made by a sandboxed program can hold ESC or CSI (0x9B)
 * sequences that drive the reviewer's terminal, bidi overrides that make
 * "evil.sh" read as something else, or a newline that fakes a line of
 * sbx diff.  Every such name goes through quote_put before it is printed.
 */
#include "quote.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len;

	if (!n)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

bool unicode_invisible(uint32_t c)
{
	static const uint32_t ranges[][2] = {
		{ 0x0000, 0x001f }, { 0x007f, 0x009f }, /* C0, DEL, C1 (0x9b: CSI) */
		{ 0x00ad, 0x00ad },			/* soft hyphen */
		{ 0x034f, 0x034f },			/* combining grapheme joiner */
		{ 0x061c, 0x061c },			/* Arabic letter mark */
		{ 0x115f, 0x1160 },			/* Hangul fillers */
		{ 0x17b4, 0x17b5 },			/* Khmer inherent vowels */
		{ 0x180b, 0x180f },			/* Mongolian selectors, vowel separator */
		{ 0x200b, 0x200f },			/* zero width, LRM, RLM */
		{ 0x2028, 0x202e },			/* line/paragraph separators, bidi embeddings/overrides */
		{ 0x2060, 0x206f },			/* word joiner, invisible operators, bidi isolates */
		{ 0x3164, 0x3164 },			/* Hangul filler */
		{ 0xfe00, 0xfe0f },			/* variation selectors */
		{ 0xfeff, 0xfeff },			/* zero width no-break space (BOM) */
		{ 0xffa0, 0xffa0 },			/* halfwidth Hangul filler */
		{ 0xfff9, 0xfffb },			/* interlinear annotation */
		{ 0x1bca0, 0x1bca3 },			/* shorthand format controls */
		{ 0x1d173, 0x1d17a },			/* musical format controls */
		{ 0xe0000, 0xe0fff },			/* tags, variation selectors supplement */
		{ 0xf0000, 0x10ffff },			/* private use planes */
	};

	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
		if (c >= ranges[i][0] && c <= ranges[i][1])
			return true;
	return (c & 0xfffe) == 0xfffe; /* noncharacters */
}

/* Length of the safe character at s, or 0 when its bytes must be escaped. */
static size_t safe_char(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len = utf8_decode(s, n, &cp);

	if (!len || unicode_invisible(cp))
		return 0;
	return len;
}

bool quote_needed(const char *s)
{
	size_t n = strlen(s);
	const unsigned char *p = (const unsigned char *)s;

	if (strstr(s, " -> ") || strstr(s, " ("))
		return true;
	for (size_t i = 0; i < n;) {
		size_t len = safe_char(p + i, n - i);

		if (!len || p[i] == '"' || p[i] == '\\')
			return true;
		i += len;
	}
	return false;
}

static void put_escaped(FILE *f, const unsigned char *p, size_t n, bool in_quotes)
{
	for (size_t i = 0; i < n;) {
		size_t len = safe_char(p + i, n - i);

		if (len && (!in_quotes || (p[i] != '"' && p[i] != '\\'))) {
			fwrite(p + i, 1, len, f);
			i += len;
			continue;
		}
		if (!len && !in_quotes && p[i] == '\t') {
			fputc('\t', f);
		} else if (p[i] == '\n') {
			fputs("\\n", f);
		} else if (p[i] == '\t') {
			fputs("\\t", f);
		} else if (p[i] == '"' || p[i] == '\\') {
			fputc('\\', f);
			fputc(p[i], f);
		} else {
			/* Every byte of an invisible character, or one invalid byte. */
			uint32_t cp;
			size_t bad = utf8_decode(p + i, n - i, &cp);

			if (!bad)
				bad = 1;
			for (size_t k = 0; k < bad; k++)
				fprintf(f, "\\%03o", p[i + k]);
			i += bad;
			continue;
		}
		i++;
	}
}

void quote_put(FILE *f, const char *s, const char *suffix)
{
	if (!quote_needed(s)) {
		fprintf(f, "%s%s", s, suffix);
		return;
	}
	fputc('"', f);
	put_escaped(f, (const unsigned char *)s, strlen(s), true);
	put_escaped(f, (const unsigned char *)suffix, strlen(suffix), true);
	fputc('"', f);
}

char *quote_str(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		die("out of memory");
	quote_put(f, s, "");
	if (fclose(f) != 0)
		die("out of memory");
	return buf;
}

void quote_put_text(FILE *f, const char *s, size_t n)
{
	put_escaped(f, (const unsigned char *)s, n, false);
}
