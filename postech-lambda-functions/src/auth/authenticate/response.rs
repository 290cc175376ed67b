//! How outcomes become HTTP answers, in the v1 wire shapes (API-V1.md, "Conventions").

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use postech_shared_sdk::token::IssuedToken;
use serde::Serialize;
use serde_json::json;

/// One entry of a 422 answer, as FastAPI clients parse it: `{"loc", "msg", "type"}`. Never
/// carries the rejected input (it may be a CPF or a password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Where the problem is, e.g. `["body", "cpf"]`.
    pub loc: Vec<String>,
    /// What is wrong, in Portuguese.
    pub msg: String,
    /// The pydantic error type: `missing`, `string_type`, `value_error`, `json_invalid`…
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl FieldError {
    /// An error located at `body.<field>` (or at `body` itself when `field` is `None`).
    pub fn in_body(field: Option<&str>, kind: &'static str, msg: impl Into<String>) -> Self {
        let mut loc = vec!["body".to_owned()];
        loc.extend(field.map(str::to_owned));
        Self {
            loc,
            msg: msg.into(),
            kind,
        }
    }
}

/// Every way a request ends without a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 422: the body is not what the route accepts.
    Validation(Vec<FieldError>),
    /// 401: unknown or disabled CPF — one body for both, so CPFs cannot be enumerated.
    CustomerRefused,
    /// 401: unknown admin, wrong password, or not in group `admin`.
    AdminRefused,
    /// 401: a wrong, expired or reused one-time code, or a session that is not the CPF's.
    CodeRefused,
    /// 415: admin login in a body format other than JSON or a urlencoded form.
    UnsupportedMediaType,
    /// 404: no such route on this function.
    NotFound,
    /// 405: the route exists for `POST` only.
    MethodNotAllowed,
    /// 503: Cognito or Secrets Manager is throttling or down; worth a retry.
    Unavailable {
        /// Correlates the answer with the logs.
        request_id: String,
    },
    /// 500: a fault on our side; the body says nothing about it but the request id.
    Internal {
        /// Correlates the answer with the logs.
        request_id: String,
    },
}

impl ApiError {
    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::CustomerRefused | Self::AdminRefused | Self::CodeRefused => {
                StatusCode::UNAUTHORIZED
            }
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The answer: status, JSON body and the headers the status calls for.
    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        let body = match &self {
            Self::Validation(errors) => json!({ "detail": errors }),
            Self::CustomerRefused => {
                json!({ "detail": "Não foi possível autenticar com este CPF" })
            }
            Self::AdminRefused => json!({ "detail": "Usuário ou senha inválidos" }),
            Self::CodeRefused => json!({ "detail": "Código inválido ou expirado" }),
            Self::UnsupportedMediaType => json!({
                "detail": "Content-Type não suportado: use application/json ou application/x-www-form-urlencoded"
            }),
            Self::NotFound => json!({ "detail": "Rota não encontrada" }),
            Self::MethodNotAllowed => json!({ "detail": "Método não permitido" }),
            Self::Unavailable { request_id } => json!({
                "detail": "Serviço de autenticação indisponível; tente novamente em instantes",
                "request_id": request_id,
            }),
            Self::Internal { request_id } => json!({
                "detail": "Erro interno",
                "request_id": request_id,
            }),
        };
        let mut response = json_response(status, &body);
        let headers = response.headers_mut();
        match self {
            Self::CustomerRefused | Self::AdminRefused | Self::CodeRefused => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::MethodNotAllowed => {
                headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
            }
            Self::Unavailable { .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

/// 200 with `{"access_token", "token_type": "bearer", "expires_in"}`; never cached.
pub fn token_response(token: &IssuedToken) -> Response<Body> {
    let mut response = json_response(StatusCode::OK, &json!(token));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// How long a code request's session lasts at Cognito (3 minutes for e-mail codes).
pub const CODE_SESSION_SECONDS: u64 = 180;

/// 202 `{"sessao", "canal": "email", "expires_in"}` to a code request: the same answer whether
/// or not the CPF is registered with a verified e-mail (then no e-mail leaves and the
/// session is a decoy no code matches).
pub fn code_sent_response(session: &secrecy::SecretString) -> Response<Body> {
    use secrecy::ExposeSecret;
    let mut response = json_response(
        StatusCode::ACCEPTED,
        &json!({
            "sessao": session.expose_secret(),
            "canal": "email",
            "expires_in": CODE_SESSION_SECONDS,
        }),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// How long an admin has to type the TOTP code after the password step: Cognito's
/// `AdminInitiateAuth` session lasts 3 minutes.
pub const TOTP_SESSION_SECONDS: u64 = 180;

/// 202 `{"sessao", "desafio": "totp", "expires_in"}` to the password step of an admin with TOTP
/// MFA: send `username`, this `sessao` and the authenticator's `codigo` to the same route.
pub fn totp_required_response(session: &secrecy::SecretString) -> Response<Body> {
    use secrecy::ExposeSecret;
    let mut response = json_response(
        StatusCode::ACCEPTED,
        &json!({
            "sessao": session.expose_secret(),
            "desafio": "totp",
            "expires_in": TOTP_SESSION_SECONDS,
        }),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
