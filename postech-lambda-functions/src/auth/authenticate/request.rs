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

impl AdminCredentials {
    /// The username as logs may show it: [`username_for_logs`].
    pub fn username_for_logs(&self) -> String {
        username_for_logs(&self.username)
    }
}

/// A username typed into the admin login, as logs may show it.
///
/// Customers' Cognito usernames are their CPFs, so a customer trying the admin form types a
/// CPF here, and a CPF never appears in logs in clear (LGPD). A CPF-shaped username (11
/// digits, bare or with `.`/`-`/spaces) is masked as [`Cpf::masked`] masks a CPF, whatever its
/// check digits; any other username holding 11 or more digits shows no digit at all; other
/// usernames are shown as typed (the audit trail of admin logins needs them).
///
/// ```
/// use postech_lambda_functions::auth::authenticate::username_for_logs;
///
/// assert_eq!(username_for_logs("529.982.247-25"), "***.***.***-25");
/// assert_eq!(username_for_logs("gerente"), "gerente");
/// ```
pub fn username_for_logs(username: &str) -> String {
    let digits: Vec<char> = username.chars().filter(char::is_ascii_digit).collect();
    let cpf_shaped = digits.len() == 11
        && username
            .chars()
            .all(|character| character.is_ascii_digit() || matches!(character, '.' | '-' | ' '));
    if cpf_shaped {
        // As `Cpf::masked`: the check digits only, which leave ten million candidates.
        let check: String = digits[9..11].iter().collect();
        format!("***.***.***-{check}")
    } else if digits.len() >= 11 {
        username
            .chars()
            .map(|character| {
                if character.is_ascii_digit() {
                    '*'
                } else {
                    character
                }
            })
            .collect()
    } else {
        username.to_owned()
    }
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

/// The credentials of an admin login, from JSON or from a urlencoded form.
pub fn admin_credentials(request: &Request) -> Result<AdminCredentials, ApiError> {
    let (username, password) = if is_form(request) {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body_bytes(request.body()))
            .map_err(|_| {
                ApiError::Validation(vec![FieldError::in_body(
                    None,
                    "value_error",
                    "Formulário inválido",
                )])
            })?;
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        (field("username"), field("password"))
    } else if accepts_json(request) {
        let object = json_object(request)?;
        let field = |name: &str| match object.get(name) {
            Some(Value::String(text)) => Ok(Some(text.clone())),
            None | Some(Value::Null) => Ok(None),
            Some(_) => Err(FieldError::in_body(
                Some(name),
                "string_type",
                "O valor deve ser um texto",
            )),
        };
        let username = field("username");
        let password = field("password");
        let errors: Vec<FieldError> = [&username, &password]
            .into_iter()
            .filter_map(|field| field.as_ref().err().cloned())
            .collect();
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        (username.ok().flatten(), password.ok().flatten())
    } else {
        return Err(ApiError::UnsupportedMediaType);
    };
    match (username, password) {
        (Some(username), Some(password)) => Ok(AdminCredentials {
            username,
            password: SecretString::from(password),
        }),
        (username, password) => {
            let mut missing = Vec::new();
            if username.is_none() {
                missing.push(FieldError::in_body(Some("username"), "missing", REQUIRED));
            }
            if password.is_none() {
                missing.push(FieldError::in_body(Some("password"), "missing", REQUIRED));
            }
            Err(ApiError::Validation(missing))
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cpf_typed_as_admin_username_is_masked_like_a_cpf() {
        let cpf = Cpf::parse("529.982.247-25").expect("valid CPF");
        for typed in ["52998224725", "529.982.247-25", " 529 982 247 25 "] {
            assert_eq!(username_for_logs(typed), cpf.masked(), "{typed:?}");
        }
        // Wrong check digits are still someone's CPF with a typo.
        assert_eq!(username_for_logs("529.982.247-26"), "***.***.***-26");
    }

    #[test]
    fn other_usernames_holding_a_cpf_show_no_digit() {
        assert_eq!(username_for_logs("cpf:52998224725"), "cpf:***********");
    }

    #[test]
    fn ordinary_usernames_are_shown_as_typed() {
        for typed in ["gerente", "caixa-02", "admin@postech.example"] {
            assert_eq!(username_for_logs(typed), typed);
        }
    }
}
