/* Placeholder: filled in by the speedup's own work. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tokencount", NULL, -1, NULL};

PyMODINIT_FUNC PyInit__tokencount(void) { return PyModule_Create(&module); }
