//! uniffi bindings of the tallyseal core (issue 4). Thin: everything real lives in tallyseal-core.
