// Parameter structs (nicsim/kern/param.h) to and from Python, generically: any struct whose
// fields are Param<T> listed by visit() is set from a dict or keyword arguments, listed with
// name, default, unit, range and help, and bound as a class with one property per field.
#pragma once

#include <pybind11/pybind11.h>

#include <deque>
#include <limits>
#include <string>
#include <type_traits>

#include "nicsim/kern/param.h"

namespace nicsim::python {

namespace py = pybind11;

// A parameter's value as Python sees it: int, bool, float or str for those types, the text
// form with its unit ("500ns", "7.9GB/s", "0.01") for the others.
template <class T>
py::object param_value(const kern::Param<T>& p) {
  if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string>)
    return py::cast(p.value);
  else
    return py::str(p.str());
}

// "0..65535 256ns"; the type's limits for an unbounded integer parameter.
template <class T>
std::string param_range(const kern::Param<T>& p) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (!p.bounded())
      return std::to_string(std::numeric_limits<T>::min()) + ".." + std::to_string(std::numeric_limits<T>::max()) +
             " " + p.unit;
  }
  return p.range_str();
}

// Sets one parameter from a Python value. An integer parameter takes an int (checked against
// its range as a Python int, so -5 or 2**70 is a ValueError naming it, not a TypeError from
// the conversion) or its text form; the others take their text form or a number/bool that is
// turned into text. Every refusal is a ValueError naming the parameter.
template <class T>
void set_param_from(kern::Param<T>& p, const py::handle& v) {
  const std::string name = p.name;
  try {
    if constexpr (std::is_same_v<T, bool>) {
      if (py::isinstance<py::bool_>(v)) {
        p = v.cast<bool>();
        return;
      }
      if (py::isinstance<py::int_>(v)) {
        p.parse(py::str(v).cast<std::string>());
        return;
      }
    } else if constexpr (std::is_integral_v<T>) {
      if (py::isinstance<py::int_>(v) && !py::isinstance<py::bool_>(v)) {
        const T lo = p.bounded() ? *p.lo() : std::numeric_limits<T>::min();
        const T hi = p.bounded() ? *p.hi() : std::numeric_limits<T>::max();
        const py::int_ x = py::reinterpret_borrow<py::int_>(v);
        if (x < py::int_(lo) || x > py::int_(hi))
          throw py::value_error("parameter '" + name + "' = " + py::str(v).cast<std::string>() +
                                " is out of range " + param_range(p));
        p = x.cast<T>();
        return;
      }
    } else {
      if (py::isinstance<py::bool_>(v) || py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v)) {
        p.parse(py::str(v).cast<std::string>());
        return;
      }
    }
    if (py::isinstance<py::str>(v)) {
      p.parse(v.cast<std::string>());
      return;
    }
  } catch (const kern::ParamError& e) {
    const std::string what = e.what();
    // A message of the scheme names the parameter already; a parse error does not.
    throw py::value_error(what.find("parameter '") == 0 ? what : "parameter '" + name + "': " + what);
  }
  // A ValueError (not TypeError): the value is what is wrong, as for an out-of-range one.
  throw py::value_error("parameter '" + name + "' (" + p.unit + ") takes " +
                        (std::is_integral_v<T> ? "an int or text" : "text or a number") + ", not " +
                        std::string(py::str(py::type::of(v).attr("__name__"))) + " " +
                        std::string(py::repr(v)));
}

// Sets params[name] = value; KeyError for an unknown name, listing the valid ones.
template <class P>
void set_param_by_name(P& params, const std::string& name, const py::handle& v, const char* what) {
  if (!kern::has_param(params, name))
    throw py::key_error(std::string("unknown ") + what + " '" + name + "' (valid: " + kern::param_names(params) +
                        ")");
  params.visit([&](auto& p) {
    if (name == p.name) set_param_from(p, v);
  });
}

template <class P>
void set_params(P& params, const py::dict& d, const char* what) {
  for (auto [k, v] : d) set_param_by_name(params, py::cast<std::string>(k), v, what);
}

// The fields of a parameter struct: name, default (its current value), unit, range, help.
template <class P>
py::list describe_list(P params) {
  py::list out;
  params.visit([&](auto& p) {
    out.append(py::dict(py::arg("name") = p.name, py::arg("default") = param_value(p), py::arg("unit") = p.unit,
                        py::arg("range") = param_range(p), py::arg("help") = p.help));
  });
  return out;
}

// The values of a parameter struct by name.
template <class P>
py::dict param_dict(P params) {
  py::dict d;
  params.visit([&](auto& p) { d[py::str(p.name)] = param_value(p); });
  return d;
}

// Binds a parameter struct as a class: keyword-only constructor (unknown names are a
// TypeError listing the valid ones), one read/write property per field (documented with
// its unit, range and help), fields(), as_dict() and a repr.
template <class P>
py::class_<P> bind_param_struct(py::handle scope, const char* name, const char* doc) {
  py::class_<P> c(scope, name, doc);
  c.def(py::init([name](const py::kwargs& kw) {
          P p;
          for (auto [k, v] : kw) {
            const std::string field = py::cast<std::string>(k);
            if (!kern::has_param(p, field))
              throw py::type_error(std::string(name) + "() got an unexpected keyword argument '" + field +
                                   "' (valid: " + kern::param_names(p) + ")");
            set_param_by_name(p, field, v, "parameter");
          }
          return p;
        }),
        "Keyword arguments by field name; the others keep their defaults.");
  P defaults;
  defaults.visit([&](auto& f) {
    const char* field = f.name;
    static std::deque<std::string> docs;  // property docs must outlive the module
    docs.push_back(std::string(f.help) + " [" + f.unit + (param_range(f).empty() ? "" : "; " + param_range(f)) +
                   "]");
    const char* doc = docs.back().c_str();
    c.def_property(
        field,
        [field](P& p) {
          py::object r;
          p.visit([&](auto& x) {
            if (std::string(field) == x.name) r = param_value(x);
          });
          return r;
        },
        [field](P& p, const py::handle& v) { set_param_by_name(p, field, v, "parameter"); }, doc);
  });
  c.def_static("fields", [] { return describe_list(P{}); }, "Every field: name, default, unit, range, help.");
  c.def("as_dict", [](const P& p) { return param_dict(p); }, "The fields by name.");
  c.def("__repr__", [name](const P& p) {
    std::string s = std::string(name) + "(";
    bool first = true;
    P copy = p;
    copy.visit([&](auto& x) {
      s += (first ? "" : ", ") + std::string(x.name) + "=" + py::repr(param_value(x)).template cast<std::string>();
      first = false;
    });
    return s + ")";
  });
  c.def(py::pickle([](const P& p) { return param_dict(p); },
                   [](const py::dict& d) {
                     P p;
                     set_params(p, d, "parameter");
                     return p;
                   }));
  return c;
}

}  // namespace nicsim::python
