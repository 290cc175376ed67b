//! **Local double** of Cognito's passwordless e-mail codes (`USER_AUTH` with `EMAIL_OTP`), for
//! the tests and the local stack only — never wired into the Lambda binaries.
//!
//! moto (5.2.5, the version pinned in `tools/requirements-dev.txt`) refuses the `USER_AUTH`
//! flow (`InvalidParameterException: Value 'USER_AUTH' at 'authFlow' failed to satisfy
//! constraint`), so this wrapper answers exactly that part in memory and delegates everything
//! else (customer lookups, admin logins) to the real directory — moto's Cognito in the tests.
//! It behaves as Cognito documents the flow: a code only for an enabled customer with an
//! e-mail, 8 digits, valid 3 minutes, one use, three wrong tries end the session. Codes are
//! "delivered" to an [`Outbox`] the test (or the local walkthrough, through a file) reads.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use postech_shared_sdk::cognito::{
    AdminIdentity, AdminLoginStep, CallerContext, CognitoError, CustomerIdentity, PendingChallenge,
};
use postech_shared_sdk::cpf::Cpf;
use secrecy::{ExposeSecret, SecretString};

use crate::auth::authenticate::{AdminDirectory, CustomerDirectory};

/// How long a code is valid, as Cognito's e-mail codes.
pub const CODE_TTL: Duration = Duration::from_secs(180);
/// Wrong answers that end a session.
pub const MAX_ATTEMPTS: u32 = 3;

/// Where the double "sends" codes: the CPF digits and the code, newest last.
#[derive(Clone, Default)]
pub struct Outbox {
    sent: Arc<Mutex<Vec<(String, String)>>>,
    file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// An outbox that also appends `<cpf digits> <code>` lines to `file` (the local
    /// walkthrough reads the code there, as a customer would read their e-mail).
    pub fn with_file(file: impl Into<std::path::PathBuf>) -> Self {
        Self {
            sent: Arc::default(),
            file: Some(file.into()),
        }
    }

    /// The last code sent for this CPF.
    pub fn last_code_for(&self, cpf: &Cpf) -> Option<String> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .rev()
            .find(|(digits, _)| digits == cpf.as_digits())
            .map(|(_, code)| code.clone())
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

    fn deliver(&self, cpf: &Cpf, code: &str) {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((cpf.as_digits().to_owned(), code.to_owned()));
        if let Some(file) = &self.file {
            use std::io::Write;
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .and_then(|mut file| writeln!(file, "{} {code}", cpf.as_digits()));
            if let Err(error) = written {
                tracing::error!(%error, "local OTP outbox not writable");
            }
        }
    }
}

struct Pending {
    cpf_digits: String,
    code: String,
    expires_at: Instant,
    attempts: u32,
}

/// A directory whose e-mail codes are the local double's and everything else `inner`'s.
#[derive(Clone)]
pub struct EmailOtpDouble<D> {
    inner: D,
    outbox: Outbox,
    sessions: Arc<Mutex<HashMap<String, Pending>>>,
    /// Moves "now" forward, so tests can expire a code without waiting.
    clock_offset: Arc<Mutex<Duration>>,
}

impl<D: std::fmt::Debug> std::fmt::Debug for EmailOtpDouble<D> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("EmailOtpDouble")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<D> EmailOtpDouble<D> {
    /// Wraps `inner`, delivering codes to `outbox`.
    pub fn new(inner: D, outbox: Outbox) -> Self {
        Self {
            inner,
            outbox,
            sessions: Arc::default(),
            clock_offset: Arc::default(),
        }
    }

    /// Lets `elapsed` pass for the codes (tests of expiry).
    pub fn advance_clock(&self, elapsed: Duration) {
        *self
            .clock_offset
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += elapsed;
    }

    fn now(&self) -> Instant {
        Instant::now()
            + *self
                .clock_offset
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
    }
}

fn random_code() -> String {
    // 8 decimal digits from a v4 UUID's random bits.
    let value = uuid::Uuid::new_v4().as_u128() % 100_000_000;
    format!("{value:08}")
}

impl<D: CustomerDirectory> CustomerDirectory for EmailOtpDouble<D> {
    fn find_customer_by_cpf(
        &self,
        cpf: &Cpf,
    ) -> impl Future<Output = Result<CustomerIdentity, CognitoError>> + Send {
        self.inner.find_customer_by_cpf(cpf)
    }

    async fn start_email_otp(
        &self,
        cpf: &Cpf,
        _context: &CallerContext,
    ) -> Result<PendingChallenge, CognitoError> {
        let customer = self.inner.find_customer_by_cpf(cpf).await?;
        if customer.email.is_none() {
            return Err(CognitoError::InvalidCredentials);
        }
        let session = uuid::Uuid::new_v4().simple().to_string();
        let code = random_code();
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                session.clone(),
                Pending {
                    cpf_digits: cpf.as_digits().to_owned(),
                    code: code.clone(),
                    expires_at: self.now() + CODE_TTL,
                    attempts: 0,
                },
            );
        self.outbox.deliver(cpf, &code);
        Ok(PendingChallenge {
            session: SecretString::from(session),
        })
    }

    async fn verify_email_otp(
        &self,
        cpf: &Cpf,
        challenge: &PendingChallenge,
        code: &SecretString,
        _context: &CallerContext,
    ) -> Result<CustomerIdentity, CognitoError> {
        let now = self.now();
        let accepted = {
            let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
            let key = challenge.session.expose_secret();
            match sessions.get_mut(key) {
                Some(pending) if pending.cpf_digits != cpf.as_digits() => false,
                Some(pending) if now >= pending.expires_at => {
                    sessions.remove(key);
                    false
                }
                Some(pending) if pending.code == code.expose_secret() => {
                    sessions.remove(key);
                    true
                }
                Some(pending) => {
                    pending.attempts += 1;
                    if pending.attempts >= MAX_ATTEMPTS {
                        sessions.remove(key);
                    }
                    false
                }
                None => false,
            }
        };
        if !accepted {
            return Err(CognitoError::InvalidCredentials);
        }
        self.inner.find_customer_by_cpf(cpf).await
    }
}

/// Admin logins, TOTP step included, go to the real directory: moto emulates them.
impl<D: AdminDirectory> AdminDirectory for EmailOtpDouble<D> {
    fn start_admin_login(
        &self,
        username: &str,
        password: &SecretString,
        context: &CallerContext,
    ) -> impl Future<Output = Result<AdminLoginStep, CognitoError>> + Send {
        self.inner.start_admin_login(username, password, context)
    }

    fn respond_admin_totp(
        &self,
        username: &str,
        challenge: &PendingChallenge,
        code: &SecretString,
        context: &CallerContext,
    ) -> impl Future<Output = Result<AdminIdentity, CognitoError>> + Send {
        self.inner
            .respond_admin_totp(username, challenge, code, context)
    }
}
