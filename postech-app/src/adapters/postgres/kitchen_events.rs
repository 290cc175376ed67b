//! The kitchen's event log: `order_status_history` read since a cursor, for the kitchen event
//! stream (`adapters/http/kitchen_stream.rs`).
//!
//! The cursor is a PostgreSQL snapshot (`pg_snapshot`, `xmin:xmax:xip,...`), not a history
//! id: ids are drawn at insert and transactions commit in any order, so "after id N" would
//! skip a row of id N−1 committed after N was read. A read runs in one REPEATABLE READ
//! transaction that takes `pg_current_snapshot()` and selects the rows whose transaction the
//! previous cursor did not see (`postech_database::kitchen::EVENTS_SINCE_SNAPSHOT_SQL`); the
//! snapshot is the next cursor. Every committed row is therefore returned exactly once per
//! reader, whatever its id. The orders the rows name are then read as they are now — a
//! change event always carries state at least as new as the change.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use postech_database::kitchen::EVENTS_SINCE_SNAPSHOT_SQL;
use uuid::Uuid;

use super::codes::order_status;
use super::orders::{self, KitchenPage};
use super::{PgPool, connection, to_port_error};
use crate::adapters::postgres::prepared::KeepPrepared;
use crate::application::error::PortError;
use crate::application::orders::OrderRecord;
use crate::domain::ids::OrderId;
use crate::domain::order::OrderStatus;

/// Where a reader of the event log stands: the snapshot of its last read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventCursor {
    xmin: u64,
    xmax: u64,
    in_progress: Vec<u64>,
}

/// Why a text is not a cursor (the client's `Last-Event-ID` is untrusted input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an event id of this stream")]
pub struct MalformedCursor;

/// The longest cursor accepted: a snapshot lists the transactions running when it was taken,
/// a few dozen at most on a database with a few pools in front of it.
const MAX_CURSOR_LEN: usize = 4096;

impl EventCursor {
    /// Parses `xmin:xmax:xip,xip,...` as PostgreSQL prints a `pg_snapshot`, with the checks
    /// PostgreSQL's input function makes (so that a parsed cursor is never refused by the
    /// database): decimal digits only, 0 < xmin ≤ xmax, each in-progress id within
    /// [xmin, xmax) and in ascending order.
    pub fn parse(text: &str) -> Result<Self, MalformedCursor> {
        if text.len() > MAX_CURSOR_LEN {
            return Err(MalformedCursor);
        }
        let mut parts = text.split(':');
        let (Some(xmin), Some(xmax), Some(list), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(MalformedCursor);
        };
        let (xmin, xmax) = (transaction_id(xmin)?, transaction_id(xmax)?);
        if xmin == 0 || xmax < xmin {
            return Err(MalformedCursor);
        }
        let in_progress = if list.is_empty() {
            Vec::new()
        } else {
            list.split(',')
                .map(transaction_id)
                .collect::<Result<Vec<_>, _>>()?
        };
        let in_range = in_progress.iter().all(|id| (xmin..xmax).contains(id));
        let ascending = in_progress.windows(2).all(|pair| pair[0] < pair[1]);
        if !in_range || !ascending {
            return Err(MalformedCursor);
        }
        Ok(Self {
            xmin,
            xmax,
            in_progress,
        })
    }

    /// Whether this cursor was taken after `now` (a cursor from another database, e.g. one
    /// restored from a backup): it cannot be resumed from.
    fn is_ahead_of(&self, now: &EventCursor) -> bool {
        self.xmax > now.xmax
    }
}

fn transaction_id(text: &str) -> Result<u64, MalformedCursor> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(MalformedCursor);
    }
    text.parse().map_err(|_| MalformedCursor)
}

impl fmt::Display for EventCursor {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}:", self.xmin, self.xmax)?;
        for (index, id) in self.in_progress.iter().enumerate() {
            if index > 0 {
                formatter.write_str(",")?;
            }
            write!(formatter, "{id}")?;
        }
        Ok(())
    }
}

/// One change of the kitchen queue: an order created or moved.
#[derive(Clone, Debug)]
pub struct KitchenChange {
    /// The history row (increasing, but not in commit order: a client that sees one twice
    /// after a reconnect can drop the duplicate by it).
    pub history_id: i64,
    /// The status left; `None` when the order was created.
    pub from: Option<OrderStatus>,
    /// The status entered.
    pub to: OrderStatus,
    /// When.
    pub changed_at: DateTime<Utc>,
    /// The order as it is now (possibly already further along than `to`).
    pub order: OrderRecord,
}

/// What one read of the log gives.
#[derive(Clone, Debug)]
pub enum KitchenRead {
    /// The whole kitchen queue, read after `cursor` was taken: the start of a stream, a
    /// cursor that cannot be resumed from, or too many changes to list.
    Queue {
        /// Where the reader stands now.
        cursor: EventCursor,
        /// The open orders in kitchen order.
        orders: Vec<OrderRecord>,
    },
    /// The changes committed since the reader's cursor, oldest transaction first.
    Changes {
        /// Where the reader stands now.
        cursor: EventCursor,
        /// Possibly none.
        changes: Vec<KitchenChange>,
    },
}

/// Reads the event log and the orders it names.
#[derive(Clone)]
pub struct KitchenEventLog {
    pool: PgPool,
    max_changes: usize,
}

#[derive(QueryableByName)]
struct SnapshotRow {
    #[diesel(sql_type = Text)]
    snapshot: String,
}

#[derive(QueryableByName)]
struct HistoryRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = SqlUuid)]
    order_id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    from_status: Option<String>,
    #[diesel(sql_type = Text)]
    to_status: String,
    #[diesel(sql_type = Timestamptz)]
    changed_at: DateTime<Utc>,
}

impl KitchenEventLog {
    /// The log over `pool`; more than `max_changes` changes in one read are replaced by the
    /// whole queue (cheaper to send, and what a client far behind needs anyway).
    pub fn new(pool: PgPool, max_changes: usize) -> Self {
        Self {
            pool,
            max_changes: max_changes.max(1),
        }
    }

    /// The changes since `since`, or the whole queue when there is no usable cursor.
    pub async fn read(&self, since: Option<&EventCursor>) -> Result<KitchenRead, PortError> {
        let (cursor, rows) = self.rows_since(since).await?;
        let Some(rows) = rows.filter(|rows| rows.len() <= self.max_changes) else {
            let orders = orders::kitchen_queue(&self.pool, KitchenPage::default()).await?;
            return Ok(KitchenRead::Queue { cursor, orders });
        };
        if rows.is_empty() {
            return Ok(KitchenRead::Changes {
                cursor,
                changes: Vec::new(),
            });
        }
        let mut ids: Vec<OrderId> = rows.iter().map(|row| OrderId::from(row.order_id)).collect();
        ids.sort_unstable_by_key(|id| id.into_uuid());
        ids.dedup();
        let orders: HashMap<Uuid, OrderRecord> = orders::find_many(&self.pool, &ids)
            .await?
            .into_iter()
            .map(|record| (record.order.id.into_uuid(), record))
            .collect();
        let mut changes = Vec::with_capacity(rows.len());
        for row in rows {
            // Orders are never deleted (foreign keys RESTRICT), so each row's order exists.
            let Some(order) = orders.get(&row.order_id).cloned() else {
                continue;
            };
            changes.push(KitchenChange {
                history_id: row.id,
                from: row.from_status.as_deref().map(order_status).transpose()?,
                to: order_status(&row.to_status)?,
                changed_at: row.changed_at,
                order,
            });
        }
        Ok(KitchenRead::Changes { cursor, changes })
    }

    /// The current snapshot and, when `since` can be resumed from, the rows committed since
    /// it (one more than the limit at most, to tell "too many").
    async fn rows_since(
        &self,
        since: Option<&EventCursor>,
    ) -> Result<(EventCursor, Option<Vec<HistoryRow>>), PortError> {
        let limit = i64::try_from(self.max_changes).unwrap_or(i64::MAX - 1) + 1;
        let since_text = since.map(EventCursor::to_string);
        let mut connection = connection(&self.pool).await?;
        let (snapshot, rows) = connection
            .build_transaction()
            .repeatable_read()
            .read_only()
            .run::<_, diesel::result::Error, _>(async |connection| {
                let snapshot = diesel::sql_query("SELECT pg_current_snapshot()::text AS snapshot")
                    .get_result::<SnapshotRow>(connection)
                    .await?
                    .snapshot;
                let rows = match since_text {
                    Some(since) => Some(
                        diesel::sql_query(EVENTS_SINCE_SNAPSHOT_SQL)
                            .bind::<Text, _>(since)
                            .bind::<BigInt, _>(limit)
                            .keep_prepared()
                            .load::<HistoryRow>(connection)
                            .await?,
                    ),
                    None => None,
                };
                Ok((snapshot, rows))
            })
            .await
            .map_err(to_port_error)?;
        let now = EventCursor::parse(&snapshot).map_err(|_| PortError::Unexpected {
            dependency: "database",
            cause: "pg_current_snapshot() printed an unexpected form".into(),
        })?;
        let resumable = since.is_some_and(|since| !since.is_ahead_of(&now));
        Ok((now, rows.filter(|_| resumable)))
    }
}

#[cfg(test)]
mod tests {
    use super::{EventCursor, MalformedCursor};

    #[test]
    fn a_cursor_reads_and_prints_postgresql_snapshot_text_unchanged() {
        for text in [
            "745:745:",
            "740:752:741,749",
            "1:2:1",
            "18446744073709551615:18446744073709551615:",
        ] {
            assert_eq!(
                EventCursor::parse(text).map(|cursor| cursor.to_string()),
                Ok(text.to_owned())
            );
        }
    }

    #[test]
    fn a_cursor_postgresql_would_refuse_is_malformed() {
        for text in [
            "",
            "745",
            "745:745",
            "745:745::",
            "0:5:",
            "9:5:",
            "5:9:4",
            "5:9:9",
            "5:9:7,6",
            "5:9:6,6",
            "5:9:6,",
            "+5:9:",
            " 5:9:",
            "5:9: 6",
            "a:9:",
            "99999999999999999999999:99999999999999999999999:",
            &format!("1:2:{}", "1,".repeat(3000)),
        ] {
            assert_eq!(EventCursor::parse(text), Err(MalformedCursor), "{text:?}");
        }
    }

    #[test]
    fn a_cursor_newer_than_the_database_is_ahead_of_it() {
        let now = EventCursor::parse("740:752:741").expect("cursor");
        assert!(
            EventCursor::parse("760:760:")
                .expect("cursor")
                .is_ahead_of(&now)
        );
        assert!(
            !EventCursor::parse("700:752:")
                .expect("cursor")
                .is_ahead_of(&now)
        );
    }
}
