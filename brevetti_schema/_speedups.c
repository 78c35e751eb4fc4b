/* Optional accelerator for the compiled fast path (brevetti_schema._fastpath).
 *
 * Two callable types, both made once per schema level by the fast-path compiler:
 *
 * Scanner(sections, fields, decode)(mapping) -> tuple | None
 *     Reads one level of a settings tree: the mapping must be an exact dict whose keys
 *     are the fields' and the sections'; each field's value (or its fallback when
 *     missing; JSON text decoded for fields the form sends as JSON) is checked against
 *     the field's constraints. The tuple holds the values in field order. None
 *     means "not sure": the pure-Python fast path then takes the document, so this code
 *     only has to be right about what it accepts, never about why it declines.
 *
 * Filler(cls, descriptors, codes)(*values) -> cls instance
 *     Makes an instance without running __init__ and stores each value straight into
 *     its slot (after an optional conversion to float or tuple), for attrs classes whose
 *     __init__ does nothing more than that.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>

enum {
    CHECK_ANY = 0,    /* no check here: the Python code checks the value */
    CHECK_INT = 1,    /* exact int, bounds, multiple */
    CHECK_NUMBER = 2, /* exact int or finite float, bounds, multiple */
    CHECK_BOOL = 3,
    CHECK_TEXT = 4,   /* exact str, length bounds, predicate */
    CHECK_CHOICE = 5, /* exact type and member of a frozenset */
    CHECK_LIST = 6,   /* exact list, item count bounds, every item by the item check */
    CHECK_CLASS_MAPPING = 7, /* exact dict of str to str or to an exact list of str */
};

enum {
    CONVERT_KEEP = 0,
    CONVERT_FLOAT = 1,
    CONVERT_TUPLE = 2,
    CONVERT_FLOAT_TUPLE = 3,
    CONVERT_CLASS_MAPPING = 4, /* read-only mapping, its list values made tuples */
};

/* integers beyond 2**53 are not compared through doubles: the scanner declines them */
#define EXACT_LIMIT 9007199254740992LL

typedef struct {
    int code;
    int has_lo, has_hi, has_xlo, has_xhi;
    double lo, hi, xlo, xhi;
    int step_kind; /* 0 none, 1 integer remainder, 2 quotient within 1e-9 of a whole */
    long long istep;
    double fstep;
    Py_ssize_t min_len, max_len; /* -1: no bound */
    PyObject *choices;           /* frozenset, CHECK_CHOICE */
    PyObject *choice_type;       /* type, CHECK_CHOICE */
    PyObject *predicate;         /* callable whose result must be true, or NULL */
    int unique;                  /* CHECK_LIST: no item twice (items are str or int) */
} Check;

typedef struct {
    PyObject *key;
    PyObject *fallback; /* the value when the key is missing */
    PyObject *missing;  /* the "missing" sentinel: not checked */
    int refuse_none;
    int json_text; /* a str may be JSON text: decline it */
    Check check;
    Check item;
} FieldSpec;

/* -- checks ----------------------------------------------------------------------------- */

static void
clear_check(Check *c)
{
    Py_CLEAR(c->choices);
    Py_CLEAR(c->choice_type);
    Py_CLEAR(c->predicate);
}

static int
optional_double(PyObject *obj, int *has, double *out)
{
    if (obj == Py_None) {
        *has = 0;
        return 0;
    }
    *out = PyFloat_AsDouble(obj);
    if (*out == -1.0 && PyErr_Occurred())
        return -1;
    *has = 1;
    return 0;
}

static int
optional_size(PyObject *obj, Py_ssize_t *out)
{
    if (obj == Py_None) {
        *out = -1;
        return 0;
    }
    *out = PyLong_AsSsize_t(obj);
    return (*out == -1 && PyErr_Occurred()) ? -1 : 0;
}

/* (code, lo, hi, xlo, xhi, step, min_len, max_len, choices, choice_type, predicate, unique) */
static int
parse_check(PyObject *spec, Check *c)
{
    memset(c, 0, sizeof(*c));
    c->min_len = c->max_len = -1;
    if (spec == Py_None)
        return 0;
    PyObject *code, *lo, *hi, *xlo, *xhi, *step, *min_len, *max_len, *choices, *ctype, *pred;
    if (!PyArg_ParseTuple(spec, "O!OOOOOOOOOOp;a check is a 12-tuple", &PyLong_Type, &code, &lo,
                          &hi, &xlo, &xhi, &step, &min_len, &max_len, &choices, &ctype, &pred,
                          &c->unique))
        return -1;
    c->code = (int)PyLong_AsLong(code);
    if (c->code < CHECK_ANY || c->code > CHECK_CLASS_MAPPING) {
        PyErr_SetString(PyExc_ValueError, "unknown check code");
        return -1;
    }
    if (optional_double(lo, &c->has_lo, &c->lo) < 0 || optional_double(hi, &c->has_hi, &c->hi) < 0 ||
        optional_double(xlo, &c->has_xlo, &c->xlo) < 0 ||
        optional_double(xhi, &c->has_xhi, &c->xhi) < 0 || optional_size(min_len, &c->min_len) < 0 ||
        optional_size(max_len, &c->max_len) < 0)
        return -1;
    if (PyLong_CheckExact(step)) {
        c->step_kind = 1;
        c->istep = PyLong_AsLongLong(step);
        if (c->istep == -1 && PyErr_Occurred())
            return -1;
        if (c->istep <= 0) {
            PyErr_SetString(PyExc_ValueError, "an integer step must be positive");
            return -1;
        }
    }
    else if (step != Py_None) {
        c->step_kind = 2;
        c->fstep = PyFloat_AsDouble(step);
        if (c->fstep == -1.0 && PyErr_Occurred())
            return -1;
        if (!(c->fstep > 0.0) || !isfinite(c->fstep)) {
            PyErr_SetString(PyExc_ValueError, "a step must be positive and finite");
            return -1;
        }
    }
    if (c->code == CHECK_CHOICE && (!PyFrozenSet_CheckExact(choices) || !PyType_Check(ctype))) {
        PyErr_SetString(PyExc_TypeError, "a choice check needs a frozenset and a type");
        return -1;
    }
    if (choices != Py_None) {
        Py_INCREF(choices);
        c->choices = choices;
    }
    if (ctype != Py_None) {
        Py_INCREF(ctype);
        c->choice_type = ctype;
    }
    if (pred != Py_None) {
        if (!PyCallable_Check(pred)) {
            PyErr_SetString(PyExc_TypeError, "a predicate must be callable");
            return -1;
        }
        Py_INCREF(pred);
        c->predicate = pred;
    }
    return 0;
}

/* 1: good, 0: not sure (decline), -1: error set */
static int
check_bounds(const Check *c, double x)
{
    if (c->has_lo && !(x >= c->lo))
        return 0;
    if (c->has_hi && !(x <= c->hi))
        return 0;
    if (c->has_xlo && !(x > c->xlo))
        return 0;
    if (c->has_xhi && !(x < c->xhi))
        return 0;
    if (c->step_kind == 2) {
        double q = x / c->fstep;
        if (!isfinite(q) || !(fabs(q - nearbyint(q)) <= 1e-9))
            return 0;
    }
    return 1;
}

static int
check_int_value(const Check *c, PyObject *v)
{
    int overflow;
    long long n = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (n == -1 && PyErr_Occurred())
        return -1;
    if (overflow || n > EXACT_LIMIT || n < -EXACT_LIMIT)
        return 0;
    if (c->step_kind == 1 && n % c->istep != 0)
        return 0;
    return check_bounds(c, (double)n);
}

static int
run_predicate(const Check *c, PyObject *v)
{
    if (c->predicate == NULL)
        return 1;
    PyObject *r = PyObject_CallOneArg(c->predicate, v);
    if (r == NULL)
        return -1;
    int ok = (r != Py_None) && PyObject_IsTrue(r);
    Py_DECREF(r);
    return ok;
}

static int
check_value(const Check *c, const Check *item, PyObject *v)
{
    int ok;
    switch (c->code) {
    case CHECK_ANY:
        return 1;
    case CHECK_INT:
        if (!PyLong_CheckExact(v))
            return 0;
        ok = check_int_value(c, v);
        break;
    case CHECK_NUMBER:
        if (PyLong_CheckExact(v)) {
            ok = check_int_value(c, v);
        }
        else if (PyFloat_CheckExact(v)) {
            double x = PyFloat_AS_DOUBLE(v);
            if (!isfinite(x))
                return 0;
            if (c->step_kind == 1) {
                double q = x / (double)c->istep;
                if (!(fabs(q - nearbyint(q)) <= 1e-9))
                    return 0;
            }
            ok = check_bounds(c, x);
        }
        else {
            return 0;
        }
        break;
    case CHECK_BOOL:
        return PyBool_Check(v);
    case CHECK_TEXT: {
        if (!PyUnicode_CheckExact(v))
            return 0;
        Py_ssize_t n = PyUnicode_GET_LENGTH(v);
        if ((c->min_len >= 0 && n < c->min_len) || (c->max_len >= 0 && n > c->max_len))
            return 0;
        ok = 1;
        break;
    }
    case CHECK_CHOICE:
        if ((PyObject *)Py_TYPE(v) != c->choice_type)
            return 0;
        ok = PySet_Contains(c->choices, v);
        break;
    case CHECK_LIST: {
        if (!PyList_CheckExact(v))
            return 0;
        Py_ssize_t n = PyList_GET_SIZE(v);
        if ((c->min_len >= 0 && n < c->min_len) || (c->max_len >= 0 && n > c->max_len))
            return 0;
        ok = 1;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v) && ok == 1; i++) {
            PyObject *x = PyList_GET_ITEM(v, i);
            Py_INCREF(x); /* a predicate may run Python code */
            ok = check_value(item, NULL, x);
            Py_DECREF(x);
        }
        if (ok == 1 && c->unique && n > 1) {
            PyObject *seen = PySet_New(v);
            if (seen == NULL)
                return -1;
            ok = PySet_GET_SIZE(seen) == n;
            Py_DECREF(seen);
        }
        break;
    }
    case CHECK_CLASS_MAPPING: {
        if (!PyDict_CheckExact(v))
            return 0;
        PyObject *key, *value;
        Py_ssize_t pos = 0;
        while (PyDict_Next(v, &pos, &key, &value)) {
            if (!PyUnicode_CheckExact(key))
                return 0;
            if (PyUnicode_CheckExact(value))
                continue;
            if (!PyList_CheckExact(value))
                return 0;
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++) {
                if (!PyUnicode_CheckExact(PyList_GET_ITEM(value, i)))
                    return 0;
            }
        }
        ok = 1;
        break;
    }
    default:
        return 0;
    }
    if (ok == 1)
        ok = run_predicate(c, v);
    return ok;
}

/* -- Scanner ---------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *sections; /* tuple of the level's section keys */
    PyObject *decode;   /* json.loads, for the JSON text of json_text fields */
    Py_ssize_t n;
    FieldSpec *fields;
    vectorcallfunc vectorcall;
} Scanner;

static void
scanner_clear_fields(Scanner *self)
{
    if (self->fields == NULL)
        return;
    for (Py_ssize_t i = 0; i < self->n; i++) {
        FieldSpec *f = &self->fields[i];
        Py_CLEAR(f->key);
        Py_CLEAR(f->fallback);
        Py_CLEAR(f->missing);
        clear_check(&f->check);
        clear_check(&f->item);
    }
    PyMem_Free(self->fields);
    self->fields = NULL;
    self->n = 0;
}

static int
scanner_traverse(Scanner *self, visitproc visit, void *arg)
{
    Py_VISIT(self->sections);
    Py_VISIT(self->decode);
    for (Py_ssize_t i = 0; i < self->n && self->fields != NULL; i++) {
        FieldSpec *f = &self->fields[i];
        Py_VISIT(f->fallback);
        Py_VISIT(f->missing);
        Py_VISIT(f->check.choices);
        Py_VISIT(f->check.choice_type);
        Py_VISIT(f->check.predicate);
        Py_VISIT(f->item.choices);
        Py_VISIT(f->item.choice_type);
        Py_VISIT(f->item.predicate);
    }
    return 0;
}

static int
scanner_clear(Scanner *self)
{
    Py_CLEAR(self->sections);
    Py_CLEAR(self->decode);
    scanner_clear_fields(self);
    return 0;
}

static void
scanner_dealloc(Scanner *self)
{
    PyObject_GC_UnTrack(self);
    scanner_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
scanner_scan(Scanner *self, PyObject *data)
{
    if (!PyDict_CheckExact(data))
        Py_RETURN_NONE;
    /* every key is a field's or a section's when the lookups find as many as there are */
    Py_ssize_t found = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(self->sections); i++) {
        int has = PyDict_Contains(data, PyTuple_GET_ITEM(self->sections, i));
        if (has < 0)
            return NULL;
        found += has;
    }
    PyObject *out = PyTuple_New(self->n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < self->n; i++) {
        FieldSpec *f = &self->fields[i];
        PyObject *v = PyDict_GetItemWithError(data, f->key);
        if (v == NULL) {
            if (PyErr_Occurred())
                goto fail;
            v = f->fallback;
        }
        else {
            found++;
        }
        Py_INCREF(v);
        PyTuple_SET_ITEM(out, i, v);
        if (v == f->missing)
            continue;
        if (v == Py_None) {
            if (f->refuse_none)
                goto decline;
            continue;
        }
        if (f->json_text && PyUnicode_CheckExact(v)) {
            /* JSON text as the form sends it; "" is "not set" */
            PyObject *decoded;
            if (PyUnicode_GET_LENGTH(v) == 0) {
                decoded = Py_NewRef(f->missing);
            }
            else {
                decoded = PyObject_CallOneArg(self->decode, v);
                if (decoded == NULL) {
                    if (!PyErr_ExceptionMatches(PyExc_ValueError))
                        goto fail;
                    PyErr_Clear();
                    goto decline;
                }
            }
            PyTuple_SET_ITEM(out, i, decoded);
            Py_DECREF(v);
            v = decoded;
            if (v == f->missing)
                continue;
            if (v == Py_None) {
                if (f->refuse_none)
                    goto decline;
                continue;
            }
        }
        int ok = check_value(&f->check, &f->item, v);
        if (ok < 0)
            goto fail;
        if (!ok)
            goto decline;
    }
    if (found != PyDict_GET_SIZE(data))
        goto decline; /* a key that is neither */
    return out;
decline:
    Py_DECREF(out);
    Py_RETURN_NONE;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *
scanner_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0)) {
        PyErr_SetString(PyExc_TypeError, "a Scanner takes one mapping");
        return NULL;
    }
    return scanner_scan((Scanner *)callable, args[0]);
}

/* Scanner(sections: tuple of str, fields: tuple of
 *         (key, fallback, missing, refuse_none, json_text, check, item_check),
 *         decode: callable) */
static PyObject *
scanner_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *sections, *fields, *decode;
    if (kwds != NULL && PyDict_GET_SIZE(kwds) != 0) {
        PyErr_SetString(PyExc_TypeError, "Scanner takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!O!O:Scanner", &PyTuple_Type, &sections, &PyTuple_Type, &fields,
                          &decode))
        return NULL;
    if (!PyCallable_Check(decode)) {
        PyErr_SetString(PyExc_TypeError, "decode must be callable");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(sections); i++) {
        if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(sections, i))) {
            PyErr_SetString(PyExc_TypeError, "section keys are str");
            return NULL;
        }
    }
    Scanner *self = (Scanner *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->vectorcall = scanner_vectorcall;
    Py_INCREF(sections);
    self->sections = sections;
    Py_INCREF(decode);
    self->decode = decode;
    Py_ssize_t n = PyTuple_GET_SIZE(fields);
    self->fields = PyMem_Calloc(n ? n : 1, sizeof(FieldSpec));
    if (self->fields == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        FieldSpec *f = &self->fields[i];
        self->n = i + 1; /* so that clearing sees what is filled so far */
        PyObject *key, *fallback, *missing, *check, *item;
        int refuse_none, json_text;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(fields, i), "O!OOppOO;a field is a 7-tuple",
                              &PyUnicode_Type, &key, &fallback, &missing, &refuse_none, &json_text,
                              &check, &item))
            goto fail;
        Py_INCREF(key);
        f->key = key;
        Py_INCREF(fallback);
        f->fallback = fallback;
        Py_INCREF(missing);
        f->missing = missing;
        f->refuse_none = refuse_none;
        f->json_text = json_text;
        if (parse_check(check, &f->check) < 0 || parse_check(item, &f->item) < 0)
            goto fail;
        if (f->item.code == CHECK_LIST) {
            PyErr_SetString(PyExc_ValueError, "list items cannot be lists");
            goto fail;
        }
    }
    self->n = n;
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "brevetti_schema._speedups.Scanner",
    .tp_doc = PyDoc_STR("Reads and checks one level of a settings tree (None: not sure)."),
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = scanner_new,
    .tp_dealloc = (destructor)scanner_dealloc,
    .tp_traverse = (traverseproc)scanner_traverse,
    .tp_clear = (inquiry)scanner_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Scanner, vectorcall),
};

/* -- Filler ----------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyTypeObject *cls;
    Py_ssize_t n;
    Py_ssize_t *offsets;
    unsigned char *codes;
    PyObject **defaults; /* what a None value stands for, or NULL: None stays */
    vectorcallfunc vectorcall;
} Filler;

static int
filler_traverse(Filler *self, visitproc visit, void *arg)
{
    Py_VISIT(self->cls);
    for (Py_ssize_t i = 0; i < self->n && self->defaults != NULL; i++)
        Py_VISIT(self->defaults[i]);
    return 0;
}

static int
filler_clear(Filler *self)
{
    Py_CLEAR(self->cls);
    for (Py_ssize_t i = 0; i < self->n && self->defaults != NULL; i++)
        Py_CLEAR(self->defaults[i]);
    return 0;
}

static void
filler_dealloc(Filler *self)
{
    PyObject_GC_UnTrack(self);
    filler_clear(self);
    PyMem_Free(self->offsets);
    PyMem_Free(self->codes);
    PyMem_Free(self->defaults);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
to_float(PyObject *v)
{
    if (PyFloat_CheckExact(v) || v == Py_None) {
        Py_INCREF(v);
        return v;
    }
    return PyNumber_Float(v);
}

static PyObject *
class_mapping(PyObject *v)
{
    if (Py_IS_TYPE(v, &PyDictProxy_Type)) /* an attribute default: made already */
        return Py_NewRef(v);
    if (!PyDict_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "a class mapping is a dict");
        return NULL;
    }
    PyObject *copy = PyDict_New();
    if (copy == NULL)
        return NULL;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(v, &pos, &key, &value)) {
        PyObject *item = PyList_CheckExact(value) ? PyList_AsTuple(value) : Py_NewRef(value);
        if (item == NULL || PyDict_SetItem(copy, key, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(copy);
            return NULL;
        }
        Py_DECREF(item);
    }
    PyObject *proxy = PyDictProxy_New(copy);
    Py_DECREF(copy);
    return proxy;
}

static PyObject *
convert(unsigned char code, PyObject *v)
{
    if (v == Py_None || code == CONVERT_KEEP) {
        Py_INCREF(v);
        return v;
    }
    if (code == CONVERT_FLOAT)
        return to_float(v);
    if (code == CONVERT_TUPLE)
        return PySequence_Tuple(v);
    if (code == CONVERT_CLASS_MAPPING)
        return class_mapping(v);
    /* CONVERT_FLOAT_TUPLE */
    PyObject *seq = PySequence_Fast(v, "expected a sequence");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyTuple_New(n);
    if (out == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = to_float(PySequence_Fast_GET_ITEM(seq, i));
        if (x == NULL) {
            Py_DECREF(seq);
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, x);
    }
    Py_DECREF(seq);
    return out;
}

static PyObject *
filler_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Filler *self = (Filler *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != self->n || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0)) {
        PyErr_Format(PyExc_TypeError, "this Filler takes %zd positional values", self->n);
        return NULL;
    }
    PyObject *obj = self->cls->tp_alloc(self->cls, 0);
    if (obj == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyObject *given = args[i];
        if (given == Py_None && self->defaults[i] != NULL)
            given = self->defaults[i];
        PyObject *v = convert(self->codes[i], given);
        if (v == NULL) {
            Py_DECREF(obj);
            return NULL;
        }
        PyObject **slot = (PyObject **)((char *)obj + self->offsets[i]);
        Py_XSETREF(*slot, v);
    }
    return obj;
}

/* Filler(cls, descriptors: tuple of cls's member descriptors, codes: bytes,
 *        defaults: tuple, each what None stands for, or None) */
static PyObject *
filler_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *cls, *descriptors, *codes, *defaults;
    if (kwds != NULL && PyDict_GET_SIZE(kwds) != 0) {
        PyErr_SetString(PyExc_TypeError, "Filler takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!O!:Filler", &PyType_Type, &cls, &PyTuple_Type,
                          &descriptors, &PyBytes_Type, &codes, &PyTuple_Type, &defaults))
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(descriptors);
    if (PyBytes_GET_SIZE(codes) != n || PyTuple_GET_SIZE(defaults) != n) {
        PyErr_SetString(PyExc_ValueError, "one conversion code and default per descriptor");
        return NULL;
    }
    PyTypeObject *tp = (PyTypeObject *)cls;
    if (tp->tp_alloc == NULL || (tp->tp_flags & Py_TPFLAGS_IS_ABSTRACT)) {
        PyErr_SetString(PyExc_TypeError, "the class cannot be allocated directly");
        return NULL;
    }
    Filler *self = (Filler *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->vectorcall = filler_vectorcall;
    Py_INCREF(cls);
    self->cls = tp;
    self->n = n;
    self->offsets = PyMem_Calloc(n ? n : 1, sizeof(Py_ssize_t));
    self->codes = PyMem_Calloc(n ? n : 1, 1);
    self->defaults = PyMem_Calloc(n ? n : 1, sizeof(PyObject *));
    if (self->offsets == NULL || self->codes == NULL || self->defaults == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *d = PyTuple_GET_ITEM(descriptors, i);
        if (!Py_IS_TYPE(d, &PyMemberDescr_Type)) {
            PyErr_SetString(PyExc_TypeError, "expected member descriptors (slots)");
            goto fail;
        }
        PyMemberDescrObject *md = (PyMemberDescrObject *)d;
        if (md->d_member->type != T_OBJECT_EX || (md->d_member->flags & READONLY) ||
            !PyType_IsSubtype(tp, md->d_common.d_type)) {
            PyErr_SetString(PyExc_TypeError, "a descriptor is not a writable slot of the class");
            goto fail;
        }
        self->offsets[i] = md->d_member->offset;
        unsigned char code = (unsigned char)PyBytes_AS_STRING(codes)[i];
        if (code > CONVERT_CLASS_MAPPING) {
            PyErr_SetString(PyExc_ValueError, "unknown conversion code");
            goto fail;
        }
        self->codes[i] = code;
        PyObject *dflt = PyTuple_GET_ITEM(defaults, i);
        if (dflt != Py_None) {
            Py_INCREF(dflt);
            self->defaults[i] = dflt;
        }
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static PyTypeObject FillerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "brevetti_schema._speedups.Filler",
    .tp_doc = PyDoc_STR("Makes an instance of a slotted class and fills its slots."),
    .tp_basicsize = sizeof(Filler),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = filler_new,
    .tp_dealloc = (destructor)filler_dealloc,
    .tp_traverse = (traverseproc)filler_traverse,
    .tp_clear = (inquiry)filler_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Filler, vectorcall),
};

/* -- module ----------------------------------------------------------------------------- */

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "brevetti_schema._speedups",
    .m_doc = "Optional C accelerator for the compiled settings fast path.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&ScannerType) < 0 || PyType_Ready(&FillerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&speedups_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&FillerType);
    if (PyModule_AddObject(m, "Filler", (PyObject *)&FillerType) < 0) {
        Py_DECREF(&FillerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
