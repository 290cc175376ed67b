//! The stated rule for every kind of v1 dirt, and what a row's rules make of it.
//!
//! Each [`Rule`] is one documented decision (the README's "Dirt rules" table lists them all,
//! and a test keeps that table complete). A row's [`Outcome`] follows from the rules applied
//! to it: one refusing rule refuses the row, a merging rule merges it, and so on.

use serde::Serialize;

/// The v1 tables, as the import names them in its report and its notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// `tb_categorias`.
    Category,
    /// `tb_produtos`.
    Product,
    /// `tb_clientes`.
    Customer,
    /// `tb_pedidos`.
    Order,
    /// `tb_itens_pedido`.
    OrderItem,
    /// `tb_pagamentos`.
    Payment,
    /// `tb_fila_pedidos`.
    QueueEntry,
}

impl Entity {
    /// Every entity, in import order.
    pub const ALL: [Entity; 7] = [
        Entity::Category,
        Entity::Product,
        Entity::Customer,
        Entity::Order,
        Entity::OrderItem,
        Entity::Payment,
        Entity::QueueEntry,
    ];

    /// The name stored in `v1_import_notes.entity`.
    pub const fn code(self) -> &'static str {
        match self {
            Entity::Category => "category",
            Entity::Product => "product",
            Entity::Customer => "customer",
            Entity::Order => "order",
            Entity::OrderItem => "order_item",
            Entity::Payment => "payment",
            Entity::QueueEntry => "queue_entry",
        }
    }

    /// The v1 table the entity comes from.
    pub const fn v1_table(self) -> &'static str {
        match self {
            Entity::Category => "tb_categorias",
            Entity::Product => "tb_produtos",
            Entity::Customer => "tb_clientes",
            Entity::Order => "tb_pedidos",
            Entity::OrderItem => "tb_itens_pedido",
            Entity::Payment => "tb_pagamentos",
            Entity::QueueEntry => "tb_fila_pedidos",
        }
    }
}

/// What a rule does to its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleKind {
    /// A value fixed mechanically, nothing lost (a CPF reformatted).
    Repair,
    /// Imported, but something was assumed, dropped or changed that an operator may want to
    /// look at (an unreadable status imported as cancelled).
    Flag,
    /// Folded into another row (a second registration of one CPF).
    Merge,
    /// Not imported; listed in the rejects with the reason.
    Reject,
}

/// Where a v1 row ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Imported as it was.
    Clean,
    /// Imported with mechanical repairs.
    Repaired,
    /// Imported with a flag.
    Flagged,
    /// Folded into another row.
    Merged,
    /// Nothing to import because postech derives or seeds it (the kitchen queue, the four
    /// categories).
    Superseded,
    /// Refused.
    Rejected,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Outcome; 6] = [
        Outcome::Clean,
        Outcome::Repaired,
        Outcome::Flagged,
        Outcome::Merged,
        Outcome::Superseded,
        Outcome::Rejected,
    ];

    /// The outcome of a row given its rules; `superseded` for rows postech derives instead of
    /// storing them.
    pub fn of(rules: &[Rule], superseded: bool) -> Outcome {
        let strongest = rules.iter().map(|rule| rule.kind()).max();
        match strongest {
            Some(RuleKind::Reject) => Outcome::Rejected,
            Some(RuleKind::Merge) => Outcome::Merged,
            _ if superseded => Outcome::Superseded,
            Some(RuleKind::Flag) => Outcome::Flagged,
            Some(RuleKind::Repair) => Outcome::Repaired,
            None => Outcome::Clean,
        }
    }

    /// The name stored in `v1_import_notes.outcome`.
    pub const fn code(self) -> &'static str {
        match self {
            Outcome::Clean => "clean",
            Outcome::Repaired => "repaired",
            Outcome::Flagged => "flagged",
            Outcome::Merged => "merged",
            Outcome::Superseded => "superseded",
            Outcome::Rejected => "rejected",
        }
    }

    /// Whether the row exists in postech afterwards (as itself).
    pub const fn is_imported(self) -> bool {
        matches!(self, Outcome::Clean | Outcome::Repaired | Outcome::Flagged)
    }
}

macro_rules! rules {
    ($($variant:ident => $code:literal, $kind:ident, $description:literal;)+) => {
        /// One stated rule for one kind of dirt.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $(
                #[doc = $description]
                $variant,
            )+
        }

        impl Rule {
            /// Every rule.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),+];

            /// The code stored in `v1_import_notes.rules` and printed in the report.
            pub const fn code(self) -> &'static str {
                match self { $(Rule::$variant => $code,)+ }
            }

            /// What the rule does to its row.
            pub const fn kind(self) -> RuleKind {
                match self { $(Rule::$variant => RuleKind::$kind,)+ }
            }

            /// The rule in one sentence.
            pub const fn description(self) -> &'static str {
                match self { $(Rule::$variant => $description,)+ }
            }
        }
    };
}

rules! {
    // Any table.
    BlankTextNulled => "blank_text_nulled", Repair,
        "An empty or blank text (e-mail, name, CPF, image URL, payment ids) is stored as NULL: v1 stored \"\" where nothing was given.";
    CreatedAtAssumed => "created_at_assumed", Flag,
        "A NULL data_criacao: an order takes its earliest payment's time, else the time of the v1 snapshot; a payment takes its order's time.";
    StatusNormalized => "status_normalized", Repair,
        "A status written with other case, spacing or accents (\"em preparacao\", \" Pronto\") or in Mercado Pago's English (\"approved\") is read as the status it names.";
    OrderRefused => "order_refused", Reject,
        "A line, payment or queue row of an order the import refused: refused with it.";
    OrderMissing => "order_missing", Reject,
        "A line, payment or queue row pointing at an order that is not in v1 (deleted): refused.";

    // tb_categorias
    CategoryNameDiffers => "category_name_differs", Flag,
        "One of the four fixed category ids with another v1 name: postech's name is kept (kiosks use the id).";
    CategoryMappedByName => "category_mapped_by_name", Merge,
        "A category with an unknown id whose name is a fixed category's (ignoring case and accents): merged into that category.";
    UnknownCategory => "unknown_category", Reject,
        "A category that is none of the four fixed ones, by id or by name: refused (postech has exactly four).";

    // tb_produtos
    CategoryRemapped => "category_remapped", Repair,
        "A product of a category merged by name: moved to that fixed category.";
    CategoryRefused => "category_refused", Reject,
        "A product of a refused category: refused.";
    PriceRounded => "price_rounded", Repair,
        "A price with digits beyond the cents (9.9000000001): rounded by the money rule.";
    PriceNotFinite => "price_not_finite", Reject,
        "A price that is NaN or infinite: refused.";
    PriceNotPositive => "price_not_positive", Reject,
        "A price of 0.00 or less after rounding: refused (postech sells nothing for free).";
    PriceAboveLimit => "price_above_limit", Reject,
        "A price above 1000.00: refused (postech's menu limit).";
    NameTooShort => "name_too_short", Reject,
        "A product name under 3 characters: refused (nothing to show on the menu).";
    NameTruncated => "name_truncated", Flag,
        "A name longer than postech stores (products 100, customers 150 characters): truncated.";
    DescriptionCompleted => "description_completed", Flag,
        "A product description under 10 characters: completed as \"<nome> — <descricao>\", or \"<nome> (produto importado do v1)\" when still short; staff should rewrite it.";
    DescriptionTruncated => "description_truncated", Flag,
        "A product description over 500 characters: truncated.";
    ImageUrlTooLong => "image_url_too_long", Flag,
        "An image URL over 2048 characters: dropped.";
    StockClamped => "stock_clamped", Flag,
        "A stock below 0 or above 10000: clamped to that range.";

    // tb_clientes
    CpfReformatted => "cpf_reformatted", Repair,
        "A CPF with punctuation or spaces whose 11 digits validate: stored as the 11 digits.";
    CpfZeroPadded => "cpf_zero_padded", Repair,
        "A CPF of fewer than 11 digits that validates once left-padded with zeros (leading zeros lost to a numeric conversion): stored padded.";
    CpfInvalidDropped => "cpf_invalid_dropped", Flag,
        "A CPF that does not validate with the correct check digits (made up, mistyped, all digits equal): the customer is imported without CPF, so without a Cognito identity; their orders keep them.";
    MergedDuplicateCpf => "merged_duplicate_cpf", Merge,
        "A second v1 customer with the same CPF once normalised: merged into the first by id order (its orders move there; its own name and e-mail are not kept).";
    MergedIntoPostechCustomer => "merged_into_postech_customer", Merge,
        "A customer whose CPF postech already has (registered in postech before the import): merged into that customer.";
    EmailNormalized => "email_normalized", Repair,
        "An e-mail with upper case or surrounding spaces: trimmed and lower-cased.";
    EmailInvalidDropped => "email_invalid_dropped", Flag,
        "An e-mail postech's syntax check refuses: dropped (the customer is imported without it).";
    EmailDuplicateDropped => "email_duplicate_dropped", Flag,
        "An e-mail another v1 customer already has, ignoring case: dropped from the later customer by id order.";
    EmailTakenInPostech => "email_taken_in_postech", Flag,
        "An e-mail a postech customer already has: dropped from the imported customer.";

    // tb_pedidos
    StatusUnknownCancelled => "status_unknown_cancelled", Flag,
        "An order status that is NULL or none of the known ones: imported as Cancelado (it must not reach the kitchen); the v1 value is in the note.";
    UnpaidAtSwitchOver => "unpaid_at_switch_over", Flag,
        "An order still Recebido without an approved payment: imported as Cancelado, since its v1 QR code stops working at the switch-over (and postech's unpaid-order sweep would otherwise return stock v1 never reserved).";
    PaidPerApprovedPayment => "paid_per_approved_payment", Flag,
        "An order still Recebido with an approved payment (v1 committed the two separately): imported as Pago, so the kitchen prepares it.";
    CustomerMissing => "customer_missing", Flag,
        "An order of a customer that is not in v1 (deleted): imported as anonymous.";
    CustomerMerged => "customer_merged", Repair,
        "An order of a merged customer: attached to the customer it was merged into.";
    NotesTruncated => "notes_truncated", Flag,
        "Observations over 500 characters: truncated.";
    LinesRefused => "lines_refused", Flag,
        "An order some of whose lines were refused: imported with the others, its total their sum.";
    NoImportableLines => "no_importable_lines", Reject,
        "An order none of whose lines can be imported (no lines, or only deleted products): refused.";
    TotalAboveLimit => "total_above_limit", Reject,
        "An order whose total exceeds 1000.00: refused (postech's payment limit).";

    // tb_itens_pedido
    ProductDeleted => "product_deleted", Reject,
        "A line of a product hard-deleted from v1: refused (no name or price is left to snapshot).";
    ProductRefused => "product_refused", Reject,
        "A line of a product the import refused: refused.";
    QuantityNotPositive => "quantity_not_positive", Reject,
        "A line with a quantity of 0 or less: refused.";
    QuantityAboveLimit => "quantity_above_limit", Reject,
        "A line with a quantity above 50: refused (postech's line limit).";

    // tb_pagamentos
    PaymentStatusUnknown => "payment_status_unknown", Reject,
        "A payment status none of the five (nor Mercado Pago's English for them): refused, since what happened to the money is unknown.";
    PendingExpired => "pending_expired", Flag,
        "A pending payment: imported as expirado, since v1's QR codes stop working at the switch-over.";
    SecondApproval => "second_approval", Reject,
        "A second approved payment of one order (by confirmation time): refused; check it for a refund.";
    AmountRounded => "amount_rounded", Repair,
        "An amount with digits beyond the cents: rounded by the money rule.";
    AmountFromOrderTotal => "amount_from_order_total", Flag,
        "An amount of 0 (the column's default, never filled): the order's imported total.";
    AmountNotFinite => "amount_not_finite", Reject,
        "An amount that is NaN or infinite: refused.";
    AmountNegative => "amount_negative", Reject,
        "A negative amount: refused.";
    AmountAboveLimit => "amount_above_limit", Reject,
        "An amount above 1000.00: refused (postech's payment limit).";
    ConfirmedAtAssumed => "confirmed_at_assumed", Flag,
        "An approved payment without data_confirmacao: confirmed at its creation time.";
    ConfirmedAtDropped => "confirmed_at_dropped", Flag,
        "A payment that is not approved but has a data_confirmacao: the time is dropped (postech records it for approvals only).";
    ProviderIdDuplicate => "provider_id_duplicate", Flag,
        "A payment_id or qrcode_id another v1 payment already has: dropped from the later payment.";
    ExternalReferenceMismatch => "external_reference_mismatch", Flag,
        "An external_reference other than the payment's order id: not kept (postech uses the order id), noted.";

    // tb_fila_pedidos
    QueueStatusDiffers => "queue_status_differs", Flag,
        "A queue row whose status differs from its order's: the order's status wins (v1 wrote them in separate commits).";
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_unique_snake_case_without_commas() {
        let mut seen = HashSet::new();
        for rule in Rule::ALL {
            let code = rule.code();
            assert!(seen.insert(code), "{code} twice");
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
        }
    }

    #[test]
    fn the_strongest_rule_decides_the_outcome() {
        use Rule::*;
        assert_eq!(Outcome::of(&[], false), Outcome::Clean);
        assert_eq!(Outcome::of(&[CpfReformatted], false), Outcome::Repaired);
        assert_eq!(
            Outcome::of(&[CpfReformatted, CpfInvalidDropped], false),
            Outcome::Flagged
        );
        assert_eq!(
            Outcome::of(&[EmailNormalized, MergedDuplicateCpf], false),
            Outcome::Merged
        );
        assert_eq!(
            Outcome::of(&[PriceRounded, PriceAboveLimit], false),
            Outcome::Rejected
        );
        assert_eq!(Outcome::of(&[], true), Outcome::Superseded);
        assert_eq!(
            Outcome::of(&[QueueStatusDiffers], true),
            Outcome::Superseded
        );
        assert_eq!(Outcome::of(&[OrderMissing], true), Outcome::Rejected);
    }

    #[test]
    fn the_readme_documents_every_rule() {
        let readme = include_str!("../../README.md");
        let missing: Vec<&str> = Rule::ALL
            .iter()
            .map(|rule| rule.code())
            .filter(|code| !readme.contains(&format!("`{code}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "README.md's dirt rules table lacks {missing:?}"
        );
    }
}
