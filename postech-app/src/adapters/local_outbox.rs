//! **Local double** of the registration's e-mail channel, for the tests and the local stack:
//! the app has no e-mail provider wired yet (docs/MIGRATION-FROM-V1.md says what production
//! needs). Codes are "delivered" to memory, where a test reads them as the customer would read
//! their mailbox, and optionally appended to a file (`REGISTRATION_OUTBOX_FILE`) for the local
//! walkthrough. Never log what it holds: the codes are credentials.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use secrecy::{ExposeSecret, SecretString};

use crate::application::customers::VerificationMailer;
use crate::application::error::PortError;
use crate::domain::ids::CustomerId;

/// One delivered message.
#[derive(Clone)]
struct Delivered {
    customer_id: CustomerId,
    email: String,
    code: SecretString,
}

/// The outbox; clones share it.
#[derive(Clone, Default)]
pub struct LocalOutbox {
    sent: Arc<Mutex<Vec<Delivered>>>,
    file: Option<PathBuf>,
}

impl std::fmt::Debug for LocalOutbox {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LocalOutbox")
            .finish_non_exhaustive()
    }
}

impl LocalOutbox {
    /// An outbox that also appends `<e-mail> <code>` lines to `file`.
    pub fn with_file(file: impl Into<PathBuf>) -> Self {
        Self {
            sent: Arc::default(),
            file: Some(file.into()),
        }
    }

    /// The last code sent to `email`.
    pub fn last_code_for(&self, email: &str) -> Option<SecretString> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .rev()
            .find(|message| message.email == email)
            .map(|message| message.code.clone())
    }

    /// How many codes were sent to customer `id`.
    pub fn count_for(&self, id: CustomerId) -> usize {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|message| message.customer_id == id)
            .count()
    }

    /// How many codes were sent in all.
    pub fn len(&self) -> usize {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no code was sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait::async_trait]
impl VerificationMailer for LocalOutbox {
    async fn send_code(
        &self,
        customer_id: CustomerId,
        email: &str,
        code: &SecretString,
    ) -> Result<(), PortError> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Delivered {
                customer_id,
                email: email.to_owned(),
                code: code.clone(),
            });
        if let Some(file) = &self.file {
            use std::io::Write;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .and_then(|mut file| writeln!(file, "{email} {}", code.expose_secret()))
                .map_err(|error| PortError::Unavailable {
                    dependency: "local outbox",
                    cause: error.into(),
                })?;
        }
        Ok(())
    }
}
