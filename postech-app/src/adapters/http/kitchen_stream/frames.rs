//! The stream's wire format: server-sent events (`text/event-stream`) whose data are JSON
//! objects with the contract's Portuguese names.
//!
//! | Event | `id` | Data |
//! |---|---|---|
//! | `fila` | the cursor | [`QueueEventBody`]: the whole kitchen queue — at the start, or instead of too many changes, or when the `Last-Event-ID` cannot be resumed from |
//! | `pedido` | the cursor, on the last event of a read only | [`ChangeEventBody`]: one creation or status change, with the order as it is now |
//! | `encerrado` | — | [`ClosedEventBody`]: the server ends the stream, and why |
//!
//! A comment line (`: ping`) is sent when the stream is idle, and `retry: 2000` first.

use actix_web::web::Bytes;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::adapters::http::orders::{OrderBody, timestamp};
use crate::adapters::postgres::kitchen_events::{EventCursor, KitchenChange, KitchenRead};
use crate::application::error::ErrorChain;
use crate::application::orders::OrderRecord;

/// How long a browser's `EventSource` waits before reconnecting (milliseconds).
const RECONNECT_DELAY_MS: u32 = 2000;

/// Data of a `fila` event.
#[derive(Serialize, ToSchema)]
pub struct QueueEventBody {
    /// The open orders in kitchen order (Pronto, Em preparação, Pago, Recebido; oldest first),
    /// as `GET /v1/api/admin/pedidos/` lists them. Replaces whatever the client held.
    pedidos: Vec<OrderBody>,
}

/// Data of a `pedido` event.
#[derive(Serialize, ToSchema)]
pub struct ChangeEventBody {
    /// The history entry (increasing, not in commit order): after a reconnect an event may
    /// come twice; drop a `historico_id` already applied.
    historico_id: i64,
    pedido_id: Uuid,
    /// The status left; null when the order was created.
    #[schema(example = "Pago")]
    de: Option<&'static str>,
    /// The status entered.
    #[schema(example = "Em preparação")]
    para: &'static str,
    /// When (RFC 3339, UTC).
    data: String,
    /// The order as it is now (it may already be past `para`); Finalizado and Cancelado
    /// orders leave the queue.
    pedido: OrderBody,
}

/// Data of an `encerrado` event.
#[derive(Serialize, ToSchema)]
pub struct ClosedEventBody {
    /// `cliente_lento` (the client did not read; reconnect), `token_expirado` (log in again),
    /// `tempo_maximo` (reconnect), `desligando` (the server is stopping; reconnect).
    #[schema(example = "tempo_maximo")]
    motivo: &'static str,
    /// A sentence for people.
    detalhe: &'static str,
}

/// Why the server ends a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// More than the buffer limit waited for the client.
    SlowClient,
    /// The token that opened the stream expired.
    TokenExpired,
    /// The stream reached its longest life.
    MaxDuration,
    /// The server is shutting down.
    ShuttingDown,
}

impl CloseReason {
    /// The wire name (`motivo`).
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::SlowClient => "cliente_lento",
            Self::TokenExpired => "token_expirado",
            Self::MaxDuration => "tempo_maximo",
            Self::ShuttingDown => "desligando",
        }
    }

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Self::SlowClient => "slow_client",
            Self::TokenExpired => "token_expired",
            Self::MaxDuration => "max_duration",
            Self::ShuttingDown => "shutdown",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Self::SlowClient => {
                "Eventos acumulados além do limite: reconecte com o último id recebido"
            }
            Self::TokenExpired => "O token expirou: entre novamente",
            Self::MaxDuration => "Tempo máximo da conexão: reconecte com o último id recebido",
            Self::ShuttingDown => "Servidor reiniciando: reconecte com o último id recebido",
        }
    }
}

/// The first bytes of every stream.
pub fn preamble() -> Bytes {
    Bytes::from(format!("retry: {RECONNECT_DELAY_MS}\n\n"))
}

/// The idle comment.
pub fn heartbeat() -> Bytes {
    Bytes::from_static(b": ping\n\n")
}

/// The closing event.
pub fn closed(reason: CloseReason) -> Bytes {
    event(
        "encerrado",
        None,
        &ClosedEventBody {
            motivo: reason.wire_name(),
            detalhe: reason.detail(),
        },
    )
}

/// The frames of one read of the log (none when nothing changed).
pub fn read_frames(read: KitchenRead) -> Vec<Bytes> {
    match read {
        KitchenRead::Queue { cursor, orders } => vec![event(
            "fila",
            Some(&cursor),
            &QueueEventBody {
                pedidos: orders.into_iter().filter_map(order_body).collect(),
            },
        )],
        KitchenRead::Changes { cursor, changes } => {
            let bodies: Vec<ChangeEventBody> =
                changes.into_iter().filter_map(change_body).collect();
            let last = bodies.len().saturating_sub(1);
            bodies
                .iter()
                .enumerate()
                // Only the last event of a read carries the cursor: the ones before have no
                // cursor of their own (docs/kitchen-stream.md, "Why the id is a database snapshot").
                .map(|(index, body)| event("pedido", (index == last).then_some(&cursor), body))
                .collect()
        }
    }
}

fn change_body(change: KitchenChange) -> Option<ChangeEventBody> {
    Some(ChangeEventBody {
        historico_id: change.history_id,
        pedido_id: change.order.order.id.into_uuid(),
        de: change.from.map(|status| status.wire_name()),
        para: change.to.wire_name(),
        data: timestamp(change.changed_at),
        pedido: order_body(change.order)?,
    })
}

/// The order as the stream shows it; an order whose amounts cannot be summed is left out
/// and logged as an error (never shown with a total of 0).
fn order_body(record: OrderRecord) -> Option<OrderBody> {
    OrderBody::try_from(record)
        .map_err(|error| {
            tracing::error!(error = %ErrorChain(&error), "kitchen stream: order left out");
        })
        .ok()
}

fn event(name: &str, id: Option<&EventCursor>, data: &impl Serialize) -> Bytes {
    // serde_json writes no raw newline (they are escaped inside strings), so the data is one
    // `data:` line; should it ever fail, an empty object keeps the stream well-formed.
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
    let mut frame = String::with_capacity(json.len() + 96);
    if let Some(id) = id {
        frame.push_str("id: ");
        frame.push_str(&id.to_string());
        frame.push('\n');
    }
    frame.push_str("event: ");
    frame.push_str(name);
    frame.push_str("\ndata: ");
    frame.push_str(&json);
    frame.push_str("\n\n");
    Bytes::from(frame)
}

#[cfg(test)]
mod tests {
    use super::{CloseReason, closed};

    #[test]
    fn the_closing_event_names_its_reason_on_one_data_line() {
        let frame = closed(CloseReason::SlowClient);
        let text = std::str::from_utf8(&frame).expect("utf-8");
        assert!(text.starts_with("event: encerrado\ndata: {"), "{text}");
        assert!(text.contains(r#""motivo":"cliente_lento""#), "{text}");
        assert!(text.ends_with("}\n\n"));
        assert_eq!(text.matches('\n').count(), 3);
    }
}
