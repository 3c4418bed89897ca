//! A small RFC 4180 CSV reader, shared by the station results and the coordinates files.
//!
//! Works on bytes the caller has read; it must never touch the file system nor panic on input.

/// One CSV record and the (1-based) line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRecord {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Why a CSV file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is not valid UTF-8")]
    NotUtf8,
    #[error("line {line}: a quoted field is not closed before the end of the file")]
    UnterminatedQuote { line: usize },
}

/// Read RFC 4180 CSV: comma-separated fields, optional double quotes around a field (which may
/// then contain commas, newlines and doubled quotes `""`), LF or CRLF line ends, an optional UTF-8
/// byte-order mark. Blank lines are skipped. Text after a closing quote is kept, as most readers
/// do. Never panics; runs in time linear in the input.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<CsvRecord>, CsvError> {
    let text = std::str::from_utf8(bytes).map_err(|_| CsvError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1usize;
    let mut record_line = 1usize;
    let mut in_quotes = false;
    let mut quote_line = 0usize;
    let mut field_started = false; // anything seen in the current record
    let mut chars = text.chars().peekable();

    fn end_record(
        records: &mut Vec<CsvRecord>,
        fields: &mut Vec<String>,
        field: &mut String,
        line: usize,
        started: bool,
    ) {
        fields.push(std::mem::take(field));
        let f = std::mem::take(fields);
        if started {
            records.push(CsvRecord { line, fields: f });
        }
    }

    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                in_quotes = true;
                quote_line = line;
                field_started = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                field_started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                end_record(
                    &mut records,
                    &mut fields,
                    &mut field,
                    record_line,
                    field_started,
                );
                field_started = false;
                line += 1;
                record_line = line;
            }
            _ => {
                field.push(c);
                field_started = true;
            }
        }
    }
    if in_quotes {
        return Err(CsvError::UnterminatedQuote { line: quote_line });
    }
    if field_started || !fields.is_empty() {
        end_record(&mut records, &mut fields, &mut field, record_line, true);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_newlines_and_crlf() {
        let r = parse_csv(b"a,b\r\n\"x, \"\"y\"\"\",\"multi\nline\"\n\n1,\n").unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[1].fields,
            vec!["x, \"y\"".to_string(), "multi\nline".to_string()]
        );
        assert_eq!(r[1].line, 2);
        assert_eq!(r[2].line, 5);
        assert_eq!(r[2].fields, vec!["1".to_string(), String::new()]);
        assert!(matches!(
            parse_csv(b"a,\"b\n"),
            Err(CsvError::UnterminatedQuote { line: 1 })
        ));
        assert_eq!(parse_csv(b"").unwrap(), vec![]);
        assert_eq!(parse_csv(b"x").unwrap()[0].fields, vec!["x".to_string()]);
    }
}
