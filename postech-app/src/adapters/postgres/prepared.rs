//! Raw SQL that diesel keeps prepared on each connection.
//!
//! diesel never caches a `sql_query` statement — its text could be built at run time, and
//! every distinct text would stay in the connection's cache — so each run of one is parsed
//! and planned again. For the app's large statements (the checkout's lock-check-write, the
//! order reads with their JSON aggregates) that costs as much as running them
//! (docs/performance.md, "Round three"). [`KeepPrepared::keep_prepared`] marks a statement of
//! constant text as safe to keep: the constants are a bounded set. diesel then keys each by
//! its text and bind types, and PostgreSQL parses and plans it once per connection (and may
//! settle on a generic plan).

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// A statement, with its binds, that diesel may keep prepared.
#[derive(Debug, Clone)]
#[must_use = "a statement does nothing until it is run"]
pub struct PreparedSql<Q>(Q);

/// Marks a `sql_query` statement, binds included, as one to keep prepared. Only for text fixed
/// at compile time (a `const`): a text built at run time would fill each connection's cache.
pub trait KeepPrepared: Sized {
    /// This statement, kept prepared on each connection that runs it.
    fn keep_prepared(self) -> PreparedSql<Self> {
        PreparedSql(self)
    }
}

impl<Q: QueryFragment<Pg>> KeepPrepared for Q {}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for PreparedSql<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    /// The text is a `const`: keeping it cannot grow the cache past the statements the code
    /// holds, which is why `sql_query`'s own answer (no) does not apply.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for PreparedSql<Q> {
    type QueryId = ();
    // Keyed by its text and bind types, not by type: the statements share Rust types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for PreparedSql<Q> {
    type SqlType = Q::SqlType;
}
