//! Integration tests of tallyseal-import (one test binary, one module per concern).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod import_2024;
mod results_form_rules;
