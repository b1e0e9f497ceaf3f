/* _v2scan: `tweet_from_v2_line(line)` for the X v2 stream line, in one pass over its bytes.

The C twin of tweetwatch/pipeline/v2_fast.py's `python_tweet_from_v2_line`, which stays the
reference. For every input this returns what that function returns, or None where it returns a
Tweet: None is always safe (the caller then normalizes the line the general way, which decides
as before), so whenever this scanner is unsure, it says None. tests/test_native_v2.py compares
the two on real data, the hostile corpus, fuzzed lines and byte-level edge cases.

A line that does not start with v2_fast.PREFIX (`{"data":`) is None at once. Others go
through two phases:

 1. scan (no Python objects): a validating JSON parser walks the bytes once. It records the
    fields of v2_fast's schema as `Span`s of UTF-8 text (pointing into the line, or into a
    scratch arena when the JSON string holds escapes that had to be decoded), and validates and
    skips everything else. Any failure ends the scan and the call returns None.
 2. build: the Tweet from the recorded fields, exactly as v2_fast.py's Python builds it, with
    the Python helpers handed over by `configure()` for the rare or stateful parts (the
    created_at memo and `v2_created_ms`, `distinct_names` when names may repeat, `one_tag`).
    Values that repeat from line to line (created_at, lang, the one rule tag) reuse the last
    line's str or tuple: equal values, and the memo lookups find their hash already known.

The scan returns None (the line takes the general path) for:
 - anything that is not strict JSON (RFC 8259): a control character (< 0x20) inside a string,
   an unknown escape, a `\u` escape of a lone UTF-16 surrogate (msgspec and orjson refuse
   those), invalid UTF-8 (overlong forms, encoded surrogates, code points over U+10FFFF,
   truncated sequences), a number outside the JSON grammar (`01`, `1.`, `.5`, `+1`, `NaN`...),
   a literal other than true/false/null, a trailing comma, bytes after the top-level value
   other than whitespace (space, tab, CR, LF);
 - anything msgspec's schema refuses: a required field missing, a value of another type
   (`null` only where the schema has `| None`), a string out of its bounds in characters
   (code points, as msgspec counts them), `data.id_str` present at all;
 - and, stricter than msgspec, with no Tweet lost in practice: nesting deeper than MAX_DEPTH,
   a list of the schema longer than MAX_ITEMS, a key with an escape in an object of the schema,
   the same schema key twice in one object (msgspec keeps the last; rather than reason about
   which one wins, such a line is left to the general path), and invalid UTF-8 in ignored
   strings (msgspec skips those unchecked; orjson, the general path, refuses the line).
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#define HOT_INLINE static inline __attribute__((always_inline)) /* the scanner's small steps */
#else
#define NOINLINE
#define HOT_INLINE static inline
#endif

enum {
    MAX_DEPTH = 64,  /* X's lines nest about 6 deep; msgspec gives up between 100 and 2,000 */
    MAX_ITEMS = 64,  /* entries kept per list of the schema (hashtags, includes.users...) */
};

/* ---- the recorded fields ------------------------------------------------------------------ */

/* A string value as UTF-8 text. `p == NULL` is None: absent or null (the same in the schema,
   whose optional fields all default to None). */
typedef struct {
    const char *p;
    Py_ssize_t n; /* bytes */
    int ascii;    /* every byte < 0x80 (the str is made without decoding) */
} Span;

typedef struct { Span type, id; } Reference;
typedef struct { Span id, text, note; } IncludedTweet; /* note: note_tweet.text or None */
typedef struct { Span id, username; } IncludedUser;

/* What the scan keeps of a line: the schema of v2_fast.py, flattened. */
typedef struct {
    /* data */
    Span id, text, created_at, lang, author_id, note;
    int has_entities, has_urls;
    int n_hashtags, n_mentions, n_refs; /* 0 for an absent, null or empty list */
    /* includes */
    int has_includes, n_tweets, n_users;
    /* matching_rules */
    int n_rules;
    /* The lists, last (not zeroed: only the first n_* entries are ever read). */
    Span hashtags[MAX_ITEMS], mentions[MAX_ITEMS], rules[MAX_ITEMS]; /* a rule's tag may be None */
    Reference refs[MAX_ITEMS];
    IncludedTweet tweets[MAX_ITEMS];
    IncludedUser users[MAX_ITEMS];
} Line;

/* ---- the scanner -------------------------------------------------------------------------- */

/* The line is the data of a bytes object, which always ends in a NUL byte after its last:
   *end is readable and NUL. A NUL is never whitespace, a quote or any byte a token may go on
   with, so the steps that look at the next byte (`peek`, the end of a string) need no bound
   check of their own. */
typedef struct {
    const unsigned char *p, *end;
    Py_ssize_t size;  /* of the whole line */
    int depth;        /* open objects and arrays */
    char *arena;      /* decoded text of escaped strings; allocated at the first one */
    Py_ssize_t arena_used;
} Scan;

/* The scan's functions return 0 when they went on (those that also tell whether more follows,
   1 or 0) and NOT_HERE when the line is not one for this path. They set no Python exception. */
#define NOT_HERE (-1)

static inline int is_digit(int c) { return c >= '0' && c <= '9'; }

/* `peek` when the next byte is whitespace (or the end). */
static NOINLINE int peek_past_space(Scan *s)
{
    while (s->p < s->end) {
        unsigned char c = *s->p;
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            return c;
        s->p++;
    }
    return -1;
}

/* The first byte of the next token (after JSON whitespace), or -1 at the end of the line.
   Every byte that is not whitespace is above ' ' (and the NUL at the end is not). */
HOT_INLINE int peek(Scan *s)
{
    if (*s->p > ' ')
        return *s->p;
    return peek_past_space(s);
}

HOT_INLINE int literal(Scan *s, const char *word, Py_ssize_t len)
{
    if (s->end - s->p < len || memcmp(s->p, word, (size_t)len) != 0)
        return NOT_HERE;
    s->p += len;
    return 0;
}

/* A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?. Of any length and magnitude
   (msgspec skips 1e400 in an ignored field; only its shape is checked). What follows it is the
   caller's to check, so `01` fails there (at the `1`). */
static int skip_number(Scan *s)
{
    const unsigned char *p = s->p, *end = s->end;
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if (p < end && *p >= '1' && *p <= '9')
        while (p < end && is_digit(*p))
            p++;
    else
        return NOT_HERE;
    if (p < end && *p == '.') {
        if (++p == end || !is_digit(*p))
            return NOT_HERE;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        if (++p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || !is_digit(*p))
            return NOT_HERE;
        while (p < end && is_digit(*p))
            p++;
    }
    s->p = p;
    return 0;
}

static int hex4(const unsigned char *p)
{
    int value = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], digit;
        if (is_digit(c))
            digit = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            digit = (c | 0x20) - 'a' + 10;
        else
            return -1;
        value = value * 16 + digit;
    }
    return value;
}

/* The length of the valid escape at p (p[0] is the backslash), or -1. A `\u` escape of a
   UTF-16 high surrogate must be followed by one of a low surrogate (the pair is one code
   point); a lone surrogate is refused, as msgspec and orjson refuse it. */
static Py_ssize_t escape_length(const unsigned char *p, const unsigned char *end)
{
    if (end - p < 2)
        return -1;
    switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return 2;
    case 'u':
        break;
    default:
        return -1;
    }
    int unit = end - p >= 6 ? hex4(p + 2) : -1;
    if (unit < 0xD800 || unit > 0xDFFF)
        return unit < 0 ? -1 : 6;
    if (unit >= 0xDC00 || end - p < 12 || p[6] != '\\' || p[7] != 'u')
        return -1;
    int low = hex4(p + 8);
    return low >= 0xDC00 && low <= 0xDFFF ? 12 : -1;
}

/* The length of the valid UTF-8 sequence at p (p[0] >= 0x80), or -1: no continuation byte
   first, no overlong form, no encoded surrogate, nothing over U+10FFFF (RFC 3629). */
static Py_ssize_t utf8_length(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    Py_ssize_t avail = end - p;
#define CONT(i) ((p[i] & 0xC0) == 0x80)
    if (c < 0xC2)
        return -1;
    if (c < 0xE0)
        return avail >= 2 && CONT(1) ? 2 : -1;
    if (c < 0xF0) {
        if (avail < 3 || !CONT(1) || !CONT(2))
            return -1;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F))
            return -1;
        return 3;
    }
    if (c < 0xF5) {
        if (avail < 4 || !CONT(1) || !CONT(2) || !CONT(3))
            return -1;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
            return -1;
        return 4;
    }
    return -1;
#undef CONT
}

/* Past the run of ordinary string bytes at p: the first byte that is a control character
   (< 0x20), a quote, a backslash or non-ASCII, or `end`. Strings are most of a line, so this
   goes 16 bytes at a time with SSE2 (every x86-64 has it: a signed byte below 0x20 is a control
   or non-ASCII byte). `skip_ordinary_tail` takes the rest: the last bytes of the line, or all
   of them without SSE2. */
static const unsigned char *skip_ordinary_tail(const unsigned char *p, const unsigned char *end);

static inline const unsigned char *skip_ordinary(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\');
    while (end - p >= 16) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i special = _mm_or_si128(_mm_cmplt_epi8(bytes, space),
                                       _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, slash)));
        int mask = _mm_movemask_epi8(special);
        if (mask)
            return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#endif
    return skip_ordinary_tail(p, end);
}

/* 8 bytes at a time where the compiler gives a count of trailing zero bits on a little-endian
   machine (in `special`, a byte has its high bit set for the first special byte of the word
   and for none before it: each term flags its own kind of byte, and a borrow only ever runs
   up from a flagged byte), then one at a time. */
static NOINLINE const unsigned char *skip_ordinary_tail(const unsigned char *p, const unsigned char *end)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    while (end - p >= 8) {
        uint64_t w, quotes, slashes;
        memcpy(&w, p, 8);
        quotes = w ^ (ones * '"');
        slashes = w ^ (ones * '\\');
        uint64_t special = (((w - ones * 0x20) & ~w) | ((quotes - ones) & ~quotes) | ((slashes - ones) & ~slashes) | w) & highs;
        if (special)
            return p + (__builtin_ctzll(special) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
        p++;
    return p;
}

enum { STR_ESCAPED = 1, STR_NON_ASCII = 2 };

static int scan_string_rest(Scan *s, const unsigned char *p, const unsigned char *body, Py_ssize_t *len);

/* A JSON string at s->p (its opening quote), validated: on success s->p is past its closing
   quote, *body and *len give the raw bytes between the quotes, and the result is a set of
   STR_* flags. The common string, ASCII without escapes, is done here; `scan_string_rest`
   takes the others from their first escape or non-ASCII byte. */
static inline int scan_string(Scan *s, const unsigned char **body, Py_ssize_t *len)
{
    const unsigned char *start = s->p + 1, *p = skip_ordinary(start, s->end);
    *body = start;
    if (*p == '"') { /* p <= end, and *end is NUL */
        *len = p - start;
        s->p = p + 1;
        return 0;
    }
    return scan_string_rest(s, p, start, len);
}

static NOINLINE int scan_string_rest(Scan *s, const unsigned char *p, const unsigned char *body, Py_ssize_t *len)
{
    const unsigned char *end = s->end;
    int flags = 0;
    for (;;) {
        if (p == end)
            return NOT_HERE; /* unterminated */
        Py_ssize_t n;
        if (*p == '"')
            break;
        if (*p == '\\') {
            n = escape_length(p, end);
            flags |= STR_ESCAPED;
        } else if (*p >= 0x80) {
            n = utf8_length(p, end);
            flags |= STR_NON_ASCII;
        } else {
            return NOT_HERE; /* a raw control character */
        }
        if (n < 0)
            return NOT_HERE;
        p = skip_ordinary(p + n, end);
    }
    *len = p - body;
    s->p = p + 1;
    return flags;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* The text of a validated string body holding escapes, decoded into the arena. The arena has
   the line's size: a string never decodes longer than its raw bytes (`\uXXXX` is 6 bytes for
   at most 3, a surrogate pair 12 for 4), and the strings kept do not overlap. */
static int decode_escaped(Scan *s, const unsigned char *body, Py_ssize_t len, int flags, Span *out)
{
    if (s->arena == NULL && (s->arena = PyMem_Malloc((size_t)s->size + 1)) == NULL)
        return NOT_HERE;
    if (s->arena_used + len > s->size)
        return NOT_HERE; /* cannot happen (see above); a bound, not a hope */
    char *start = s->arena + s->arena_used, *o = start;
    const unsigned char *p = body, *end = body + len;
    int non_ascii = flags & STR_NON_ASCII;
    while (p < end) {
        const unsigned char *slash = memchr(p, '\\', (size_t)(end - p));
        if (slash == NULL)
            slash = end;
        memcpy(o, p, (size_t)(slash - p));
        o += slash - p;
        p = slash;
        if (p == end)
            break;
        unsigned cp;
        switch (p[1]) {
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            cp = (unsigned)hex4(p + 2);
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* validated: a low surrogate follows */
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned)hex4(p + 8) - 0xDC00);
                p += 6;
            }
            p += 4;
            break;
        default: cp = p[1]; break; /* " \ / */
        }
        p += 2;
        non_ascii |= cp >= 0x80;
        o = put_utf8(o, cp);
    }
    out->p = start;
    out->n = o - start;
    out->ascii = !non_ascii;
    s->arena_used += out->n;
    return 0;
}

HOT_INLINE int skip_value(Scan *s);

/* Opens an object or array (`open` is `{` or `[`): 1 when a member or element follows, 0
   when it was empty (and is closed), -1 when the value is not one or nests too deep. */
HOT_INLINE int open_container(Scan *s, int open, int close)
{
    if (peek(s) != open || ++s->depth > MAX_DEPTH)
        return NOT_HERE;
    s->p++;
    if (peek(s) == close) {
        s->p++;
        s->depth--;
        return 0;
    }
    return 1;
}

/* After a member or element: 1 when a comma (so another one) follows, 0 at the closing
   bracket (consumed), -1 otherwise. A trailing comma fails at what follows it. */
HOT_INLINE int next_item(Scan *s, int close)
{
    int c = peek(s);
    if (c == ',') {
        s->p++;
        return 1;
    }
    if (c == close) {
        s->p++;
        s->depth--;
        return 0;
    }
    return NOT_HERE;
}

/* A member's key and the colon after it. `plain`: refuse a key with an escape (in an object
   of the schema, whose keys are matched byte for byte). */
HOT_INLINE int read_key(Scan *s, const unsigned char **key, Py_ssize_t *len, int plain)
{
    if (peek(s) != '"')
        return NOT_HERE;
    int flags = scan_string(s, key, len);
    if (flags < 0 || (plain && (flags & STR_ESCAPED)) || peek(s) != ':')
        return NOT_HERE;
    s->p++;
    return 0;
}

static NOINLINE int skip_other_value(Scan *s, int first);

/* Any JSON value, validated and passed over (a string inline: the usual ignored value). */
HOT_INLINE int skip_value(Scan *s)
{
    const unsigned char *body;
    Py_ssize_t len;
    int first = peek(s);
    if (first == '"')
        return scan_string(s, &body, &len) < 0 ? NOT_HERE : 0;
    return skip_other_value(s, first);
}

/* Any JSON value whose first byte is `first` (the containers recurse, at most MAX_DEPTH deep). */
static NOINLINE int skip_other_value(Scan *s, int first)
{
    const unsigned char *body;
    Py_ssize_t len;
    int more;
    switch (first) {
    case '"':
        return scan_string(s, &body, &len) < 0 ? NOT_HERE : 0;
    case '{':
        for (more = open_container(s, '{', '}'); more > 0; more = next_item(s, '}'))
            if (read_key(s, &body, &len, 0) < 0 || skip_value(s) < 0)
                return NOT_HERE;
        return more;
    case '[':
        for (more = open_container(s, '[', ']'); more > 0; more = next_item(s, ']'))
            if (skip_value(s) < 0)
                return NOT_HERE;
        return more;
    case 't':
        return literal(s, "true", 4);
    case 'f':
        return literal(s, "false", 5);
    case 'n':
        return literal(s, "null", 4);
    default:
        return skip_number(s);
    }
}

/* 1 when the next value is null (consumed), 0 when it is something else, -1 for a broken
   literal. For the schema's `X | None` fields. */
HOT_INLINE int read_null(Scan *s)
{
    if (peek(s) != 'n')
        return 0;
    return literal(s, "null", 4) < 0 ? NOT_HERE : 1;
}

static Py_ssize_t chars_of(const Span *t)
{
    if (t->ascii)
        return t->n;
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < t->n; i++)
        count += ((unsigned char)t->p[i] & 0xC0) != 0x80;
    return count;
}

/* The schema's text fields: a JSON string (`null` too when `nullable`, as None) of
   `min`..`max` characters, counted as msgspec's Meta(min_length, max_length) counts them:
   in code points. */
HOT_INLINE int read_text(Scan *s, Span *out, int nullable, Py_ssize_t min, Py_ssize_t max)
{
    const unsigned char *body;
    Py_ssize_t len;
    if (nullable) {
        int null = read_null(s);
        if (null != 0) {
            out->p = NULL;
            return null < 0 ? NOT_HERE : 0;
        }
    }
    if (peek(s) != '"')
        return NOT_HERE;
    int flags = scan_string(s, &body, &len);
    if (flags < 0)
        return NOT_HERE;
    if (flags & STR_ESCAPED) {
        if (decode_escaped(s, body, len, flags, out) < 0)
            return NOT_HERE;
    } else {
        out->p = (const char *)body;
        out->n = len;
        out->ascii = !(flags & STR_NON_ASCII);
    }
    if (out->n < min || (out->n > max && chars_of(out) > max) || (min > 0 && chars_of(out) < min))
        return NOT_HERE;
    return 0;
}

#define ANY_LENGTH PY_SSIZE_T_MAX
#define TEXT(s, out) read_text((s), (out), 0, 0, ANY_LENGTH)
#define OPTIONAL_TEXT(s, out, max) read_text((s), (out), 1, 0, (max))

#define KEY_IS(key, len, word) ((len) == (Py_ssize_t)sizeof(word) - 1 && memcmp((key), (word), sizeof(word) - 1) == 0)

/* Marks a key of the schema seen; -1 when it was already (a duplicate key, see the top). */
HOT_INLINE int first_time(unsigned *seen, unsigned bit)
{
    if (*seen & bit)
        return NOT_HERE;
    *seen |= bit;
    return 0;
}

/* Iterates over the members of an object of the schema, with the key in `key`/`key_len`. */
#define FOR_EACH_MEMBER(s, more, key, key_len)                                      \
    for (more = open_container((s), '{', '}'); more > 0; more = next_item((s), '}')) \
        if (read_key((s), &key, &key_len, 1) < 0)                                   \
            return NOT_HERE;                                                        \
        else

/* A list of the schema: `parse` reads one entry into `items` (entries of `size` bytes). A
   list longer than MAX_ITEMS is left to the general path. */
typedef int (*ParseItem)(Scan *s, void *item);

HOT_INLINE int parse_list(Scan *s, ParseItem parse, void *items, size_t size, int *count, int nullable)
{
    int more;
    *count = 0;
    if (nullable && (more = read_null(s)) != 0)
        return more < 0 ? NOT_HERE : 0;
    for (more = open_container(s, '[', ']'); more > 0; more = next_item(s, ']')) {
        if (*count == MAX_ITEMS || parse(s, (char *)items + (size_t)*count * size) < 0)
            return NOT_HERE;
        ++*count;
    }
    return more;
}

/* An object of the schema with one field, `name`, a text of at most `max` characters:
   required (`_Hashtag.tag`, `_Mention.username`, `_Text.text`), or optional and nullable
   (`_Rule.tag`). */
HOT_INLINE int parse_one_field(Scan *s, const char *name, Span *out, int optional, Py_ssize_t max)
{
    const unsigned char *key;
    Py_ssize_t key_len, name_len = (Py_ssize_t)strlen(name); /* a constant, once inlined */
    unsigned seen = 0;
    int more;
    out->p = NULL;
    FOR_EACH_MEMBER(s, more, key, key_len) {
        int r = key_len == name_len && memcmp(key, name, (size_t)name_len) == 0
                    ? first_time(&seen, 1) || read_text(s, out, optional, 0, max)
                    : skip_value(s);
        if (r)
            return NOT_HERE;
    }
    return more < 0 || (!optional && !seen) ? NOT_HERE : 0;
}

static inline int parse_hashtag(Scan *s, void *tag) { return parse_one_field(s, "tag", tag, 0, 140); }
static inline int parse_mention(Scan *s, void *name) { return parse_one_field(s, "username", name, 0, 140); }
static inline int parse_rule(Scan *s, void *tag) { return parse_one_field(s, "tag", tag, 1, ANY_LENGTH); }

/* `_Text | None` (a note_tweet): its text, or None. */
static int parse_note(Scan *s, Span *text)
{
    int null = read_null(s);
    if (null != 0) {
        text->p = NULL;
        return null < 0 ? NOT_HERE : 0;
    }
    return parse_one_field(s, "text", text, 0, ANY_LENGTH);
}

static inline int parse_reference(Scan *s, void *item)
{
    Reference *ref = item;
    const unsigned char *key;
    Py_ssize_t key_len;
    unsigned seen = 0;
    int more, r;
    FOR_EACH_MEMBER(s, more, key, key_len) {
        if (KEY_IS(key, key_len, "type"))
            r = first_time(&seen, 1) || TEXT(s, &ref->type);
        else if (KEY_IS(key, key_len, "id"))
            r = first_time(&seen, 2) || TEXT(s, &ref->id);
        else
            r = skip_value(s);
        if (r)
            return NOT_HERE;
    }
    return more < 0 || seen != 3 ? NOT_HERE : 0;
}

static inline int parse_included_tweet(Scan *s, void *item)
{
    IncludedTweet *tweet = item;
    const unsigned char *key;
    Py_ssize_t key_len;
    unsigned seen = 0;
    int more, r;
    tweet->note.p = NULL;
    FOR_EACH_MEMBER(s, more, key, key_len) {
        if (KEY_IS(key, key_len, "id"))
            r = first_time(&seen, 1) || TEXT(s, &tweet->id);
        else if (KEY_IS(key, key_len, "text"))
            r = first_time(&seen, 2) || TEXT(s, &tweet->text);
        else if (KEY_IS(key, key_len, "note_tweet"))
            r = first_time(&seen, 4) || parse_note(s, &tweet->note);
        else
            r = skip_value(s);
        if (r)
            return NOT_HERE;
    }
    return more < 0 || (seen & 3) != 3 ? NOT_HERE : 0;
}

static inline int parse_included_user(Scan *s, void *item)
{
    IncludedUser *user = item;
    const unsigned char *key;
    Py_ssize_t key_len;
    unsigned seen = 0;
    int more, r;
    user->username.p = NULL;
    FOR_EACH_MEMBER(s, more, key, key_len) {
        if (KEY_IS(key, key_len, "id"))
            r = first_time(&seen, 1) || TEXT(s, &user->id);
        else if (KEY_IS(key, key_len, "username"))
            r = first_time(&seen, 2) || OPTIONAL_TEXT(s, &user->username, 64);
        else
            r = skip_value(s);
        if (r)
            return NOT_HERE;
    }
    return more < 0 || !(seen & 1) ? NOT_HERE : 0;
}

/* `_Entities | None`. */
static int parse_entities(Scan *s, Line *line)
{
    const unsigned char *key;
    Py_ssize_t key_len;
    unsigned seen = 0;
    int more, r;
    if ((r = read_null(s)) != 0)
        return r < 0 ? NOT_HERE : 0;
    line->has_entities = 1;
    FOR_EACH_MEMBER(s, more, key, key_len) {
        if (KEY_IS(key, key_len, "hashtags"))
            r = first_time(&seen, 1)
                || parse_list(s, parse_hashtag, line->hashtags, sizeof(Span), &line->n_hashtags, 0);
        else if (KEY_IS(key, key_len, "mentions"))
            r = first_time(&seen, 2)
                || parse_list(s, parse_mention, line->mentions, sizeof(Span), &line->n_mentions, 0);
        else if (KEY_IS(key, key_len, "urls")) /* any value: only the key's presence matters */
            r = first_time(&seen, 4) || skip_value(s);
        else
            r = skip_value(s);
        if (r)
            return NOT_HERE;
    }
    line->has_urls = (seen & 4) != 0;
    return more;
}

enum {
    D_ID = 1, D_TEXT = 2, D_CREATED_AT = 4, D_LANG = 8, D_AUTHOR_ID = 16,
    D_ENTITIES = 32, D_REFERENCED = 64, D_NOTE = 128,
};

static int parse_data(Scan *s, Line *line)
{
    const unsigned char *key;
    Py_ssize_t key_len;
    unsigned seen = 0;
    int more, r;
    FOR_EACH_MEMBER(s, more, key, key_len) {
        if (KEY_IS(key, key_len, "id"))
            r = first_time(&seen, D_ID) || read_text(s, &line->id, 0, 1, 64);
        else if (KEY_IS(key, key_len, "text"))
            r = first_time(&seen, D_TEXT) || TEXT(s, &line->text);
        else if (KEY_IS(key, key_len, "created_at"))
            r = first_time(&seen, D_CREATED_AT) || OPTIONAL_TEXT(s, &line->created_at, ANY_LENGTH);
        else if (KEY_IS(key, key_len, "lang"))
            r = first_time(&seen, D_LANG) || OPTIONAL_TEXT(s, &line->lang, 16);
        else if (KEY_IS(key, key_len, "author_id"))
            r = first_time(&seen, D_AUTHOR_ID) || OPTIONAL_TEXT(s, &line->author_id, 64);
        else if (KEY_IS(key, key_len, "entities"))
            r = first_time(&seen, D_ENTITIES) || parse_entities(s, line);
        else if (KEY_IS(key, key_len, "referenced_tweets"))
            r = first_time(&seen, D_REFERENCED)
                || parse_list(s, parse_reference, line->refs, sizeof(Reference), &line->n_refs, 1);
        else if (KEY_IS(key, key_len, "note_tweet"))
            r = first_time(&seen, D_NOTE) || parse_note(s, &line->note);
        else if (KEY_IS(key, key_len, "id_str"))
            return NOT_HERE; /* not a v2 field: the general path decides which id wins */
        else
            r = skip_value(s);
        if (r)
            return NOT_HERE;
    }
    return more < 0 || (seen & (D_ID | D_TEXT)) != (D_ID | D_TEXT) ? NOT_HERE : 0;
}

/* `_Includes | None`. */
static int parse_includes(Scan *s, Line *line)
{
    const unsigned char *key;
    Py_ssize_t key_len;
    unsigned seen = 0;
    int more, r;
    if ((r = read_null(s)) != 0)
        return r < 0 ? NOT_HERE : 0;
    line->has_includes = 1;
    FOR_EACH_MEMBER(s, more, key, key_len) {
        if (KEY_IS(key, key_len, "tweets"))
            r = first_time(&seen, 1)
                || parse_list(s, parse_included_tweet, line->tweets, sizeof(IncludedTweet), &line->n_tweets, 0);
        else if (KEY_IS(key, key_len, "users"))
            r = first_time(&seen, 2)
                || parse_list(s, parse_included_user, line->users, sizeof(IncludedUser), &line->n_users, 0);
        else
            r = skip_value(s);
        if (r)
            return NOT_HERE;
    }
    return more;
}

/* The whole line: one object (`_Line`) and nothing after it but whitespace. */
static int parse_line(Scan *s, Line *line)
{
    const unsigned char *key;
    Py_ssize_t key_len;
    unsigned seen = 0;
    int more, r;
    FOR_EACH_MEMBER(s, more, key, key_len) {
        if (KEY_IS(key, key_len, "data"))
            r = first_time(&seen, 1) || parse_data(s, line);
        else if (KEY_IS(key, key_len, "includes"))
            r = first_time(&seen, 2) || parse_includes(s, line);
        else if (KEY_IS(key, key_len, "matching_rules"))
            r = first_time(&seen, 4)
                || parse_list(s, parse_rule, line->rules, sizeof(Span), &line->n_rules, 1);
        else
            r = skip_value(s);
        if (r)
            return NOT_HERE;
    }
    return more < 0 || !(seen & 1) || peek(s) != -1 ? NOT_HERE : 0;
}

/* ---- the build: v2_fast.py's Python, on the recorded fields --------------------------------- */

/* Handed over by configure() (v2_fast.py calls it at import). */
static PyObject *Tweet;           /* model.Tweet */
static PyObject *stamp_memo;      /* timeparse's created_at text -> ms memo (dict) */
static PyObject *v2_created_ms;   /* timeparse.v2_created_ms, on a memo miss */
static PyObject *distinct_names;  /* names.distinct_names, for two names or more */
static PyObject *one_tag_memo;    /* v2_fast._ONE_TAG (dict) */
static PyObject *one_tag;         /* v2_fast.one_tag, on a miss */

/* The characters of valid UTF-8 (the bytes that are not continuation bytes, 0x80..0xBF), and
   its largest byte. */
static Py_ssize_t count_chars(const unsigned char *p, const unsigned char *end, unsigned char *largest)
{
    Py_ssize_t chars = 0;
    unsigned char top = 0;
#if defined(__SSE2__)
    /* Per lane: the continuation bytes seen (summed up before a lane could reach 256) and
       the largest byte. */
    const __m128i zero = _mm_setzero_si128(), lead = _mm_set1_epi8((char)0xC0); /* signed: below it */
    __m128i tops = zero, continuations = zero;
    int blocks = 0;
    for (; end - p >= 16; p += 16) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)p);
        continuations = _mm_sub_epi8(continuations, _mm_cmplt_epi8(bytes, lead)); /* true is -1 */
        tops = _mm_max_epu8(tops, bytes);
        chars += 16;
        if (++blocks == 255 || end - p < 32) {
            __m128i sums = _mm_sad_epu8(continuations, zero);
            chars -= _mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4);
            continuations = zero;
            blocks = 0;
        }
    }
    tops = _mm_max_epu8(tops, _mm_srli_si128(tops, 8));
    tops = _mm_max_epu8(tops, _mm_srli_si128(tops, 4));
    tops = _mm_max_epu8(tops, _mm_srli_si128(tops, 2));
    tops = _mm_max_epu8(tops, _mm_srli_si128(tops, 1));
    top = (unsigned char)_mm_cvtsi128_si32(tops);
#endif
    for (; p < end; p++) {
        chars += (*p & 0xC0) != 0x80;
        top = *p > top ? *p : top;
    }
    *largest = top;
    return chars;
}

/* Decodes valid UTF-8 from p to end into `out`, an array of TYPE (Py_UCS1, 2 or 4) wide enough
   for every character: each run of ASCII 16 bytes at a time where SSE2 allows (WIDEN16 stores
   16 ASCII bytes as 16 TYPEs), the rest one character at a time. */
#if defined(__SSE2__)
#define ASCII16(q, end) ((end) - (q) >= 16 && !_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(q))))
#else
#define ASCII16(q, end) 0
#endif
#define DECODE_UTF8(TYPE, WIDEN16, out, p, end)                                                                   \
    do {                                                                                                          \
        TYPE *o = (TYPE *)(out);                                                                                  \
        const unsigned char *q = (p);                                                                             \
        while (q < (end)) {                                                                                       \
            unsigned c = *q;                                                                                      \
            if (c < 0x80) {                                                                                       \
                for (; ASCII16(q, end); q += 16, o += 16)                                                         \
                    WIDEN16(o, q);                                                                                \
                for (; q < (end) && *q < 0x80; q++)                                                               \
                    *o++ = (TYPE)*q;                                                                              \
            } else if (c < 0xE0) {                                                                                \
                *o++ = (TYPE)(((c & 0x1F) << 6) | (q[1] & 0x3F));                                                 \
                q += 2;                                                                                           \
            } else if (c < 0xF0) {                                                                                \
                *o++ = (TYPE)(((c & 0x0F) << 12) | ((q[1] & 0x3Fu) << 6) | (q[2] & 0x3F));                        \
                q += 3;                                                                                           \
            } else {                                                                                              \
                *o++ = (TYPE)(((c & 0x07) << 18) | ((q[1] & 0x3Fu) << 12) | ((q[2] & 0x3Fu) << 6) | (q[3] & 0x3F)); \
                q += 4;                                                                                           \
            }                                                                                                     \
        }                                                                                                         \
    } while (0)

#if defined(__SSE2__)
static inline void widen16_ucs1(Py_UCS1 *o, const unsigned char *q) { memcpy(o, q, 16); }

static inline void widen16_ucs2(Py_UCS2 *o, const unsigned char *q)
{
    __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)q), zero = _mm_setzero_si128();
    _mm_storeu_si128((__m128i *)(void *)o, _mm_unpacklo_epi8(bytes, zero));
    _mm_storeu_si128((__m128i *)(void *)(o + 8), _mm_unpackhi_epi8(bytes, zero));
}

static inline void widen16_ucs4(Py_UCS4 *o, const unsigned char *q)
{
    __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)q), zero = _mm_setzero_si128();
    __m128i low = _mm_unpacklo_epi8(bytes, zero), high = _mm_unpackhi_epi8(bytes, zero);
    _mm_storeu_si128((__m128i *)(void *)o, _mm_unpacklo_epi16(low, zero));
    _mm_storeu_si128((__m128i *)(void *)(o + 4), _mm_unpackhi_epi16(low, zero));
    _mm_storeu_si128((__m128i *)(void *)(o + 8), _mm_unpacklo_epi16(high, zero));
    _mm_storeu_si128((__m128i *)(void *)(o + 12), _mm_unpackhi_epi16(high, zero));
}
#else
#define widen16_ucs1(o, q) ((void)0)
#define widen16_ucs2(o, q) ((void)0)
#define widen16_ucs4(o, q) ((void)0)
#endif

/* The str of valid UTF-8 text with non-ASCII characters (PyUnicode_DecodeUTF8 costs ~4x as
   much on the usual post: it widens its buffer at the first emoji). Its kind (1, 2 or 4 bytes
   a character, which CPython requires to be the narrowest that fits) follows from the largest
   lead byte: up to 0xC3 is at most U+00FF, up to 0xEF at most U+FFFF. */
static PyObject *str_of_utf8(const unsigned char *p, Py_ssize_t n)
{
    const unsigned char *end = p + n;
    unsigned char largest;
    Py_ssize_t chars = count_chars(p, end, &largest);
    PyObject *str = PyUnicode_New(chars, largest >= 0xF0 ? 0x10FFFF : largest >= 0xC4 ? 0xFFFF : 0xFF);
    if (str == NULL)
        return NULL;
    switch (PyUnicode_KIND(str)) {
    case PyUnicode_1BYTE_KIND:
        DECODE_UTF8(Py_UCS1, widen16_ucs1, PyUnicode_DATA(str), p, end);
        break;
    case PyUnicode_2BYTE_KIND:
        DECODE_UTF8(Py_UCS2, widen16_ucs2, PyUnicode_DATA(str), p, end);
        break;
    default:
        DECODE_UTF8(Py_UCS4, widen16_ucs4, PyUnicode_DATA(str), p, end);
        break;
    }
    return str;
}

static PyObject *str_of(const Span *t)
{
    if (t->p == NULL)
        Py_RETURN_NONE;
    if (!t->ascii)
        return str_of_utf8((const unsigned char *)t->p, t->n);
    PyObject *str = PyUnicode_New(t->n, 127);
    if (str != NULL)
        memcpy(PyUnicode_1BYTE_DATA(str), t->p, (size_t)t->n);
    return str;
}

/* Whether `str` (a str or NULL) is the ASCII text t. */
static int is_ascii_text(PyObject *str, const Span *t)
{
    return str != NULL && t->p != NULL && t->ascii && PyUnicode_IS_ASCII(str) && PyUnicode_GET_LENGTH(str) == t->n
           && memcmp(PyUnicode_1BYTE_DATA(str), t->p, (size_t)t->n) == 0;
}

/* The str of a field whose value repeats from line to line (created_at: posts share seconds;
   lang): the last one made again when the text is the same, ASCII text only. Its hash is then
   known already, which makes the memo lookup that follows cheap. */
static PyObject *recent_created_at, *recent_lang;

static PyObject *recent_str_of(const Span *t, PyObject **recent)
{
    if (is_ascii_text(*recent, t))
        return Py_NewRef(*recent);
    if (t->p == NULL || !t->ascii)
        return str_of(t);
    PyObject *str = str_of(t);
    if (str != NULL)
        Py_XSETREF(*recent, Py_NewRef(str));
    return str;
}

/* `value or None` */
static PyObject *str_or_none(const Span *t, PyObject **recent)
{
    if (t->p == NULL || t->n == 0)
        Py_RETURN_NONE;
    return recent ? recent_str_of(t, recent) : str_of(t);
}

static int same_text(const Span *a, const Span *b)
{
    return a->n == b->n && memcmp(a->p, b->p, (size_t)a->n) == 0;
}

#define SPAN_IS(t, word) KEY_IS((t)->p, (t)->n, word)

static int contains_http(const Span *t)
{
    const char *p = t->p, *end = t->p + t->n;
    while (end - p >= 4) {
        p = memchr(p, 'h', (size_t)(end - p - 3));
        if (p == NULL)
            return 0;
        if (memcmp(p, "http", 4) == 0)
            return 1;
        p++;
    }
    return 0;
}

/* v2_fast._included_text: the first included tweet with that id, its note's text if any. */
static const Span *included_text(const Line *line, const Span *id)
{
    if (line->has_includes)
        for (int i = 0; i < line->n_tweets; i++)
            if (same_text(&line->tweets[i].id, id))
                return line->tweets[i].note.p ? &line->tweets[i].note : &line->tweets[i].text;
    return NULL;
}

/* Printable ASCII without spaces (`~` is the last printable). */
static int is_plain_name(const Span *name)
{
    if (!name->ascii)
        return 0;
    for (Py_ssize_t i = 0; i < name->n; i++)
        if (name->p[i] <= ' ' || name->p[i] > '~')
            return 0;
    return 1;
}

static int same_ascii_caseless(const Span *a, const Span *b)
{
    if (a->n != b->n)
        return 0;
    for (Py_ssize_t i = 0; i < a->n; i++) {
        char x = a->p[i], y = b->p[i];
        if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z'))
            return 0;
    }
    return 1;
}

/* Whether `distinct_names(names)` is `names` itself, decided without calling it, in the
   usual case: when every name is printable ASCII without spaces, `names.fold_name` is ASCII
   lowercasing (tests/test_native_v2.py pins this down), so the names are distinct when no
   two are equal ignoring ASCII case. 0 means "ask distinct_names". */
static int plainly_distinct(const Span *names, int count)
{
    for (int i = 0; i < count; i++) {
        if (!is_plain_name(&names[i]))
            return 0;
        for (int j = 0; j < i; j++)
            if (same_ascii_caseless(&names[i], &names[j]))
                return 0;
    }
    return 1;
}

/* `tuple(map(attrgetter(...), entries))`, through `distinct_names` when there are several. */
static PyObject *names_tuple(const Span *names, int count)
{
    PyObject *tuple = PyTuple_New(count);
    if (tuple == NULL)
        return NULL;
    for (int i = 0; i < count; i++) {
        PyObject *name = str_of(&names[i]);
        if (name == NULL) {
            Py_DECREF(tuple);
            return NULL;
        }
        PyTuple_SET_ITEM(tuple, i, name);
    }
    if (count < 2 || plainly_distinct(names, count))
        return tuple;
    PyObject *distinct = PyObject_CallOneArg(distinct_names, tuple);
    Py_DECREF(tuple);
    return distinct;
}

static PyObject *recent_one_tag; /* the last (tag,) made: most lines match the same rule */

/* `_ONE_TAG.get(tag) or one_tag(tag)`, the last tuple again while the tag repeats. */
static PyObject *one_tag_of(const Span *t)
{
    if (recent_one_tag != NULL && is_ascii_text(PyTuple_GET_ITEM(recent_one_tag, 0), t))
        return Py_NewRef(recent_one_tag);
    PyObject *tag = str_of(t);
    if (tag == NULL)
        return NULL;
    PyObject *tags = PyDict_GetItemWithError(one_tag_memo, tag);
    if (tags != NULL)
        Py_INCREF(tags);
    else if (!PyErr_Occurred())
        tags = PyObject_CallOneArg(one_tag, tag);
    Py_DECREF(tag);
    if (tags != NULL && PyTuple_CheckExact(tags) && PyTuple_GET_SIZE(tags) == 1 && PyUnicode_CheckExact(PyTuple_GET_ITEM(tags, 0)))
        Py_XSETREF(recent_one_tag, Py_NewRef(tags));
    return tags;
}

/* matching_rules -> rule_tags: None for none; one tag interned through one_tag; else the
   tuple of the tags that are not None, or None when all are. */
static PyObject *rule_tags(const Line *line)
{
    if (line->n_rules == 1 && line->rules[0].p != NULL)
        return one_tag_of(&line->rules[0]);
    int count = 0;
    if (line->n_rules > 1)
        for (int i = 0; i < line->n_rules; i++)
            count += line->rules[i].p != NULL;
    if (count == 0)
        Py_RETURN_NONE;
    PyObject *tags = PyTuple_New(count);
    if (tags == NULL)
        return NULL;
    for (int i = 0, j = 0; i < line->n_rules; i++) {
        if (line->rules[i].p == NULL)
            continue;
        PyObject *tag = str_of(&line->rules[i]);
        if (tag == NULL) {
            Py_DECREF(tags);
            return NULL;
        }
        PyTuple_SET_ITEM(tags, j++, tag);
    }
    return tags;
}

/* created_at via the memo, then v2_created_ms (which may fall back to the id's time); None
   when neither gives a time (then there is no Tweet). */
static PyObject *created_ms_of(const Line *line, PyObject *tweet_id)
{
    PyObject *created = recent_str_of(&line->created_at, &recent_created_at), *ms = NULL;
    if (created == NULL)
        return NULL;
    if (created != Py_None && (ms = PyDict_GetItemWithError(stamp_memo, created)) != NULL)
        Py_INCREF(ms);
    else if (!PyErr_Occurred())
        ms = PyObject_CallFunctionObjArgs(v2_created_ms, created, tweet_id, NULL);
    Py_DECREF(created);
    return ms;
}

enum { N_FIELDS = 15 };

static PyObject *build_tweet(const Line *line)
{
    PyObject *args[N_FIELDS] = {NULL};
    PyObject *result = NULL;
    const Span *text = line->note.p ? &line->note : &line->text;
    const Span *retweeted = NULL, *quoted = NULL;
    int is_retweet = 0, is_quote = 0, is_reply = 0;
    for (int i = 0; i < line->n_refs; i++) {
        const Reference *ref = &line->refs[i];
        if (SPAN_IS(&ref->type, "replied_to")) {
            is_reply = 1;
            continue;
        }
        const Span *original = included_text(line, &ref->id);
        if (SPAN_IS(&ref->type, "retweeted")) {
            is_retweet = 1;
            retweeted = original;
        } else if (SPAN_IS(&ref->type, "quoted")) {
            is_quote = 1;
            quoted = original;
        }
    }
    const Span none = {NULL, 0, 1};
    const Span *author_name = &none;
    if (line->author_id.p != NULL && line->has_includes) /* "" too, as in v2_fast.py */
        for (int i = 0; i < line->n_users; i++)
            if (same_text(&line->users[i].id, &line->author_id)) {
                author_name = &line->users[i].username;
                break;
            }
    int has_link = contains_http(text) || (line->has_entities && line->has_urls);

    if ((args[0] = str_of(&line->id)) == NULL || (args[1] = created_ms_of(line, args[0])) == NULL)
        goto done;
    if (args[1] == Py_None) { /* no plausible time: the general path rejects the line */
        result = Py_NewRef(Py_None);
        goto done;
    }
    if ((args[2] = str_of(text)) == NULL
        || (args[3] = str_or_none(&line->lang, &recent_lang)) == NULL
        || (args[4] = str_or_none(&line->author_id, NULL)) == NULL
        || (args[5] = names_tuple(line->hashtags, line->has_entities ? line->n_hashtags : 0)) == NULL
        || (args[6] = names_tuple(line->mentions, line->has_entities ? line->n_mentions : 0)) == NULL)
        goto done;
    args[7] = Py_NewRef(is_retweet ? Py_True : Py_False);
    args[8] = Py_NewRef(is_quote ? Py_True : Py_False);
    args[9] = Py_NewRef(is_reply ? Py_True : Py_False);
    args[10] = Py_NewRef(has_link ? Py_True : Py_False);
    if ((args[11] = str_of(retweeted ? retweeted : &none)) == NULL
        || (args[12] = str_of(quoted ? quoted : &none)) == NULL
        || (args[13] = rule_tags(line)) == NULL
        || (args[14] = str_or_none(author_name, NULL)) == NULL)
        goto done;
    result = PyObject_Vectorcall(Tweet, args, N_FIELDS, NULL);
done:
    for (int i = 0; i < N_FIELDS; i++)
        Py_XDECREF(args[i]);
    return result;
}

/* ---- the module --------------------------------------------------------------------------- */

/* v2_fast.PREFIX: X writes `data` first; a line that starts otherwise takes the general path. */
static const char PREFIX[] = "{\"data\":";

static PyObject *tweet_from_bytes(const unsigned char *bytes, Py_ssize_t size)
{
    if (size < (Py_ssize_t)sizeof(PREFIX) - 1 || memcmp(bytes, PREFIX, sizeof(PREFIX) - 1) != 0)
        Py_RETURN_NONE;
    Scan s = {bytes, bytes + size, size, 0, NULL, 0};
    Line line;
    memset(&line, 0, offsetof(Line, hashtags));
    PyObject *result = parse_line(&s, &line) < 0 ? Py_NewRef(Py_None) : build_tweet(&line);
    PyMem_Free(s.arena);
    return result;
}

static PyObject *tweet_from_v2_line(PyObject *module, PyObject *arg)
{
    if (Tweet == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_v2scan.configure() has not been called");
        return NULL;
    }
    if (PyBytes_Check(arg))
        return tweet_from_bytes((const unsigned char *)PyBytes_AS_STRING(arg), PyBytes_GET_SIZE(arg));
    if (PyUnicode_Check(arg)) /* not a v2_fast.PREFIX, as in the Python twin */
        Py_RETURN_NONE;
    PyObject *copy = PyBytes_FromObject(arg); /* bytearray, memoryview...: bytes end in a NUL */
    if (copy == NULL)
        return NULL;
    PyObject *result = tweet_from_bytes((const unsigned char *)PyBytes_AS_STRING(copy), PyBytes_GET_SIZE(copy));
    Py_DECREF(copy);
    return result;
}

static PyObject *configure(PyObject *module, PyObject *args)
{
    PyObject *tweet, *memo, *created, *distinct, *tags, *tag;
    if (!PyArg_ParseTuple(args, "OO!OOO!O:configure", &tweet, &PyDict_Type, &memo, &created, &distinct,
                          &PyDict_Type, &tags, &tag))
        return NULL;
    Py_XSETREF(Tweet, Py_NewRef(tweet));
    Py_XSETREF(stamp_memo, Py_NewRef(memo));
    Py_XSETREF(v2_created_ms, Py_NewRef(created));
    Py_XSETREF(distinct_names, Py_NewRef(distinct));
    Py_XSETREF(one_tag_memo, Py_NewRef(tags));
    Py_XSETREF(one_tag, Py_NewRef(tag));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"tweet_from_v2_line", tweet_from_v2_line, METH_O,
     "tweet_from_v2_line(line: bytes) -> Tweet | None\n--\n\n"
     "The line's Tweet, or None when the general path must decide (v2_fast.py)."},
    {"configure", configure, METH_VARARGS,
     "configure(Tweet, stamp_memo, v2_created_ms, distinct_names, one_tag_memo, one_tag)\n--\n\n"
     "The Python objects the build uses (v2_fast.py passes them at import)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_v2scan",
    .m_doc = "X v2 stream line -> Tweet in one validating pass over the bytes (the C twin of v2_fast.py).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__v2scan(void) { return PyModule_Create(&module); }
