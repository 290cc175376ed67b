//! Reading the login bodies: `{"cpf"}` for customers; `username`/`password` as JSON or as a
//! urlencoded form (what v1 clients send) for admins.

use lambda_http::http::header;
use lambda_http::{Body, Request};
use postech_shared_sdk::cpf::{Cpf, CpfError};
use secrecy::SecretString;
use serde_json::{Map, Value};

use super::response::{ApiError, FieldError};

const REQUIRED: &str = "Campo obrigatório";

/// Admin credentials. The password is a [`SecretString`]: it never prints.
#[derive(Debug)]
pub struct AdminCredentials {
    /// The Cognito username.
    pub username: String,
    /// The password, as typed.
    pub password: SecretString,
}

/// What a `POST /auth` body asks for.
#[derive(Debug)]
pub enum CustomerRequest {
    /// `{"cpf"}`: a kiosk token (`amr: ["cpf"]`).
    Login(Cpf),
    /// `{"cpf", "enviar_codigo": true}`: e-mail a one-time code for a step-up.
    SendCode(Cpf),
    /// `{"cpf", "sessao", "codigo"}`: a step-up token (`amr: ["cpf", "otp"]`) for the code.
    VerifyCode {
        /// The customer.
        cpf: Cpf,
        /// The `sessao` the code request answered with.
        session: SecretString,
        /// The code from the e-mail.
        code: SecretString,
    },
}

impl CustomerRequest {
    /// The CPF the request is about.
    pub fn cpf(&self) -> &Cpf {
        match self {
            Self::Login(cpf) | Self::SendCode(cpf) | Self::VerifyCode { cpf, .. } => cpf,
        }
    }
}

/// The body of `POST /auth` (422 for a malformed CPF, a missing `sessao` beside `codigo`, …).
pub fn customer_request(request: &Request) -> Result<CustomerRequest, ApiError> {
    let object = json_object(request)?;
    let cpf = cpf_of(&object)?;
    let text_field = |name: &str| match object.get(name) {
        None | Some(Value::Null) => Err(one(name, "missing", REQUIRED)),
        Some(Value::String(text)) if !text.trim().is_empty() => {
            Ok(SecretString::from(text.trim().to_owned()))
        }
        Some(Value::String(_)) => Err(one(name, "missing", REQUIRED)),
        Some(_) => Err(one(name, "string_type", "O valor deve ser um texto")),
    };
    if object.contains_key("codigo") || object.contains_key("sessao") {
        return Ok(CustomerRequest::VerifyCode {
            cpf,
            session: text_field("sessao")?,
            code: text_field("codigo")?,
        });
    }
    match object.get("enviar_codigo") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(CustomerRequest::Login(cpf)),
        Some(Value::Bool(true)) => Ok(CustomerRequest::SendCode(cpf)),
        Some(_) => Err(one(
            "enviar_codigo",
            "bool_type",
            "O valor deve ser true ou false",
        )),
    }
}

/// The CPF of `POST /auth`, normalised and checked (422 otherwise).
pub fn customer_cpf(request: &Request) -> Result<Cpf, ApiError> {
    cpf_of(&json_object(request)?)
}

fn cpf_of(object: &Map<String, Value>) -> Result<Cpf, ApiError> {
    let text = match object.get("cpf") {
        None | Some(Value::Null) => return Err(one("cpf", "missing", REQUIRED)),
        Some(Value::String(text)) => text,
        Some(_) => return Err(one("cpf", "string_type", "O CPF deve ser um texto")),
    };
    Cpf::parse(text).map_err(|error| one("cpf", "value_error", cpf_message(error)))
}

/// What an admin login body asks for, from JSON or from a urlencoded form.
#[derive(Debug)]
pub enum AdminRequest {
    /// `username`, `password`: the password step (the whole login for an admin without MFA).
    Password(AdminCredentials),
    /// `username`, `sessao`, `codigo`: the TOTP step of an admin with MFA.
    Totp {
        /// The Cognito username, as in the password step.
        username: String,
        /// The `sessao` the password step answered with.
        session: SecretString,
        /// The code of the admin's authenticator app.
        code: SecretString,
    },
}

impl AdminRequest {
    /// The username the request is about.
    pub fn username(&self) -> &str {
        match self {
            Self::Password(credentials) => &credentials.username,
            Self::Totp { username, .. } => username,
        }
    }
}

const ADMIN_FIELDS: [&str; 4] = ["username", "password", "sessao", "codigo"];

/// The body of an admin login: the password step, or the TOTP step when `sessao` or `codigo`
/// is present (then `username`, `sessao` and `codigo` are required; 422 naming each missing).
pub fn admin_request(request: &Request) -> Result<AdminRequest, ApiError> {
    let mut fields = admin_fields(request)?;
    let totp_step = fields.contains_key("sessao") || fields.contains_key("codigo");
    let required: &[&str] = if totp_step {
        &["username", "sessao", "codigo"]
    } else {
        &["username", "password"]
    };
    let missing: Vec<FieldError> = required
        .iter()
        .filter(|name| !fields.contains_key(**name))
        .map(|name| FieldError::in_body(Some(name), "missing", REQUIRED))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::Validation(missing));
    }
    let mut take = |name: &str| fields.remove(name).unwrap_or_default();
    let username = take("username");
    Ok(if totp_step {
        AdminRequest::Totp {
            username,
            session: SecretString::from(take("sessao").trim().to_owned()),
            code: SecretString::from(take("codigo").trim().to_owned()),
        }
    } else {
        AdminRequest::Password(AdminCredentials {
            username,
            password: SecretString::from(take("password")),
        })
    })
}

/// The credentials of an admin's password step (422 for a TOTP step or missing fields).
pub fn admin_credentials(request: &Request) -> Result<AdminCredentials, ApiError> {
    match admin_request(request)? {
        AdminRequest::Password(credentials) => Ok(credentials),
        AdminRequest::Totp { .. } => Err(one("password", "missing", REQUIRED)),
    }
}

/// The admin login fields present in the body (absent and `null` JSON values left out).
fn admin_fields(
    request: &Request,
) -> Result<std::collections::HashMap<&'static str, String>, ApiError> {
    let mut fields = std::collections::HashMap::new();
    if is_form(request) {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body_bytes(request.body()))
            .map_err(|_| {
                ApiError::Validation(vec![FieldError::in_body(
                    None,
                    "value_error",
                    "Formulário inválido",
                )])
            })?;
        for name in ADMIN_FIELDS {
            if let Some((_, value)) = pairs.iter().find(|(key, _)| key == name) {
                fields.insert(name, value.clone());
            }
        }
    } else if accepts_json(request) {
        let object = json_object(request)?;
        let mut errors = Vec::new();
        for name in ADMIN_FIELDS {
            match object.get(name) {
                Some(Value::String(text)) => {
                    fields.insert(name, text.clone());
                }
                None | Some(Value::Null) => {}
                Some(_) => errors.push(FieldError::in_body(
                    Some(name),
                    "string_type",
                    "O valor deve ser um texto",
                )),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
    } else {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(fields)
}

fn cpf_message(error: CpfError) -> &'static str {
    match error {
        CpfError::InvalidFormat => {
            "CPF inválido: informe 11 dígitos, com ou sem a máscara 000.000.000-00"
        }
        CpfError::AllDigitsEqual => "CPF inválido: todos os dígitos são iguais",
        CpfError::WrongCheckDigits => "CPF inválido: os dígitos verificadores não conferem",
    }
}

fn one(field: &str, kind: &'static str, msg: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::in_body(Some(field), kind, msg)])
}

fn json_object(request: &Request) -> Result<Map<String, Value>, ApiError> {
    let bytes = body_bytes(request.body());
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Validation(vec![FieldError::in_body(
            None, "missing", REQUIRED,
        )]));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::Validation(vec![FieldError::in_body(
            None,
            "model_attributes_type",
            "O corpo deve ser um objeto JSON",
        )])),
        Err(_) => Err(ApiError::Validation(vec![FieldError::in_body(
            None,
            "json_invalid",
            "JSON inválido",
        )])),
    }
}

fn body_bytes(body: &Body) -> &[u8] {
    body.as_ref()
}

fn content_type(request: &Request) -> Option<String> {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

fn is_form(request: &Request) -> bool {
    content_type(request).as_deref() == Some("application/x-www-form-urlencoded")
}

/// JSON is assumed when no content type is given, as FastAPI does for JSON bodies.
fn accepts_json(request: &Request) -> bool {
    match content_type(request) {
        None => true,
        Some(kind) => kind == "application/json" || kind.ends_with("+json"),
    }
}
