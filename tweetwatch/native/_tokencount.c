/* _tokencount: token counting for tweetwatch.pipeline.text, in C.
 *
 * The rules are those of tweetwatch/pipeline/text.py (its module doc and `count_tokens`); that
 * Python code is the specification and this file reproduces it exactly (tests/
 * test_native_tokens.py compares the two). What it saves is the per-token Python work: the
 * Python path makes one str object, one hash and one Counter update per token occurrence; here
 * tokens are counted in a hash table keyed by their UTF-8 bytes, and one str is made per
 * *distinct* token at the end.
 *
 * One type, `Tally`, used as (see `tweetwatch.pipeline.text._count_native`):
 *
 *     tally = Tally(classes)            # the character table, built in Python (`_char_classes`)
 *     hard = tally.add_texts(texts)     # counts what needs no Unicode folding, returns the rest
 *     tally.add_folded(_fold(...), n)   # the rest, folded by Python's own `_fold`, n times each
 *     tally.store(counts, drop)         # counts[token] = n for every token not in drop, etc.
 *
 * The character table (`classes`, bytes, one byte per code point below CLASSES_SIZE) is built by
 * Python from `unicodedata` and `str` methods, so that this file holds no Unicode data of its
 * own; its bits:
 *   CLASS_WORD   `\w` or a combining mark (text.py `_token_pattern`: `[\w<marks>]`), i.e.
 *                `chr(c).isalnum() or _is_mark(chr(c))`;
 *   CLASS_INERT  a character that `_fold` leaves as it is and that cannot change its neighbours
 *                (not a word character, casefolds and NFKD-decomposes to itself, combining
 *                class 0, never the second half of a canonical composition, not C1, not a
 *                surrogate). A text of ASCII and such characters folds exactly as ASCII does:
 *                `lower()` of its ASCII letters, nothing else (see text.py `_char_classes`).
 * Code points at or above CLASSES_SIZE: `\w` is Py_UNICODE_ISALNUM (what `re` uses), there are
 * no marks there in text.py's pattern (it is built over the same range), none is inert.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#define CLASSES_SIZE 0x30000
#define CLASS_WORD 1
#define CLASS_INERT 2
#define INITIAL_CAPACITY 64 /* slots of a new table: a power of two */

/* ASCII word characters of casefolded text: `\w` on it is [a-z0-9_]; every other ASCII
 * character, upper case included, separates tokens (text.py `_SEPARATORS`, `_SEPARATOR_BYTES`).
 * Raw (not yet lowered) ASCII text also has A-Z, which `lower()` would make word characters. */
#define IS_FOLDED_ASCII_WORD(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') || (c) == '_')
#define IS_RAW_ASCII_WORD(c) (IS_FOLDED_ASCII_WORD(c) || ((c) >= 'A' && (c) <= 'Z'))
#define ASCII_LOWER(c) ((c) >= 'A' && (c) <= 'Z' ? (c) + ('a' - 'A') : (c))

/* One distinct token: its UTF-8 bytes at keys[offset:offset + length]. length 0: a free slot
 * (tokens are never empty). */
typedef struct {
    uint64_t hash;
    Py_ssize_t offset;
    Py_ssize_t length;
    Py_ssize_t count;
} Entry;

typedef struct {
    PyObject_HEAD
    PyObject *classes; /* bytes of CLASSES_SIZE: the character table (kept alive here) */
    const unsigned char *class_of;
    Entry *entries;    /* open addressing, linear probing; capacity a power of two */
    size_t capacity;
    size_t used;
    char *keys;        /* the tokens' bytes, one after another */
    size_t keys_size;
    size_t keys_capacity;
    char *scratch;     /* the token being read, as UTF-8 */
    size_t scratch_capacity;
} Tally;

/* ---- the hash table of tokens ------------------------------------------------------------ */

#define HASH_START 0xcbf29ce484222325u /* FNV-1a, a byte at a time */
#define HASH_STEP(hash, byte) (((hash) ^ (unsigned char)(byte)) * 0x100000001b3u)

static uint64_t hash_bytes(const char *bytes, Py_ssize_t length) {
    uint64_t hash = HASH_START;
    for (Py_ssize_t i = 0; i < length; i++)
        hash = HASH_STEP(hash, bytes[i]);
    return hash;
}

/* Doubles the table when it is half full. 0, or -1 with MemoryError set. */
static int grow_entries(Tally *self) {
    size_t capacity = self->capacity * 2;
    if (capacity > PY_SSIZE_T_MAX / sizeof(Entry)) {
        PyErr_NoMemory();
        return -1;
    }
    Entry *entries = PyMem_Calloc(capacity, sizeof(Entry));
    if (entries == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < self->capacity; i++) {
        Entry *old = &self->entries[i];
        if (old->length == 0)
            continue;
        size_t slot = (size_t)old->hash & (capacity - 1);
        while (entries[slot].length != 0)
            slot = (slot + 1) & (capacity - 1);
        entries[slot] = *old;
    }
    PyMem_Free(self->entries);
    self->entries = entries;
    self->capacity = capacity;
    return 0;
}

/* Makes room for `extra` more bytes in *buffer. 0, or -1 with MemoryError set. */
static int reserve(char **buffer, size_t *capacity, size_t size, size_t extra) {
    if (extra > (size_t)PY_SSIZE_T_MAX - size) {
        PyErr_NoMemory();
        return -1;
    }
    if (size + extra <= *capacity)
        return 0;
    size_t wanted = *capacity ? *capacity : 256;
    while (wanted < size + extra)
        wanted = wanted > (size_t)PY_SSIZE_T_MAX / 2 ? size + extra : wanted * 2;
    char *grown = PyMem_Realloc(*buffer, wanted);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *buffer = grown;
    *capacity = wanted;
    return 0;
}

/* counts[token] += times for the token in self->scratch[:length], whose hash_bytes is `hash`.
 * 0, or -1 with an error set. */
static int add_token(Tally *self, Py_ssize_t length, uint64_t hash, Py_ssize_t times) {
    const char *token = self->scratch;
    size_t mask = self->capacity - 1;
    size_t slot = (size_t)hash & mask;
    for (;;) {
        Entry *entry = &self->entries[slot];
        if (entry->length == 0)
            break;
        if (entry->hash == hash && entry->length == length &&
            memcmp(self->keys + entry->offset, token, (size_t)length) == 0) {
            if (entry->count > PY_SSIZE_T_MAX - times) {
                PyErr_SetString(PyExc_OverflowError, "token count too large");
                return -1;
            }
            entry->count += times;
            return 0;
        }
        slot = (slot + 1) & mask;
    }
    if (reserve(&self->keys, &self->keys_capacity, self->keys_size, (size_t)length) < 0)
        return -1;
    memcpy(self->keys + self->keys_size, token, (size_t)length);
    Entry *entry = &self->entries[slot];
    entry->hash = hash;
    entry->offset = (Py_ssize_t)self->keys_size;
    entry->length = length;
    entry->count = times;
    self->keys_size += (size_t)length;
    self->used++;
    if (self->used * 2 > self->capacity)
        return grow_entries(self);
    return 0;
}

/* ---- reading texts ----------------------------------------------------------------------- */

/* Appends code point c (never a surrogate: surrogates are no word characters) as UTF-8. */
static inline Py_ssize_t put_utf8(char *out, Py_ssize_t at, Py_UCS4 c) {
    if (c < 0x80) {
        out[at] = (char)c;
        return at + 1;
    }
    if (c < 0x800) {
        out[at] = (char)(0xC0 | (c >> 6));
        out[at + 1] = (char)(0x80 | (c & 0x3F));
        return at + 2;
    }
    if (c < 0x10000) {
        out[at] = (char)(0xE0 | (c >> 12));
        out[at + 1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[at + 2] = (char)(0x80 | (c & 0x3F));
        return at + 3;
    }
    out[at] = (char)(0xF0 | (c >> 18));
    out[at + 1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[at + 2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[at + 3] = (char)(0x80 | (c & 0x3F));
    return at + 4;
}

/* A word character of folded text: `[\w<marks>]` of text.py's `_token_pattern`, with ASCII
 * upper case a separator as in its translate tables (folded text has none). */
static inline int is_folded_word(const unsigned char *class_of, Py_UCS4 c) {
    if (c < 0x80)
        return IS_FOLDED_ASCII_WORD(c);
    if (c < CLASSES_SIZE)
        return class_of[c] & CLASS_WORD;
    return Py_UNICODE_ISALNUM(c);
}

/* Raw text's word characters lowered (`lower()` of ASCII), 0 for every other character below
 * 256 (in raw text all characters from 0x80 up are inert: separators). Set at import. */
static char raw_word[256];

/* Whether a URL of text.py's `_URL` (`https?://\S+`, on the lowered text) starts at i of raw
 * text: `http` or `https` in any case (lowering makes them so), `://`, then a non-whitespace
 * character (`\S` is `not Py_UNICODE_ISSPACE`, as in `re`); -1 if not, else the URL's end: the
 * next whitespace character or the end of the text (`\S+` is greedy). */
#define DEFINE_URL_END(NAME, CHAR)                                                              \
    static Py_ssize_t NAME(const CHAR *s, Py_ssize_t n, Py_ssize_t i) {                         \
        if (n - i < 8 || (s[i + 1] | 0x20) != 't' || (s[i + 2] | 0x20) != 't' ||                \
            (s[i + 3] | 0x20) != 'p')                                                           \
            return -1;                                                                          \
        Py_ssize_t j = i + 4;                                                                   \
        if ((s[j] | 0x20) == 's')                                                               \
            j++;                                                                                \
        if (n - j < 4 || s[j] != ':' || s[j + 1] != '/' || s[j + 2] != '/' ||                    \
            Py_UNICODE_ISSPACE(s[j + 3]))                                                       \
            return -1;                                                                          \
        for (j += 4; j < n && !Py_UNICODE_ISSPACE(s[j]); j++)                                   \
            ;                                                                                   \
        return j;                                                                               \
    }

/* Counts the tokens of raw text s[:n] (ASCII and inert characters only, not yet folded): those
 * of `_fold(s)`, i.e. runs of ASCII word characters, lowered, with URLs dropped. A URL match
 * is tried at every position, as `re.sub` scans (`xhttp://y` leaves the token `x`), and reads
 * as a separator (`_fold` puts a space in its place). */
#define DEFINE_COUNT_RAW(NAME, CHAR, URL_END)                                                   \
    static int NAME(Tally *self, const CHAR *s, Py_ssize_t n) {                                 \
        if (reserve(&self->scratch, &self->scratch_capacity, 0, (size_t)n) < 0)                \
            return -1;                                                                          \
        char *out = self->scratch;                                                              \
        Py_ssize_t length = 0; /* of the token being read */                                    \
        uint64_t hash = HASH_START;                                                             \
        for (Py_ssize_t i = 0; i < n; i++) {                                                    \
            Py_UCS4 c = s[i];                                                                   \
            char lowered = c < 256 ? raw_word[c] : 0;                                           \
            if (lowered == 'h') {                                                               \
                Py_ssize_t end = URL_END(s, n, i);                                              \
                if (end >= 0) {                                                                 \
                    lowered = 0;                                                                \
                    i = end - 1;                                                                \
                }                                                                               \
            }                                                                                   \
            if (lowered) {                                                                      \
                out[length++] = lowered;                                                        \
                hash = HASH_STEP(hash, lowered);                                                \
            } else if (length) {                                                                \
                if (add_token(self, length, hash, 1) < 0)                                       \
                    return -1;                                                                  \
                length = 0;                                                                     \
                hash = HASH_START;                                                              \
            }                                                                                   \
        }                                                                                       \
        return length ? add_token(self, length, hash, 1) : 0;                                   \
    }

/* Counts the tokens of folded text s[:n] (`_fold` done: URLs are gone), `times` each: the runs
 * of `is_folded_word` characters, keyed by their UTF-8. */
#define DEFINE_COUNT_FOLDED(NAME, CHAR)                                                         \
    static int NAME(Tally *self, const CHAR *s, Py_ssize_t n, Py_ssize_t times) {              \
        if (reserve(&self->scratch, &self->scratch_capacity, 0, 4 * (size_t)n) < 0)            \
            return -1;                                                                          \
        char *out = self->scratch;                                                              \
        Py_ssize_t length = 0; /* of the token being read, in bytes */                          \
        for (Py_ssize_t i = 0; i < n; i++) {                                                    \
            Py_UCS4 c = s[i];                                                                   \
            if (is_folded_word(self->class_of, c)) {                                            \
                length = put_utf8(out, length, c);                                              \
            } else if (length) {                                                                \
                if (add_token(self, length, hash_bytes(out, length), times) < 0)                \
                    return -1;                                                                  \
                length = 0;                                                                     \
            }                                                                                   \
        }                                                                                       \
        return length ? add_token(self, length, hash_bytes(out, length), times) : 0;           \
    }

/* Whether `_fold(s)` is only s with its ASCII letters lowered (and URLs blanked), so that s can
 * be counted raw: no escape sequence (ESC; the C1 introducers are not inert) and every
 * non-ASCII character inert. */
#define DEFINE_FOLDS_AS_ASCII(NAME, CHAR)                                                       \
    static int NAME(const unsigned char *class_of, const CHAR *s, Py_ssize_t n) {               \
        for (Py_ssize_t i = 0; i < n; i++) {                                                    \
            Py_UCS4 c = s[i];                                                                   \
            if (c < 0x80 ? c == 0x1b : c >= CLASSES_SIZE || !(class_of[c] & CLASS_INERT))      \
                return 0;                                                                       \
        }                                                                                       \
        return 1;                                                                               \
    }

DEFINE_URL_END(url_end_1, Py_UCS1)
DEFINE_URL_END(url_end_2, Py_UCS2)
DEFINE_URL_END(url_end_4, Py_UCS4)
DEFINE_COUNT_RAW(count_raw_1, Py_UCS1, url_end_1)
DEFINE_COUNT_RAW(count_raw_2, Py_UCS2, url_end_2)
DEFINE_COUNT_RAW(count_raw_4, Py_UCS4, url_end_4)
DEFINE_COUNT_FOLDED(count_folded_1, Py_UCS1)
DEFINE_COUNT_FOLDED(count_folded_2, Py_UCS2)
DEFINE_COUNT_FOLDED(count_folded_4, Py_UCS4)
DEFINE_FOLDS_AS_ASCII(folds_as_ascii_1, Py_UCS1)
DEFINE_FOLDS_AS_ASCII(folds_as_ascii_2, Py_UCS2)
DEFINE_FOLDS_AS_ASCII(folds_as_ascii_4, Py_UCS4)

/* Counts the tokens of `text` if it can be counted raw: 1; 0 if it needs folding first (nothing
 * counted); -1 with an error set. */
static int count_raw(Tally *self, PyObject *text) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const void *data = PyUnicode_DATA(text);
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND: /* Latin-1: ASCII, or with letters such as é that are not inert */
        if (!PyUnicode_IS_ASCII(text) ? !folds_as_ascii_1(self->class_of, data, n)
                                      : memchr(data, 0x1b, (size_t)n) != NULL)
            return 0;
        return count_raw_1(self, data, n) < 0 ? -1 : 1;
    case PyUnicode_2BYTE_KIND:
        if (!folds_as_ascii_2(self->class_of, data, n))
            return 0;
        return count_raw_2(self, data, n) < 0 ? -1 : 1;
    default:
        if (!folds_as_ascii_4(self->class_of, data, n))
            return 0;
        return count_raw_4(self, data, n) < 0 ? -1 : 1;
    }
}

static int count_folded(Tally *self, PyObject *folded, Py_ssize_t times) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(folded);
    const void *data = PyUnicode_DATA(folded);
    switch (PyUnicode_KIND(folded)) {
    case PyUnicode_1BYTE_KIND:
        return count_folded_1(self, data, n, times);
    case PyUnicode_2BYTE_KIND:
        return count_folded_2(self, data, n, times);
    default:
        return count_folded_4(self, data, n, times);
    }
}

static int ready(PyObject *text) {
#if PY_VERSION_HEX < 0x030C0000
    return PyUnicode_READY(text);
#else
    (void)text;
    return 0;
#endif
}

/* ---- the Tally type ---------------------------------------------------------------------- */

static PyObject *tally_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"classes", NULL};
    PyObject *classes;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!:Tally", names, &PyBytes_Type, &classes))
        return NULL;
    if (PyBytes_GET_SIZE(classes) != CLASSES_SIZE) {
        PyErr_Format(PyExc_ValueError, "classes must be %d bytes", CLASSES_SIZE);
        return NULL;
    }
    Tally *self = (Tally *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->entries = PyMem_Calloc(INITIAL_CAPACITY, sizeof(Entry));
    if (self->entries == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->capacity = INITIAL_CAPACITY;
    Py_INCREF(classes);
    self->classes = classes;
    self->class_of = (const unsigned char *)PyBytes_AS_STRING(classes);
    return (PyObject *)self;
}

static void tally_dealloc(Tally *self) {
    PyMem_Free(self->entries);
    PyMem_Free(self->keys);
    PyMem_Free(self->scratch);
    Py_XDECREF(self->classes);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *tally_add_texts(Tally *self, PyObject *texts) {
    if (!PyList_Check(texts)) {
        PyErr_SetString(PyExc_TypeError, "add_texts() takes a list of str");
        return NULL;
    }
    PyObject *hard = PyList_New(0);
    if (hard == NULL)
        return NULL;
    /* the list is only read, and nothing here runs Python code that could change it; its
     * length is read again each time all the same */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(texts); i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "texts must be str, not %.100s", Py_TYPE(text)->tp_name);
            goto error;
        }
        if (ready(text) < 0)
            goto error;
        int counted = count_raw(self, text);
        if (counted < 0 || (counted == 0 && PyList_Append(hard, text) < 0))
            goto error;
    }
    return hard;
error:
    Py_DECREF(hard);
    return NULL;
}

static PyObject *tally_add_folded(Tally *self, PyObject *args) {
    PyObject *folded;
    Py_ssize_t times = 1;
    if (!PyArg_ParseTuple(args, "U|n:add_folded", &folded, &times))
        return NULL;
    if (times < 1) {
        PyErr_SetString(PyExc_ValueError, "times must be at least 1");
        return NULL;
    }
    if (ready(folded) < 0 || count_folded(self, folded, times) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* The str of a token's UTF-8 bytes (valid UTF-8: made by put_utf8). */
static PyObject *token_str(const char *bytes, Py_ssize_t length) {
    for (Py_ssize_t i = 0; i < length; i++) {
        if ((unsigned char)bytes[i] >= 0x80)
            return PyUnicode_DecodeUTF8(bytes, length, "strict");
    }
    PyObject *token = PyUnicode_New(length, 127);
    if (token != NULL)
        memcpy(PyUnicode_DATA(token), bytes, (size_t)length);
    return token;
}

/* text.py `TopicMatcher.keyword_counts`: a token is dropped when it is in `drop`, shorter than
 * two characters, or `isdecimal()` (every character Py_UNICODE_ISDECIMAL, as str.isdecimal). */
static int is_short_or_decimal(PyObject *token) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(token);
    if (n < 2)
        return 1;
    int kind = PyUnicode_KIND(token);
    const void *data = PyUnicode_DATA(token);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, i)))
            return 0;
    }
    return 1;
}

static PyObject *tally_store(Tally *self, PyObject *args) {
    PyObject *counts, *drop = Py_None;
    if (!PyArg_ParseTuple(args, "O!|O:store", &PyDict_Type, &counts, &drop))
        return NULL;
    if (drop != Py_None && !PyAnySet_Check(drop)) {
        PyErr_SetString(PyExc_TypeError, "drop must be a set, a frozenset or None");
        return NULL;
    }
    /* the set and dict lookups below can run Python code (a key's __eq__): nothing read from
     * the table is kept across them but this copy of the entry */
    for (size_t i = 0; i < self->capacity; i++) {
        const Entry entry = self->entries[i];
        if (entry.length == 0)
            continue;
        PyObject *token = token_str(self->keys + entry.offset, entry.length);
        if (token == NULL)
            return NULL;
        if (drop != Py_None) {
            int dropped = is_short_or_decimal(token) ? 1 : PySet_Contains(drop, token);
            if (dropped != 0) {
                Py_DECREF(token);
                if (dropped < 0)
                    return NULL;
                continue;
            }
        }
        PyObject *count = PyLong_FromSsize_t(entry.count);
        if (count == NULL || PyDict_SetItem(counts, token, count) < 0) {
            Py_XDECREF(count);
            Py_DECREF(token);
            return NULL;
        }
        Py_DECREF(count);
        Py_DECREF(token);
    }
    Py_RETURN_NONE;
}

static PyMethodDef tally_methods[] = {
    {"add_texts", (PyCFunction)tally_add_texts, METH_O,
     "add_texts(texts: list[str]) -> list[str]\n\n"
     "Count the tokens of the texts whose folding is ASCII lowering alone (ASCII and inert\n"
     "characters, no ESC); return the others, in order, for Python to fold."},
    {"add_folded", (PyCFunction)tally_add_folded, METH_VARARGS,
     "add_folded(folded: str, times: int = 1) -> None\n\n"
     "Count the tokens of text already folded by text.py's `_fold`, `times` each."},
    {"store", (PyCFunction)tally_store, METH_VARARGS,
     "store(counts: dict[str, int], drop: set[str] | frozenset[str] | None = None) -> None\n\n"
     "counts[token] = count for every token counted (an existing entry is replaced); with\n"
     "`drop`, not for tokens in it, shorter than 2 characters or decimal (keyword_counts)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TallyType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tweetwatch.native._tokencount.Tally",
    .tp_basicsize = sizeof(Tally),
    .tp_dealloc = (destructor)tally_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Tally(classes: bytes): token counts of texts (see the module doc of _tokencount.c).",
    .tp_methods = tally_methods,
    .tp_new = tally_new,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_tokencount",
    .m_doc = "Token counting of tweetwatch.pipeline.text in C (see _tokencount.c).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__tokencount(void) {
    for (int c = 0; c < 0x80; c++)
        raw_word[c] = (char)(IS_RAW_ASCII_WORD(c) ? ASCII_LOWER(c) : 0);
    if (PyType_Ready(&TallyType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&TallyType);
    if (PyModule_AddObject(m, "Tally", (PyObject *)&TallyType) < 0 ||
        PyModule_AddIntConstant(m, "CLASSES_SIZE", CLASSES_SIZE) < 0 ||
        PyModule_AddIntConstant(m, "CLASS_WORD", CLASS_WORD) < 0 ||
        PyModule_AddIntConstant(m, "CLASS_INERT", CLASS_INERT) < 0) {
        Py_DECREF(&TallyType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
