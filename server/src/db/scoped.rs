//! Reads of one table's rows for an election, one of its constituencies, or one polling station:
//! the same three filters and an order, written once.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, FromRow};

use super::DbResult;

/// Which rows: every row of an election, of one constituency, or of one station.
#[derive(Debug, Clone, Copy)]
pub(super) enum Scope<'a> {
    Election(&'a str),
    Constituency(&'a str, &'a str),
    Station(&'a str, &'a str, i64),
}

impl<'a> Scope<'a> {
    /// The election, or one of its constituencies when `constituency` is given.
    pub(super) fn of(election: &'a str, constituency: Option<&'a str>) -> Self {
        match constituency {
            Some(c) => Scope::Constituency(election, c),
            None => Scope::Election(election),
        }
    }
}

/// `SELECT columns FROM table WHERE <scope> ORDER BY order`; `table` has the columns the scope
/// filters on (`election_id`, `constituency`, `station`).
pub(super) async fn scoped_rows<O>(
    db: &AnyPool,
    columns: &str,
    table: &str,
    scope: Scope<'_>,
    order: &str,
) -> DbResult<Vec<O>>
where
    O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let filter = match scope {
        Scope::Election(_) => "election_id = $1",
        Scope::Constituency(..) => "election_id = $1 AND constituency = $2",
        Scope::Station(..) => "election_id = $1 AND constituency = $2 AND station = $3",
    };
    let sql = format!("SELECT {columns} FROM {table} WHERE {filter} ORDER BY {order}");
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    let query = match scope {
        Scope::Election(e) => query.bind(e.to_owned()),
        Scope::Constituency(e, c) => query.bind(e.to_owned()).bind(c.to_owned()),
        Scope::Station(e, c, s) => query.bind(e.to_owned()).bind(c.to_owned()).bind(s),
    };
    query.fetch_all(db).await
}
