/* _minutecount: what the aggregator counts of one minute's tweets, in C.
 *
 * `minute_columns(members, member_topics, all_key)` returns exactly what
 * tweetwatch/pipeline/aggregate.py `minute_columns_python(members, member_topics)` returns (that
 * Python function is the specification; tests/test_native_minutes.py compares the two), in one
 * pass over the tweets instead of a dozen `map`/`Counter`/`sum` passes, each of which pays a
 * generic attribute fetch, iterator step and dict or number operation per tweet:
 *
 *   (langs, kinds, hashtags, mentions, ids, groups)
 *   langs     {lang: tweets}, in order of first occurrence (as `Counter(map(lang, members))`)
 *   kinds     (retweets, quotes, replies, with links): `sum` of the bool fields
 *   hashtags  {hashtag: tweets}: `Counter` of every tweet's `hashtags`, one after another
 *   mentions  the same of `mentions`
 *   ids       set of the ids
 *   groups    [(key, tweets, {second: tweets}, authors, texts)]: ALL first (texts None), then
 *             each topic in order of first mention in `member_topics` (zip order; a topic
 *             listed twice for a tweet counts it twice, as the Python lists do); seconds are
 *             `created_ms // 1000` (floor), authors the set of `author` without None and "",
 *             texts each tweet's `matching_text`.
 *
 * Whatever it does not reproduce exactly it leaves to Python: it returns None (no error) for
 * lists that are not exactly lists, topics that are not exactly tuples, a kind field that is
 * not a bool, a `created_ms` that is not exactly an int of 64 bits, `hashtags`/`mentions`
 * neither a tuple nor None. Errors raised by the tweets' attributes propagate, as in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

#define FALLBACK 1 /* a step's result: leave this minute to Python */

static PyObject *name_created_ms, *name_lang, *name_author, *name_id, *name_hashtags,
    *name_mentions, *name_matching_text, *name_kinds[4], *empty_str;

/* ---- counts of objects in order of first occurrence (a `Counter` built from a list) --------- */

typedef struct {
    PyObject *index_of; /* dict: key -> its index in keys */
    PyObject *keys;     /* list, in order of first occurrence */
    Py_ssize_t *counts; /* counts[i]: of keys[i] */
    Py_ssize_t capacity;
} Tally;

static int tally_init(Tally *tally) {
    tally->index_of = PyDict_New();
    tally->keys = PyList_New(0);
    return tally->index_of != NULL && tally->keys != NULL ? 0 : -1;
}

static void tally_clear(Tally *tally) {
    Py_CLEAR(tally->index_of);
    Py_CLEAR(tally->keys);
    PyMem_Free(tally->counts);
    tally->counts = NULL;
    tally->capacity = 0;
}

/* counts[key] += 1. The key's index, or -1 with an error set. */
static Py_ssize_t tally_add(Tally *tally, PyObject *key) {
    PyObject *found = PyDict_GetItemWithError(tally->index_of, key); /* borrowed */
    if (found != NULL) {
        Py_ssize_t index = PyLong_AsSsize_t(found);
        tally->counts[index]++;
        return index;
    }
    if (PyErr_Occurred())
        return -1;
    Py_ssize_t index = PyList_GET_SIZE(tally->keys);
    if (index == tally->capacity) {
        Py_ssize_t capacity = tally->capacity ? 2 * tally->capacity : 8;
        Py_ssize_t *counts = PyMem_Realloc(tally->counts, (size_t)capacity * sizeof(Py_ssize_t));
        if (counts == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        tally->counts = counts;
        tally->capacity = capacity;
    }
    PyObject *position = PyLong_FromSsize_t(index);
    if (position == NULL)
        return -1;
    int failed = PyDict_SetItem(tally->index_of, key, position) < 0 || PyList_Append(tally->keys, key) < 0;
    Py_DECREF(position);
    if (failed)
        return -1;
    tally->counts[index] = 1;
    return index;
}

/* {key: count}, in order of first occurrence; a new reference, or NULL with an error set. */
static PyObject *tally_dict(const Tally *tally) {
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(tally->keys); i++) {
        PyObject *count = PyLong_FromSsize_t(tally->counts[i]);
        if (count == NULL || PyDict_SetItem(out, PyList_GET_ITEM(tally->keys, i), count) < 0) {
            Py_XDECREF(count);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(count);
    }
    return out;
}

/* ---- a group: ALL or one topic -------------------------------------------------------------- */

typedef struct {
    PyObject *key;
    Py_ssize_t size;
    Tally seconds;
    long long last_second; /* the second counted last and its index in `seconds`, for the */
    Py_ssize_t last_index; /* usual run of tweets of the same second (-1: none yet) */
    PyObject *authors;     /* set */
    PyObject *texts;       /* list, NULL for ALL */
} Group;

static int group_init(Group *group, PyObject *key, int with_texts) {
    memset(group, 0, sizeof(*group));
    Py_INCREF(key);
    group->key = key;
    group->last_index = -1;
    if (tally_init(&group->seconds) < 0 || (group->authors = PySet_New(NULL)) == NULL)
        return -1;
    if (with_texts && (group->texts = PyList_New(0)) == NULL)
        return -1;
    return 0;
}

static void group_clear(Group *group) {
    Py_CLEAR(group->key);
    tally_clear(&group->seconds);
    Py_CLEAR(group->authors);
    Py_CLEAR(group->texts);
}

/* One more tweet in the group: of `second`, by `author`. 0, or -1 with an error set. */
static int group_add(Group *group, long long second, PyObject *author) {
    group->size++;
    if (group->last_index >= 0 && second == group->last_second) {
        group->seconds.counts[group->last_index]++;
    } else {
        PyObject *key = PyLong_FromLongLong(second);
        if (key == NULL)
            return -1;
        Py_ssize_t index = tally_add(&group->seconds, key);
        Py_DECREF(key);
        if (index < 0)
            return -1;
        group->last_second = second;
        group->last_index = index;
    }
    return PySet_Add(group->authors, author);
}

/* (key, tweets, {second: tweets}, authors, texts or None): a new reference, or NULL. */
static PyObject *group_columns(Group *group) {
    if (PySet_Discard(group->authors, Py_None) < 0 || PySet_Discard(group->authors, empty_str) < 0)
        return NULL;
    PyObject *seconds = tally_dict(&group->seconds);
    if (seconds == NULL)
        return NULL;
    return Py_BuildValue("(OnNOO)", group->key, group->size, seconds, group->authors,
                         group->texts != NULL ? group->texts : Py_None);
}

/* ---- one minute ----------------------------------------------------------------------------- */

typedef struct {
    Tally langs, hashtags, mentions;
    Py_ssize_t kinds[4];
    PyObject *ids;      /* set */
    PyObject *group_of; /* dict: topic -> index in groups */
    Group *groups;      /* groups[0]: ALL */
    Py_ssize_t n_groups, groups_capacity;
} Minute;

static void minute_clear(Minute *minute) {
    tally_clear(&minute->langs);
    tally_clear(&minute->hashtags);
    tally_clear(&minute->mentions);
    Py_CLEAR(minute->ids);
    Py_CLEAR(minute->group_of);
    for (Py_ssize_t i = 0; i < minute->n_groups; i++)
        group_clear(&minute->groups[i]);
    PyMem_Free(minute->groups);
    minute->groups = NULL;
    minute->n_groups = 0;
}

/* Appends a group; its index, or -1 with an error set. */
static Py_ssize_t minute_new_group(Minute *minute, PyObject *key, int with_texts) {
    if (minute->n_groups == minute->groups_capacity) {
        Py_ssize_t capacity = minute->groups_capacity ? 2 * minute->groups_capacity : 8;
        Group *groups = PyMem_Realloc(minute->groups, (size_t)capacity * sizeof(Group));
        if (groups == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        minute->groups = groups;
        minute->groups_capacity = capacity;
    }
    Py_ssize_t index = minute->n_groups++;
    return group_init(&minute->groups[index], key, with_texts) < 0 ? -1 : index;
}

/* The topic's group, made on its first mention; its index, or -1 with an error set. */
static Py_ssize_t minute_topic_group(Minute *minute, PyObject *topic) {
    PyObject *found = PyDict_GetItemWithError(minute->group_of, topic); /* borrowed */
    if (found != NULL)
        return PyLong_AsSsize_t(found);
    if (PyErr_Occurred())
        return -1;
    Py_ssize_t index = minute_new_group(minute, topic, 1);
    if (index < 0)
        return -1;
    PyObject *position = PyLong_FromSsize_t(index);
    if (position == NULL)
        return -1;
    int failed = PyDict_SetItem(minute->group_of, topic, position);
    Py_DECREF(position);
    return failed < 0 ? -1 : index;
}

/* Counts a tweet's hashtags or mentions (`if t.hashtags: for h in t.hashtags`). 0, FALLBACK for
 * anything but a tuple or None, -1 with an error set. */
static int add_names(Tally *tally, PyObject *tweet, PyObject *name) {
    PyObject *names = PyObject_GetAttr(tweet, name);
    if (names == NULL)
        return -1;
    int result = 0;
    if (PyTuple_CheckExact(names)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names) && result == 0; i++)
            result = tally_add(tally, PyTuple_GET_ITEM(names, i)) < 0 ? -1 : 0;
    } else if (names != Py_None) {
        result = FALLBACK;
    }
    Py_DECREF(names);
    return result;
}

/* `created_ms // 1000` of a tweet into *second. 0, FALLBACK (not an int of 64 bits), -1. */
static int second_of(PyObject *tweet, long long *second) {
    PyObject *created = PyObject_GetAttr(tweet, name_created_ms);
    if (created == NULL)
        return -1;
    int result = FALLBACK;
    if (PyLong_CheckExact(created)) {
        int overflow;
        long long ms = PyLong_AsLongLongAndOverflow(created, &overflow);
        if (ms == -1 && PyErr_Occurred()) {
            result = -1;
        } else if (!overflow) {
            *second = ms / 1000 - (ms % 1000 < 0); /* floor division, as Python's // */
            result = 0;
        }
    }
    Py_DECREF(created);
    return result;
}

/* Counts one tweet (its topics: `topics`, or NULL past the end of member_topics, as zip stops
 * there). 0, FALLBACK, or -1 with an error set. */
static int minute_add(Minute *minute, PyObject *tweet, PyObject *topics) {
    long long second;
    int result = second_of(tweet, &second);
    if (result != 0)
        return result;
    for (int k = 0; k < 4; k++) {
        PyObject *flag = PyObject_GetAttr(tweet, name_kinds[k]);
        if (flag == NULL)
            return -1;
        int is_true = flag == Py_True, is_bool = is_true || flag == Py_False;
        Py_DECREF(flag);
        if (!is_bool)
            return FALLBACK; /* `sum` would add it as a number */
        minute->kinds[k] += is_true;
    }
    if (topics != NULL && !PyTuple_CheckExact(topics))
        return FALLBACK;
    if ((result = add_names(&minute->hashtags, tweet, name_hashtags)) != 0 ||
        (result = add_names(&minute->mentions, tweet, name_mentions)) != 0)
        return result;
    PyObject *lang = PyObject_GetAttr(tweet, name_lang);
    if (lang == NULL)
        return -1;
    Py_ssize_t counted = tally_add(&minute->langs, lang);
    Py_DECREF(lang);
    if (counted < 0)
        return -1;
    PyObject *id = PyObject_GetAttr(tweet, name_id);
    if (id == NULL)
        return -1;
    result = PySet_Add(minute->ids, id);
    Py_DECREF(id);
    if (result < 0)
        return -1;
    PyObject *author = PyObject_GetAttr(tweet, name_author);
    if (author == NULL)
        return -1;
    PyObject *text = NULL; /* matching_text, fetched for the first topic */
    result = group_add(&minute->groups[0], second, author);
    for (Py_ssize_t i = 0; result == 0 && topics != NULL && i < PyTuple_GET_SIZE(topics); i++) {
        Py_ssize_t index = minute_topic_group(minute, PyTuple_GET_ITEM(topics, i));
        if (index < 0 || (text == NULL && (text = PyObject_GetAttr(tweet, name_matching_text)) == NULL)) {
            result = -1;
            break;
        }
        Group *group = &minute->groups[index];
        result = group_add(group, second, author) < 0 || PyList_Append(group->texts, text) < 0 ? -1 : 0;
    }
    Py_XDECREF(text);
    Py_DECREF(author);
    return result;
}

/* The result tuple of the counted minute: a new reference, or NULL with an error set. */
static PyObject *minute_columns_of(Minute *minute) {
    PyObject *groups = PyList_New(minute->n_groups);
    if (groups == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < minute->n_groups; i++) {
        PyObject *columns = group_columns(&minute->groups[i]);
        if (columns == NULL) {
            Py_DECREF(groups);
            return NULL;
        }
        PyList_SET_ITEM(groups, i, columns);
    }
    return Py_BuildValue("(N(nnnn)NNON)", tally_dict(&minute->langs), minute->kinds[0], minute->kinds[1],
                         minute->kinds[2], minute->kinds[3], tally_dict(&minute->hashtags),
                         tally_dict(&minute->mentions), minute->ids, groups);
}

static PyObject *minute_columns(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "minute_columns(members, member_topics, all_key) takes 3 arguments");
        return NULL;
    }
    PyObject *members = args[0], *member_topics = args[1], *all_key = args[2];
    if (!PyList_CheckExact(members) || !PyList_CheckExact(member_topics))
        Py_RETURN_NONE;
    Minute minute;
    memset(&minute, 0, sizeof(minute));
    PyObject *out = NULL;
    int result = -1;
    if (tally_init(&minute.langs) < 0 || tally_init(&minute.hashtags) < 0 || tally_init(&minute.mentions) < 0 ||
        (minute.ids = PySet_New(NULL)) == NULL || (minute.group_of = PyDict_New()) == NULL ||
        minute_new_group(&minute, all_key, 0) < 0)
        goto done;
    /* the sizes are read again each time: a tweet's attribute (matching_text is a Python
     * property) could change the lists, and then nothing must be read past their ends */
    result = 0;
    for (Py_ssize_t i = 0; result == 0 && i < PyList_GET_SIZE(members); i++) {
        PyObject *tweet = PyList_GET_ITEM(members, i);
        PyObject *topics = i < PyList_GET_SIZE(member_topics) ? PyList_GET_ITEM(member_topics, i) : NULL;
        Py_INCREF(tweet);
        Py_XINCREF(topics);
        result = minute_add(&minute, tweet, topics);
        Py_XDECREF(topics);
        Py_DECREF(tweet);
    }
    if (result == 0)
        out = minute_columns_of(&minute);
done:
    minute_clear(&minute);
    if (result == FALLBACK)
        Py_RETURN_NONE;
    return out;
}

static PyMethodDef methods[] = {
    {"minute_columns", (PyCFunction)(void (*)(void))minute_columns, METH_FASTCALL,
     "minute_columns(members: list[Tweet], member_topics: list[tuple[str, ...]], all_key: str)\n"
     "-> MinuteColumns | None\n\n"
     "aggregate.py's minute_columns_python(members, member_topics), or None for input it leaves\n"
     "to Python (see _minutecount.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_minutecount",
    .m_doc = "The columns of one minute's tweets for tweetwatch.pipeline.aggregate, in C (see _minutecount.c).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__minutecount(void) {
    static const char *kinds[4] = {"is_retweet", "is_quote", "is_reply", "has_link"}; /* KINDS' order */
    for (int k = 0; k < 4; k++) {
        if ((name_kinds[k] = PyUnicode_InternFromString(kinds[k])) == NULL)
            return NULL;
    }
    if ((name_created_ms = PyUnicode_InternFromString("created_ms")) == NULL ||
        (name_lang = PyUnicode_InternFromString("lang")) == NULL ||
        (name_author = PyUnicode_InternFromString("author")) == NULL ||
        (name_id = PyUnicode_InternFromString("id")) == NULL ||
        (name_hashtags = PyUnicode_InternFromString("hashtags")) == NULL ||
        (name_mentions = PyUnicode_InternFromString("mentions")) == NULL ||
        (name_matching_text = PyUnicode_InternFromString("matching_text")) == NULL ||
        (empty_str = PyUnicode_FromStringAndSize("", 0)) == NULL)
        return NULL;
    return PyModule_Create(&module);
}
