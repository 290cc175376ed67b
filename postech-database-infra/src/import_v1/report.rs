//! The final report: where every v1 row went (the counts add up to v1's row counts), what
//! this run wrote, the refused rows with their reasons, and `--verify`'s comparison.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::Mode;
use super::decide::Verdict;
use super::rules::{Entity, Outcome, Rule};
use super::target::Tally;

/// Where the rows of one v1 table went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutcomeCounts {
    /// Imported as they were.
    pub clean: u64,
    /// Imported with mechanical repairs.
    pub repaired: u64,
    /// Imported with a flag.
    pub flagged: u64,
    /// Folded into another row.
    pub merged: u64,
    /// Derived or seeded by postech, nothing to import.
    pub superseded: u64,
    /// Refused (listed in `rejects`).
    pub rejected: u64,
}

impl OutcomeCounts {
    fn add(&mut self, outcome: Outcome) {
        let slot = match outcome {
            Outcome::Clean => &mut self.clean,
            Outcome::Repaired => &mut self.repaired,
            Outcome::Flagged => &mut self.flagged,
            Outcome::Merged => &mut self.merged,
            Outcome::Superseded => &mut self.superseded,
            Outcome::Rejected => &mut self.rejected,
        };
        *slot += 1;
    }

    /// Every row counted once.
    pub fn total(&self) -> u64 {
        self.clean + self.repaired + self.flagged + self.merged + self.superseded + self.rejected
    }
}

/// One v1 table in the report.
#[derive(Debug, Clone, Serialize)]
pub struct EntityReport {
    /// The entity.
    pub entity: Entity,
    /// Its v1 table.
    pub v1_table: &'static str,
    /// `count(*)` of the table in the snapshot.
    pub v1_rows: u64,
    /// Where they went; adds up to `v1_rows`.
    pub outcomes: OutcomeCounts,
    /// Rows this run wrote (an import) or would write (a dry run).
    pub written: u64,
    /// Rows an earlier run had already imported.
    pub already_present: u64,
}

/// A v1 row with rules applied, as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct NotedRow {
    /// The entity.
    pub entity: Entity,
    /// Its v1 key.
    pub v1_key: String,
    /// Where it went.
    pub outcome: Outcome,
    /// The rule codes (see `rules` of the report).
    pub rules: Vec<&'static str>,
    /// Specifics.
    pub details: Vec<String>,
}

/// One comparison of `--verify`.
#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    /// The entity.
    pub entity: Entity,
    /// What is measured.
    pub measure: String,
    /// Derived from v1 by the rules.
    pub expected: i128,
    /// Found in postech.
    pub found: i128,
}

/// Cognito's part.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IdentityCounts {
    /// Identities registered by this run (an import) or to register (a dry run).
    pub registered: u64,
}

/// The whole report (also written as JSON with `--report`).
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// What the run did.
    pub mode: Mode,
    /// v1's Alembic revision(s).
    pub v1_revisions: Vec<String>,
    /// Rows per batch (per transaction).
    pub batch_size: usize,
    /// Every v1 table.
    pub entities: Vec<EntityReport>,
    /// Cognito.
    pub cognito: IdentityCounts,
    /// Notes inserted, updated or deleted.
    pub notes_changed: u64,
    /// `--verify`: every comparison, and whether all agree.
    pub verification: Option<Verification>,
    /// The code and description of every rule that occurs below.
    pub rules: BTreeMap<&'static str, &'static str>,
    /// The refused rows.
    pub rejects: Vec<NotedRow>,
    /// The other rows with rules (repaired, flagged, merged, superseded with a remark).
    pub notes: Vec<NotedRow>,
    /// Wall-clock seconds.
    pub elapsed_seconds: f64,
}

/// `--verify`'s result.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Whether every measure agrees.
    pub consistent: bool,
    /// Every comparison.
    pub measures: Vec<Measure>,
}

/// Collects the verdicts of a run.
#[derive(Debug, Default)]
pub struct ReportBuilder {
    outcomes: BTreeMap<Entity, OutcomeCounts>,
    rejects: Vec<NotedRow>,
    notes: Vec<NotedRow>,
    rules_seen: BTreeMap<&'static str, &'static str>,
}

impl ReportBuilder {
    /// Counts a verdict, and lists it when it has rules.
    pub fn record(&mut self, verdict: &Verdict) {
        let outcome = verdict.outcome();
        self.outcomes
            .entry(verdict.entity)
            .or_default()
            .add(outcome);
        if verdict.rules.is_empty() {
            return;
        }
        for rule in &verdict.rules {
            self.rules_seen.insert(rule.code(), rule.description());
        }
        let row = NotedRow {
            entity: verdict.entity,
            v1_key: verdict.v1_key.clone(),
            outcome,
            rules: verdict.rules.iter().map(|rule| Rule::code(*rule)).collect(),
            details: verdict.details.clone(),
        };
        if outcome == Outcome::Rejected {
            self.rejects.push(row);
        } else {
            self.notes.push(row);
        }
    }

    /// The report; fails when the outcomes of a table do not add up to its row count (a bug
    /// of the import: a row would have been lost without a word).
    pub fn finish(
        self,
        mode: Mode,
        v1_revisions: Vec<String>,
        batch_size: usize,
        v1_rows: [u64; 7],
        tally: Tally,
        elapsed_seconds: f64,
    ) -> Result<ImportReport, String> {
        let mut entities = Vec::new();
        for (entity, rows) in Entity::ALL.into_iter().zip(v1_rows) {
            let outcomes = self.outcomes.get(&entity).cloned().unwrap_or_default();
            if outcomes.total() != rows {
                return Err(format!(
                    "{}: {} rows, but {} were accounted for",
                    entity.v1_table(),
                    rows,
                    outcomes.total()
                ));
            }
            entities.push(EntityReport {
                entity,
                v1_table: entity.v1_table(),
                v1_rows: rows,
                outcomes,
                written: tally.written.get(&entity).copied().unwrap_or_default(),
                already_present: tally
                    .already_present
                    .get(&entity)
                    .copied()
                    .unwrap_or_default(),
            });
        }
        let verification = (mode == Mode::Verify).then(|| {
            let measures: Vec<Measure> = tally
                .expected
                .iter()
                .map(|((entity, measure), expected)| Measure {
                    entity: *entity,
                    measure: measure.clone(),
                    expected: *expected,
                    found: tally
                        .found
                        .get(&(*entity, measure.clone()))
                        .copied()
                        .unwrap_or_default(),
                })
                .collect();
            Verification {
                consistent: measures.iter().all(|m| m.expected == m.found),
                measures,
            }
        });
        Ok(ImportReport {
            mode,
            v1_revisions,
            batch_size,
            entities,
            cognito: IdentityCounts {
                registered: tally.identities,
            },
            notes_changed: tally.notes_changed,
            verification,
            rules: self.rules_seen,
            rejects: self.rejects,
            notes: self.notes,
            elapsed_seconds,
        })
    }
}

/// The summary printed at the end of a run.
impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (written, registered) = match self.mode {
            Mode::Import => ("written", "registered in Cognito"),
            Mode::DryRun => ("would write", "would register in Cognito"),
            Mode::Verify => ("-", "-"),
        };
        writeln!(
            f,
            "v1 revision {} — {} in {:.1}s, batches of {}",
            self.v1_revisions.join(" + "),
            match self.mode {
                Mode::Import => "import",
                Mode::DryRun => "dry run (nothing written)",
                Mode::Verify => "verification (nothing written)",
            },
            self.elapsed_seconds,
            self.batch_size
        )?;
        writeln!(
            f,
            "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>8} {:>11} {:>8}",
            "v1 table",
            "rows",
            "clean",
            "repaired",
            "flagged",
            "merged",
            "superseded",
            "rejected",
            written,
            "present"
        )?;
        for entity in &self.entities {
            let o = &entity.outcomes;
            writeln!(
                f,
                "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>8} {:>11} {:>8}",
                entity.v1_table,
                entity.v1_rows,
                o.clean,
                o.repaired,
                o.flagged,
                o.merged,
                o.superseded,
                o.rejected,
                entity.written,
                entity.already_present
            )?;
        }
        if self.mode != Mode::Verify {
            writeln!(f, "Customers {registered}: {}", self.cognito.registered)?;
        }
        if self.mode == Mode::Import {
            writeln!(f, "Import notes changed: {}", self.notes_changed)?;
        }
        writeln!(
            f,
            "Refused rows: {} (listed with their reasons in the JSON report, --report FILE, and in the table v1_import_notes)",
            self.rejects.len()
        )?;
        if let Some(verification) = &self.verification {
            for measure in &verification.measures {
                let mark = if measure.expected == measure.found {
                    "ok"
                } else {
                    "MISMATCH"
                };
                writeln!(
                    f,
                    "  {mark:<8} {:<12} {:<28} expected {:>14} found {:>14}",
                    measure.entity.code(),
                    measure.measure,
                    measure.expected,
                    measure.found
                )?;
            }
            writeln!(
                f,
                "{}",
                if verification.consistent {
                    "postech holds exactly what the import rules derive from v1."
                } else {
                    "postech does NOT hold what the import rules derive from v1 (see MISMATCH above): rerun the import, then verify again."
                }
            )?;
        }
        Ok(())
    }
}
