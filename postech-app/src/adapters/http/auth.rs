//! Bearer tokens → [`Caller`]. The app re-verifies every token (defence in depth behind the
//! gateway's authorizer) with public keys only, held in the SDK's [`VerificationKeyRing`]:
//! with a key secret configured, a token signed with a newly rotated key makes the ring
//! re-read the secret, which is why extraction is asynchronous.
//!
//! * no `Authorization` header → anonymous on public routes, 401 on protected ones;
//! * a token that does not verify → 401 everywhere (a client that sends a broken token wants
//!   to know, even on a public route);
//! * a valid token without the role a route needs → 403;
//! * a revoked token (`jti` or `kid` listed in the verification-key secret) → 401, within
//!   the key ring's re-read bound.
//!
//! An admin token is honoured only while Cognito reports its admin enabled and in group
//! `admin` ([`AdminStatusCache`], asked at most `ADMIN_STATUS_CACHE_SECONDS` ago, ≤ 60 s):
//! disabling an admin ends their live tokens within that bound (401), not at their expiry.
//!
//! Customer tokens come in two assurance levels (`amr`): a kiosk token (a CPF alone) and a
//! step-up token (a one-time code e-mailed to the customer). [`CustomerCaller`] tells the
//! handlers which; a customer token naming neither method is refused (403), as the gateway's
//! authorizer refuses it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;

use crate::adapters::http::error::ApiError;
use crate::application::caller::{Caller, PersonalData};
use crate::application::error::ErrorChain;
use crate::domain::ids::CustomerId;
use postech_shared_sdk::cognito::{AdminStatusCache, CognitoError};
use postech_shared_sdk::secrets::VerificationKeyRing;
use postech_shared_sdk::token::{AuthMethod, CLOCK_TOLERANCE, Role, VerifiedToken};

/// A bearer token and the keys to check it with, taken out of the request so the
/// verification future owns what it needs.
struct PendingToken {
    token: String,
    keys: web::Data<VerificationKeyRing>,
    admins: web::Data<AdminStatusCache>,
}

/// `None` when the request carries no `Authorization` header.
fn pending_token(request: &HttpRequest) -> Result<Option<PendingToken>, ApiError> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|text| {
            text.strip_prefix("Bearer ")
                .or_else(|| text.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("Cabeçalho Authorization inválido".to_owned()))?;
    let keys = request
        .app_data::<web::Data<VerificationKeyRing>>()
        .ok_or_else(|| ApiError::Internal("token verification keys not configured".into()))?
        .clone();
    let admins = request
        .app_data::<web::Data<AdminStatusCache>>()
        .ok_or_else(|| ApiError::Internal("admin status cache not configured".into()))?
        .clone();
    Ok(Some(PendingToken {
        token: token.to_owned(),
        keys,
        admins,
    }))
}

/// The verified token of the request; `None` without an `Authorization` header.
fn verified_token_of(
    request: &HttpRequest,
) -> LocalBoxFuture<'static, Result<Option<VerifiedToken>, ApiError>> {
    let pending = pending_token(request);
    async move {
        let Some(PendingToken {
            token,
            keys,
            admins,
        }) = pending?
        else {
            return Ok(None);
        };
        let verified = keys.verify(&token).await.map_err(|error| {
            tracing::info!(reason = %error, "token refused");
            ApiError::Unauthorized("Token inválido ou expirado".to_owned())
        })?;
        if verified.role == Role::Admin {
            match admins.is_active(&verified.subject).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::info!(
                        reason = "admin disabled or out of group admin",
                        "token refused"
                    );
                    return Err(ApiError::Unauthorized(
                        "Token inválido ou expirado".to_owned(),
                    ));
                }
                // Never asked successfully and Cognito is failing: the token stands (its login
                // was checked by Cognito); a Cognito outage must not lock the kitchen out.
                Err(error) => warn_status_unavailable(&error),
            }
        }
        Ok(Some(verified))
    }
    .boxed_local()
}

/// At most one "admin status unavailable" warning per this many seconds: while Cognito is
/// down every admin request honours its token, and a line each would flood the logs (and, at
/// thousands of kitchen polls a second, slow the requests that write them).
const STATUS_WARNING_INTERVAL_SECONDS: u64 = 10;

/// When the last of those warnings was logged, in seconds since the Unix epoch.
static LAST_STATUS_WARNING: AtomicU64 = AtomicU64::new(0);

fn warn_status_unavailable(error: &CognitoError) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let last = LAST_STATUS_WARNING.load(Ordering::Relaxed);
    let due = now >= last.saturating_add(STATUS_WARNING_INTERVAL_SECONDS)
        && LAST_STATUS_WARNING
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok();
    if due {
        tracing::warn!(
            error = %ErrorChain(error),
            "admin status unavailable: token honoured (repeats logged at debug for {STATUS_WARNING_INTERVAL_SECONDS} s)"
        );
    } else {
        tracing::debug!(error = %ErrorChain(error), "admin status unavailable: token honoured");
    }
}

fn caller_of(request: &HttpRequest) -> LocalBoxFuture<'static, Result<Caller, ApiError>> {
    verified_token_of(request)
        .map(|verified| match verified? {
            None => Ok(Caller::Anonymous),
            Some(verified) => caller_from(verified),
        })
        .boxed_local()
}

fn caller_from(verified: VerifiedToken) -> Result<Caller, ApiError> {
    match verified.role {
        Role::Admin => Ok(Caller::Admin {
            username: verified.subject,
        }),
        Role::Customer => {
            let personal_data = if verified.may_read_personal_data() {
                PersonalData::Full
            } else {
                PersonalData::Masked
            };
            verified
                .customer_id()
                .map(|id| Caller::Customer(id, personal_data))
                .ok_or_else(|| ApiError::Unauthorized("Token inválido ou expirado".to_owned()))
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        caller_of(request)
    }
}

/// How far a customer's login went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerAssurance {
    /// A CPF alone (`amr: ["cpf"]`): personal data masked, orders of this visit only.
    Kiosk {
        /// When the visit began: the token's `iat`, less the clock tolerance.
        visit_started_at: chrono::DateTime<chrono::Utc>,
    },
    /// A one-time code too (`amr` with `otp`): the full profile and order history.
    SteppedUp,
}

/// A caller holding a customer token, and its assurance level.
#[derive(Clone, Copy, Debug)]
pub struct CustomerCaller {
    /// The customer.
    pub id: CustomerId,
    /// What the login proved.
    pub assurance: CustomerAssurance,
}

impl FromRequest for CustomerCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        verified_token_of(request)
            .map(|verified| {
                let Some(verified) = verified? else {
                    return Err(ApiError::missing_token());
                };
                let assurance = if verified.may_read_personal_data() {
                    CustomerAssurance::SteppedUp
                } else if verified.amr.contains(&AuthMethod::Cpf) {
                    let tolerance = chrono::Duration::from_std(CLOCK_TOLERANCE)
                        .unwrap_or_else(|_| chrono::Duration::zero());
                    CustomerAssurance::Kiosk {
                        visit_started_at: verified.issued_at - tolerance,
                    }
                } else if verified.role == Role::Customer {
                    return Err(ApiError::Forbidden(
                        "Token de cliente sem método de login reconhecido".to_owned(),
                    ));
                } else {
                    return Err(ApiError::Forbidden("Rota exclusiva de clientes".to_owned()));
                };
                match caller_from(verified)? {
                    Caller::Customer(id, _) => Ok(CustomerCaller { id, assurance }),
                    _ => Err(ApiError::Forbidden("Rota exclusiva de clientes".to_owned())),
                }
            })
            .boxed_local()
    }
}

/// A caller holding an admin token.
#[derive(Clone, Debug)]
pub struct AdminCaller(pub Caller);

impl FromRequest for AdminCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        caller_of(request)
            .map(|caller| match caller {
                Ok(caller @ Caller::Admin { .. }) => Ok(AdminCaller(caller)),
                Ok(Caller::Anonymous) => Err(ApiError::missing_token()),
                Ok(Caller::Customer(..)) => Err(ApiError::Forbidden(
                    "Rota exclusiva de administradores".to_owned(),
                )),
                Err(error) => Err(error),
            })
            .boxed_local()
    }
}

/// A caller holding an admin token, and when that token expires: for a response that
/// outlives its request (the kitchen event stream), which must end when the token does.
#[derive(Clone, Debug)]
pub struct AdminSession {
    /// The admin.
    pub caller: Caller,
    /// The token's `exp`.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl FromRequest for AdminSession {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        verified_token_of(request)
            .map(|verified| match verified? {
                None => Err(ApiError::missing_token()),
                Some(verified) => {
                    let expires_at = verified.expires_at;
                    match caller_from(verified)? {
                        caller @ Caller::Admin { .. } => Ok(AdminSession { caller, expires_at }),
                        _ => Err(ApiError::Forbidden(
                            "Rota exclusiva de administradores".to_owned(),
                        )),
                    }
                }
            })
            .boxed_local()
    }
}
