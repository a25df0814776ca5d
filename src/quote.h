/* quote.h - printing names a hostile program chose: file names from an
 * upper layer, paths in errors and traces. */
#ifndef SBX_QUOTE_H
#define SBX_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes s to f, then suffix.  When s holds anything a terminal could act
 * on or that could fake a line (C0 and C1 controls, DEL, raw 0x9B, bidi
 * overrides and isolates, other invisible format characters, invalid
 * UTF-8), or '"', '\\', " -> " or " (", the whole of s + suffix is written
 * in double quotes with those bytes as C escapes (\n, \t, \ooo), like git. */
void quote_put(FILE *f, const char *s, const char *suffix);
/* The same, malloc'd. */
char *quote_str(const char *s);
/* Whether s would be quoted. */
bool quote_needed(const char *s);
/* Writes n bytes of text (a line of a file) with every byte quote_put
 * would escape escaped as \ooo, tabs kept, no surrounding quotes. */
void quote_put_text(FILE *f, const char *s, size_t n);
/* Decodes one UTF-8 sequence at s (n bytes left): its length, or 0 when
 * invalid (overlong, surrogate, beyond U+10FFFF, truncated). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Code points that change how text around them looks without showing
 * themselves: controls, bidi controls, zero-width and other format
 * characters, invisible fillers, tag characters. */
bool unicode_invisible(uint32_t cp);

#endif
