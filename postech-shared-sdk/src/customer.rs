//! Customers: identified by CPF, by e-mail, by both, or anonymous.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cpf::Cpf;
use crate::ids::CustomerId;

/// Longest e-mail address accepted (RFC 5321 path limit minus the angle brackets).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest local part (before the `@`) accepted (RFC 5321).
pub const MAX_EMAIL_LOCAL_CHARS: usize = 64;

/// A customer. Every personal field is optional: the kiosk allows anonymous customers.
///
/// Its `Debug` output hides name and e-mail and masks the CPF, so it can be logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Its id (the `sub` of its tokens).
    pub id: CustomerId,
    /// Name, if given.
    pub name: Option<String>,
    /// E-mail, normalised by [`normalize_email`], if given.
    pub email: Option<String>,
    /// CPF, if given.
    pub cpf: Option<Cpf>,
}

impl Customer {
    /// Whether the customer gave neither name, e-mail nor CPF.
    pub fn is_anonymous(&self) -> bool {
        self.name.is_none() && self.email.is_none() && self.cpf.is_none()
    }
}

impl fmt::Debug for Customer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |present: bool| if present { Some("<redacted>") } else { None };
        formatter
            .debug_struct("Customer")
            .field("id", &self.id)
            .field("name", &redacted(self.name.is_some()))
            .field("email", &redacted(self.email.is_some()))
            .field("cpf", &self.cpf)
            .finish()
    }
}

/// Why a text is not an acceptable e-mail address. Never carries the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing but whitespace.
    #[error("the e-mail address is empty")]
    Empty,
    /// Longer than [`MAX_EMAIL_CHARS`], or a local part longer than [`MAX_EMAIL_LOCAL_CHARS`].
    #[error("the e-mail address is too long")]
    TooLong,
    /// Not of the form `local@domain.tld`.
    #[error("the e-mail address is not valid")]
    InvalidSyntax,
}

/// Trims and lower-cases an e-mail address and checks its syntax, so that the same person
/// typing `Ana@Example.COM ` and `ana@example.com` is one registration.
///
/// The check is deliberately practical rather than full RFC 5322: ASCII only (international
/// domains arrive punycoded), one `@`, a dot-atom local part (letters, digits and
/// ``!#$%&'*+/=?^_`{|}~-``, dots not leading, trailing or doubled), and a domain of at least
/// two labels of letters, digits and inner hyphens with an alphabetic top-level label.
///
/// ```
/// use postech_shared_sdk::customer::{normalize_email, EmailError};
///
/// assert_eq!(normalize_email(" Ana.Souza@Example.COM.br ")?, "ana.souza@example.com.br");
/// assert_eq!(normalize_email("ana@localhost"), Err(EmailError::InvalidSyntax));
/// # Ok::<(), EmailError>(())
/// ```
pub fn normalize_email(text: &str) -> Result<String, EmailError> {
    let email = text.trim().to_ascii_lowercase();
    if email.is_empty() {
        return Err(EmailError::Empty);
    }
    if email.len() > MAX_EMAIL_CHARS {
        return Err(EmailError::TooLong);
    }
    let (local, domain) = email.split_once('@').ok_or(EmailError::InvalidSyntax)?;
    if local.len() > MAX_EMAIL_LOCAL_CHARS {
        return Err(EmailError::TooLong);
    }
    if is_valid_local_part(local) && is_valid_domain(domain) {
        Ok(email)
    } else {
        Err(EmailError::InvalidSyntax)
    }
}

fn is_valid_local_part(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
        })
}

fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let top_level_is_alphabetic = labels
        .last()
        .is_some_and(|label| label.len() >= 2 && label.chars().all(|c| c.is_ascii_alphabetic()));
    labels.len() >= 2
        && top_level_is_alphabetic
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(
            normalize_email("\tJoao.Silva+pedidos@Lanchonete.COM.BR\n"),
            Ok("joao.silva+pedidos@lanchonete.com.br".to_owned())
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for text in [
            "plainaddress",
            "@example.com",
            "ana@",
            "ana@@example.com",
            "ana@exa@mple.com",
            "ana.@example.com",
            ".ana@example.com",
            "a..na@example.com",
            "ana souza@example.com",
            "ana@example",
            "ana@example.c",
            "ana@example.123",
            "ana@-example.com",
            "ana@example-.com",
            "ana@example..com",
            "joão@example.com",
            "ana@exämple.com",
            "ana@example.com.",
        ] {
            assert_eq!(
                normalize_email(text),
                Err(EmailError::InvalidSyntax),
                "{text}"
            );
        }
        assert_eq!(normalize_email("   "), Err(EmailError::Empty));
    }

    #[test]
    fn rejects_overlong_addresses() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(normalize_email(&long_local), Err(EmailError::TooLong));
        let long_domain = format!("ana@{}.com", "a".repeat(250));
        assert_eq!(normalize_email(&long_domain), Err(EmailError::TooLong));
        let at_limit = format!("{}@example.com", "a".repeat(64));
        assert!(normalize_email(&at_limit).is_ok());
    }

    #[test]
    fn debug_output_hides_personal_data() {
        let customer = Customer {
            id: CustomerId::new_random(),
            name: Some("Maria Clara".into()),
            email: Some("maria@example.com".into()),
            cpf: Some(Cpf::parse("529.982.247-25").expect("valid CPF")),
        };
        let debug = format!("{customer:?}");
        assert!(!debug.contains("Maria"), "{debug}");
        assert!(!debug.contains("maria@"), "{debug}");
        assert!(!debug.contains("52998224725"), "{debug}");
        assert!(debug.contains("***.***.***-25"), "{debug}");
        assert!(!customer.is_anonymous());
    }
}
