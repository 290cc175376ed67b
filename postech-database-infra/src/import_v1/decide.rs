//! What becomes of each v1 row: pure functions of the v1 rows (and of what the import decided
//! before them), so that a dry run, a real run, a resumed run and `--verify` all reach the
//! same decisions for the same snapshot.

pub mod catalog;
pub mod customers;
pub mod orders;

use uuid::Uuid;

use super::rules::{Entity, Outcome, Rule};

/// The decision about one v1 row: the rules applied, their specifics, and the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The v1 table.
    pub entity: Entity,
    /// The v1 primary key as text (`<pedido_id>/<produto_id>` for a line).
    pub v1_key: String,
    /// Rules applied, in the order they were applied.
    pub rules: Vec<Rule>,
    /// Specifics worth keeping (a v1 status value, the row merged into); no personal data.
    pub details: Vec<String>,
    /// The postech row it became or was merged into.
    pub postech_id: Option<Uuid>,
    /// Whether postech derives this row instead of storing it.
    superseded: bool,
}

impl Verdict {
    /// A row with no rule applied yet.
    pub fn new(entity: Entity, v1_key: String) -> Self {
        Self {
            entity,
            v1_key,
            rules: Vec::new(),
            details: Vec::new(),
            postech_id: None,
            superseded: false,
        }
    }

    /// A row postech derives (a queue row, a seeded category).
    pub fn superseded(entity: Entity, v1_key: String) -> Self {
        Self {
            superseded: true,
            ..Self::new(entity, v1_key)
        }
    }

    /// Applies `rule`.
    pub fn apply(&mut self, rule: Rule) {
        if !self.rules.contains(&rule) {
            self.rules.push(rule);
        }
    }

    /// Applies `rule` with a specific.
    pub fn apply_with(&mut self, rule: Rule, detail: impl Into<String>) {
        self.apply(rule);
        self.details.push(detail.into());
    }

    /// Where the row ends up.
    pub fn outcome(&self) -> Outcome {
        Outcome::of(&self.rules, self.superseded)
    }

    /// The note's text: each rule's code and description, then the specifics.
    pub fn detail_text(&self) -> String {
        let mut parts: Vec<String> = self
            .rules
            .iter()
            .map(|rule| format!("{}: {}", rule.code(), rule.description()))
            .collect();
        parts.extend(self.details.iter().cloned());
        parts.join(" | ")
    }

    /// The rule codes, comma-separated (the form the notes insert splits).
    pub fn rule_codes(&self) -> String {
        self.rules
            .iter()
            .map(|rule| rule.code())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Lower case, no accents, inner runs of spaces and underscores as one space, trimmed:
/// `" Em  Preparação"` and `"em_preparacao"` both become `"em preparacao"`.
pub fn fold(text: &str) -> String {
    let folded: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            '_' => ' ',
            other => other,
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to `max` characters; `None` when it already fits.
pub fn truncated(text: &str, max: usize) -> Option<String> {
    (text.chars().count() > max).then(|| text.chars().take(max).collect())
}

/// A v1 value quoted for a note: at most 40 characters, so a free-text column cannot carry
/// much into the audit trail. Only used for status strings, never for personal data.
pub fn quoted(value: &str) -> String {
    let cut: String = value.chars().take(40).collect();
    let ellipsis = if value.chars().count() > 40 {
        "…"
    } else {
        ""
    };
    format!("{cut:?}{ellipsis}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_spacing_and_underscores() {
        assert_eq!(fold(" Em  Preparação "), "em preparacao");
        assert_eq!(fold("EM_PREPARACAO"), "em preparacao");
        assert_eq!(fold("Sobremesa"), "sobremesa");
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncated("ação", 3), Some("açã".to_owned()));
        assert_eq!(truncated("ação", 4), None);
    }
}
