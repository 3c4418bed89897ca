//! The signed forms' CSV export (RFC 4180, CRLF): Form-48 one row per station; Forms 47 and 49
//! one row per candidate, total, counted and awaited station, `section` first. It reads the
//! signed content only and never compiles anything.

use serde_json::Value;

use super::compile::ResultForm;

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn csv_line(cells: &[String]) -> String {
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A signed form's content as CSV (RFC 4180): Form-48 one row per station; Forms 47 and 49 one
/// row per candidate, total, counted and awaited station (`section` first).
pub fn to_csv(form: ResultForm, content: &Value) -> String {
    let mut out = String::new();
    let candidates = content["candidates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    match form {
        ResultForm::Form48 => {
            let mut head = vec!["station".to_owned(), "name".to_owned()];
            head.extend(
                candidates
                    .iter()
                    .map(|c| format!("candidate_{}", text(&c["ballot_no"]))),
            );
            head.extend(
                [
                    "total_valid",
                    "rejected",
                    "total_polled",
                    "manifest_hash",
                    "confirmation",
                ]
                .map(str::to_owned),
            );
            out.push_str(&csv_line(&head));
            for s in content["stations"].as_array().into_iter().flatten() {
                let mut row = vec![text(&s["station"]), text(&s["name"])];
                row.extend(s["votes"].as_array().into_iter().flatten().map(text));
                for k in [
                    "total_valid",
                    "rejected",
                    "total_polled",
                    "manifest_hash",
                    "confirmation",
                ] {
                    row.push(text(&s[k]));
                }
                out.push_str(&csv_line(&row));
            }
        }
        ResultForm::Form47 | ResultForm::Form49 => {
            out.push_str(&csv_line(
                &["section", "key", "name", "party", "value", "source"].map(str::to_owned),
            ));
            for c in &candidates {
                out.push_str(&csv_line(&[
                    "candidate".into(),
                    text(&c["ballot_no"]),
                    text(&c["name"]),
                    text(&c["party"]),
                    text(&c["votes"]),
                    String::new(),
                ]));
            }
            for k in ["total_valid", "rejected", "total_polled"] {
                if !content[k].is_null() {
                    out.push_str(&csv_line(&[
                        "total".into(),
                        k.into(),
                        String::new(),
                        String::new(),
                        text(&content[k]),
                        String::new(),
                    ]));
                }
            }
            for s in content["stations_counted"].as_array().into_iter().flatten() {
                out.push_str(&csv_line(&[
                    "counted".into(),
                    text(&s["station"]),
                    String::new(),
                    String::new(),
                    text(&s["confirmation"]),
                    text(&s["manifest_hash"]),
                ]));
            }
        }
    }
    for s in content["stations_awaited"].as_array().into_iter().flatten() {
        let cells = [
            "awaited".into(),
            text(&s["station"]),
            text(&s["name"]),
            String::new(),
            text(&s["reason"]),
            text(&s["detail"]),
        ];
        if form == ResultForm::Form48 {
            out.push_str(&csv_line(&[
                format!("awaited:{}", cells[1]),
                cells[2].clone(),
                cells[4].clone(),
                cells[5].clone(),
            ]));
        } else {
            out.push_str(&csv_line(&cells));
        }
    }
    out
}
