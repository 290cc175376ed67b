//! Customers: CPFs repaired or dropped, e-mails normalised, duplicates merged.
//!
//! Customers are decided in v1 id order; the first customer of a CPF (and of an e-mail)
//! keeps it, so the same snapshot always gives the same survivors, whichever run decides.

use std::collections::{HashMap, HashSet};

use postech_shared_sdk::cpf::{Cpf, CpfError};
use postech_shared_sdk::customer::normalize_email;
use uuid::Uuid;

use super::{Verdict, truncated};
use crate::import_v1::rules::{Entity, Rule};
use crate::import_v1::source::V1Customer;

/// postech's longest customer name (`customers_name_length_check`).
const NAME_MAX: usize = 150;

/// A `customers` row to write (its Cognito username is the CPF once registered).
#[derive(Clone, PartialEq, Eq)]
pub struct CustomerRow {
    /// The v1 id, kept.
    pub id: Uuid,
    /// Trimmed, 1 to 150 characters.
    pub name: Option<String>,
    /// Normalised, unique ignoring case.
    pub email: Option<String>,
    /// Valid, unique.
    pub cpf: Option<Cpf>,
}

impl std::fmt::Debug for CustomerRow {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CustomerRow")
            .field("id", &self.id)
            .field("cpf", &self.cpf)
            .finish_non_exhaustive()
    }
}

/// The decision about one v1 customer.
#[derive(Debug, Clone)]
pub struct CustomerDecision {
    /// Rules and outcome.
    pub verdict: Verdict,
    /// The row to write, unless merged.
    pub row: Option<CustomerRow>,
    /// The earlier v1 customer of the same CPF it was merged into.
    pub merged_into: Option<Uuid>,
}

/// Decides customers one after the other, remembering who holds which CPF and e-mail.
#[derive(Debug, Default)]
pub struct CustomerDecider {
    cpf_holders: HashMap<String, Uuid>,
    email_holders: HashSet<String>,
}

impl CustomerDecider {
    /// Decides the next customer (call in v1 id order).
    pub fn decide(&mut self, row: &V1Customer) -> CustomerDecision {
        let mut verdict = Verdict::new(Entity::Customer, row.id.to_string());
        let cpf = decide_cpf(row.cpf.as_deref(), &mut verdict);
        if let Some(holder) = cpf
            .as_ref()
            .and_then(|cpf| self.cpf_holders.get(cpf.as_digits()))
        {
            verdict.apply_with(
                Rule::MergedDuplicateCpf,
                format!("merged into v1 customer {holder}"),
            );
            return CustomerDecision {
                verdict,
                row: None,
                merged_into: Some(*holder),
            };
        }
        if let Some(cpf) = &cpf {
            self.cpf_holders.insert(cpf.as_digits().to_owned(), row.id);
        }

        let mut email = decide_email(row.email.as_deref(), &mut verdict);
        if let Some(address) = &email {
            if self.email_holders.contains(address) {
                verdict.apply(Rule::EmailDuplicateDropped);
                email = None;
            } else {
                self.email_holders.insert(address.clone());
            }
        }

        let name = match row.nome.as_deref().map(str::trim) {
            None => None,
            Some("") => {
                verdict.apply_with(Rule::BlankTextNulled, "nome");
                None
            }
            Some(name) => match truncated(name, NAME_MAX) {
                Some(cut) => {
                    verdict.apply(Rule::NameTruncated);
                    Some(cut)
                }
                None => Some(name.to_owned()),
            },
        };
        verdict.postech_id = Some(row.id);
        CustomerDecision {
            verdict,
            row: Some(CustomerRow {
                id: row.id,
                name,
                email,
                cpf,
            }),
            merged_into: None,
        }
    }
}

/// The characters a CPF may be written with besides its digits.
fn is_cpf_punctuation(c: char) -> bool {
    matches!(c, '.' | '-' | '/' | ' ')
}

fn decide_cpf(raw: Option<&str>, verdict: &mut Verdict) -> Option<Cpf> {
    let raw = raw?;
    let text = raw.trim();
    if text.is_empty() {
        verdict.apply_with(Rule::BlankTextNulled, "cpf");
        return None;
    }
    if text.len() == 11 && text.bytes().all(|byte| byte.is_ascii_digit()) {
        return match Cpf::parse(text) {
            Ok(cpf) => Some(cpf),
            Err(error) => {
                drop_cpf(verdict, error);
                None
            }
        };
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || is_cpf_punctuation(c))
    {
        drop_cpf(verdict, CpfError::InvalidFormat);
        return None;
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let (candidate, rule) = match digits.len() {
        11 => (digits, Rule::CpfReformatted),
        9 | 10 => (format!("{digits:0>11}"), Rule::CpfZeroPadded),
        _ => {
            drop_cpf(verdict, CpfError::InvalidFormat);
            return None;
        }
    };
    match Cpf::parse(&candidate) {
        Ok(cpf) => {
            verdict.apply(rule);
            Some(cpf)
        }
        Err(error) => {
            drop_cpf(verdict, error);
            None
        }
    }
}

fn drop_cpf(verdict: &mut Verdict, error: CpfError) {
    // The error's text never carries the number.
    verdict.apply_with(Rule::CpfInvalidDropped, format!("CPF: {error}"));
}

fn decide_email(raw: Option<&str>, verdict: &mut Verdict) -> Option<String> {
    let raw = raw?;
    if raw.trim().is_empty() {
        verdict.apply_with(Rule::BlankTextNulled, "email");
        return None;
    }
    match normalize_email(raw) {
        Ok(email) => {
            if email != raw {
                verdict.apply(Rule::EmailNormalized);
            }
            Some(email)
        }
        Err(error) => {
            verdict.apply_with(Rule::EmailInvalidDropped, format!("e-mail: {error}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import_v1::rules::Outcome;

    fn customer(id: u128, cpf: Option<&str>, email: Option<&str>) -> V1Customer {
        V1Customer {
            id: Uuid::from_u128(id),
            nome: Some("Ana".to_owned()),
            cpf: cpf.map(str::to_owned),
            email: email.map(str::to_owned),
        }
    }

    fn decide(cpf: &str) -> CustomerDecision {
        CustomerDecider::default().decide(&customer(1, Some(cpf), None))
    }

    #[test]
    fn a_valid_cpf_in_digits_is_kept_unchanged() {
        let decision = decide("52998224725");
        assert_eq!(decision.verdict.outcome(), Outcome::Clean);
        assert_eq!(
            decision
                .row
                .and_then(|row| row.cpf)
                .map(|cpf| cpf.as_digits().to_owned()),
            Some("52998224725".to_owned())
        );
    }

    #[test]
    fn formatted_cpfs_whose_digits_validate_are_reformatted() {
        for text in ["529.982.247-25", " 529 982 247 25 ", "529982247/25"] {
            let decision = decide(text);
            assert_eq!(decision.verdict.rules, [Rule::CpfReformatted], "{text}");
            assert_eq!(
                decision
                    .row
                    .and_then(|row| row.cpf)
                    .map(|cpf| cpf.as_digits().to_owned()),
                Some("52998224725".to_owned())
            );
        }
    }

    #[test]
    fn a_cpf_that_lost_its_leading_zeros_is_padded() {
        let cpf = Cpf::from_base_digits([0, 1, 2, 3, 4, 5, 6, 7, 8])
            .map(|cpf| cpf.as_digits().to_owned());
        let Ok(digits) = cpf else {
            panic!("a valid base");
        };
        let decision = decide(digits.trim_start_matches('0'));
        assert_eq!(decision.verdict.rules, [Rule::CpfZeroPadded]);
        assert_eq!(
            decision
                .row
                .and_then(|row| row.cpf)
                .map(|cpf| cpf.as_digits().to_owned()),
            Some(digits)
        );
    }

    #[test]
    fn invalid_cpfs_are_dropped_and_the_customer_kept() {
        for text in [
            "291.417.776-30",
            "00000000000",
            "123",
            "abc.def.ghi-jk",
            "5299822472",
        ] {
            let decision = decide(text);
            assert_eq!(decision.verdict.outcome(), Outcome::Flagged, "{text}");
            assert!(decision.verdict.rules.contains(&Rule::CpfInvalidDropped));
            assert!(decision.row.is_some_and(|row| row.cpf.is_none()));
            assert!(!decision.verdict.detail_text().contains(text));
        }
    }

    #[test]
    fn the_second_customer_of_a_cpf_is_merged_into_the_first() {
        let mut decider = CustomerDecider::default();
        let first = decider.decide(&customer(1, Some("52998224725"), Some("a@b.com")));
        let second = decider.decide(&customer(2, Some("529.982.247-25"), Some("c@d.com")));
        assert_eq!(first.verdict.outcome(), Outcome::Clean);
        assert_eq!(second.verdict.outcome(), Outcome::Merged);
        assert_eq!(second.merged_into, Some(Uuid::from_u128(1)));
        assert!(second.row.is_none());
    }

    #[test]
    fn emails_are_normalised_blank_ones_nulled_and_duplicates_dropped() {
        let mut decider = CustomerDecider::default();
        let first = decider.decide(&customer(1, None, Some(" Ana@Example.COM")));
        assert_eq!(first.verdict.rules, [Rule::EmailNormalized]);
        let second = decider.decide(&customer(2, None, Some("ana@example.com")));
        assert_eq!(second.verdict.rules, [Rule::EmailDuplicateDropped]);
        assert!(second.row.is_some_and(|row| row.email.is_none()));
        let blank = decider.decide(&customer(3, None, Some("")));
        assert_eq!(blank.verdict.rules, [Rule::BlankTextNulled]);
        let invalid = decider.decide(&customer(4, None, Some("not-an-email")));
        assert_eq!(invalid.verdict.rules, [Rule::EmailInvalidDropped]);
    }
}
