/* Placeholder: filled in by the speedup's own work. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_v2scan", NULL, -1, NULL};

PyMODINIT_FUNC PyInit__v2scan(void) { return PyModule_Create(&module); }
