use OrderStatus::{Cancelled, Finished, InPreparation, Paid, Ready, Received};
use postech_shared_sdk::order::{OrderStatus, PaymentStatus, TransitionError};

/// The whole 6×6 matrix, written out: `(from, to, allowed)`.
const TRANSITIONS: [(OrderStatus, OrderStatus, bool); 36] = [
    (Received, Received, false),
    (Received, Paid, true),
    (Received, InPreparation, false),
    (Received, Ready, false),
    (Received, Finished, false),
    (Received, Cancelled, true),
    (Paid, Received, false),
    (Paid, Paid, false),
    (Paid, InPreparation, true),
    (Paid, Ready, false),
    (Paid, Finished, false),
    (Paid, Cancelled, true),
    (InPreparation, Received, false),
    (InPreparation, Paid, false),
    (InPreparation, InPreparation, false),
    (InPreparation, Ready, true),
    (InPreparation, Finished, false),
    (InPreparation, Cancelled, false),
    (Ready, Received, false),
    (Ready, Paid, false),
    (Ready, InPreparation, false),
    (Ready, Ready, false),
    (Ready, Finished, true),
    (Ready, Cancelled, false),
    (Finished, Received, false),
    (Finished, Paid, false),
    (Finished, InPreparation, false),
    (Finished, Ready, false),
    (Finished, Finished, false),
    (Finished, Cancelled, false),
    (Cancelled, Received, false),
    (Cancelled, Paid, false),
    (Cancelled, InPreparation, false),
    (Cancelled, Ready, false),
    (Cancelled, Finished, false),
    (Cancelled, Cancelled, false),
];

#[test]
fn transition_matrix_is_exactly_the_contract() {
    for (from, to, allowed) in TRANSITIONS {
        assert_eq!(from.can_transition_to(to), allowed, "{from} → {to}");
        match from.transition_to(to) {
            Ok(next) => {
                assert!(allowed, "{from} → {to} accepted");
                assert_eq!(next, to);
            }
            Err(error) => {
                assert!(!allowed, "{from} → {to} refused");
                assert_eq!((error.from, error.to), (from, to));
                assert_eq!(error.allowed, from.allowed_next());
            }
        }
    }
    for from in OrderStatus::ALL {
        let expected: Vec<OrderStatus> = TRANSITIONS
            .iter()
            .filter(|(source, _, allowed)| *source == from && *allowed)
            .map(|(_, to, _)| *to)
            .collect();
        assert_eq!(from.allowed_next(), expected.as_slice(), "{from}");
    }
}

#[test]
fn finished_order_cannot_go_back_to_received_unlike_v1() {
    let error = Finished.transition_to(Received).expect_err("refused");
    assert_eq!(
        error,
        TransitionError {
            from: Finished,
            to: Received,
            allowed: &[],
        }
    );
    assert_eq!(
        error.to_string(),
        "an order cannot move from Finalizado to Recebido (allowed: none)"
    );
    let from_paid = Paid.transition_to(Ready).expect_err("refused");
    assert_eq!(
        from_paid.to_string(),
        "an order cannot move from Pago to Pronto (allowed: Em preparação, Cancelado)"
    );
}

#[test]
fn wire_names_keep_v1_spelling() {
    let expected = [
        (Received, "Recebido"),
        (Paid, "Pago"),
        (InPreparation, "Em preparação"),
        (Ready, "Pronto"),
        (Finished, "Finalizado"),
        (Cancelled, "Cancelado"),
    ];
    for (status, name) in expected {
        assert_eq!(status.wire_name(), name);
        assert_eq!(OrderStatus::from_wire_name(name), Some(status));
        assert_eq!(
            serde_json::to_string(&status).expect("serialises"),
            format!("\"{name}\"")
        );
        assert_eq!(
            serde_json::from_str::<OrderStatus>(&format!("\"{name}\"")).expect("deserialises"),
            status
        );
    }
    for unknown in ["Em preparacao", "recebido", "Received", ""] {
        assert_eq!(OrderStatus::from_wire_name(unknown), None, "{unknown}");
        assert!(serde_json::from_str::<OrderStatus>(&format!("\"{unknown}\"")).is_err());
    }
}

#[test]
fn kitchen_list_puts_ready_first_and_leaves_out_closed_orders() {
    let mut open: Vec<OrderStatus> = OrderStatus::ALL
        .into_iter()
        .filter(|status| status.is_open())
        .collect();
    open.sort_by_key(|status| status.kitchen_priority());
    assert_eq!(open, [Ready, InPreparation, Paid, Received]);
    assert_eq!(Finished.kitchen_priority(), None);
    assert_eq!(Cancelled.kitchen_priority(), None);
    assert!(!Finished.is_open() && !Cancelled.is_open());
}

#[test]
fn payment_statuses_use_lower_case_portuguese_wire_names() {
    for (status, name) in [
        (PaymentStatus::Pending, "pendente"),
        (PaymentStatus::Approved, "aprovado"),
        (PaymentStatus::Rejected, "rejeitado"),
        (PaymentStatus::Cancelled, "cancelado"),
        (PaymentStatus::Expired, "expirado"),
    ] {
        assert_eq!(status.wire_name(), name);
        assert_eq!(status.to_string(), name);
        assert_eq!(PaymentStatus::from_wire_name(name), Some(status));
        assert_eq!(
            serde_json::to_string(&status).expect("serialises"),
            format!("\"{name}\"")
        );
    }
    assert_eq!(PaymentStatus::from_wire_name("Aprovado"), None);
    assert_eq!(PaymentStatus::ALL.len(), 5);
}
