//! Python values → the JSON-like `serde_json::Value` the core's `Config::from_value` reads, and
//! JSON values back to Python (a token's `extra`). Anything else in a configuration is a
//! `ConfigError` naming the key, like every other bad value.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Why a value could not be converted: a Python type JSON has no form for.
pub(crate) struct Unsupported(pub String);

/// One configuration value (and whatever it holds) as JSON.
pub(crate) fn to_value(obj: &Bound<'_, PyAny>) -> Result<Value, Unsupported> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // `bool` before `int`: in Python, True is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(Unsupported("an integer too large".into()));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| Unsupported("a NaN or infinite float".into()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|_| Unsupported("a str that is not valid UTF-8".into()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let Ok(k) = k.extract::<String>() else {
                return Err(Unsupported("a dict with keys that are not str".into()));
            };
            map.insert(k, to_value(&v)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in obj.try_iter().map_err(|_| Unsupported("a list".into()))? {
            let item = item.map_err(|_| Unsupported("a list".into()))?;
            items.push(to_value(&item)?);
        }
        return Ok(Value::Array(items));
    }
    // pathlib.Path and other os.PathLike values: `ca_file`, `{"file": Path(...)}`.
    if let Ok(path) = obj.call_method0("__fspath__") {
        if let Ok(s) = path.extract::<String>() {
            return Ok(Value::String(s));
        }
    }
    let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
    Err(Unsupported(format!("a {type_name}")))
}

/// A JSON value as the matching Python object (dict, list, str, int, float, bool, None).
pub(crate) fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => dict_to_py(py, map)?.into_any(),
    })
}

pub(crate) fn dict_to_py<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, to_py(py, v)?)?;
    }
    Ok(dict)
}
