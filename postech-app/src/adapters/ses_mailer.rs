//! The registration's e-mail channel in production: Amazon SES (API v2, `SendEmail`) from a
//! sender identity verified in SES (`REGISTRATION_EMAIL_FROM`). Every call is bounded by
//! [`postech_shared_sdk::aws_timeouts`], like the Cognito client, and any failure is
//! [`PortError::Unavailable`]: the registration is undone and answers 503 with `Retry-After`.
//! Neither the code nor the recipient's address is ever logged: an SES error is reduced to
//! its code (its message may quote addresses).

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use secrecy::{ExposeSecret, SecretString};

use crate::application::customers::VerificationMailer;
use crate::application::error::PortError;
use crate::domain::ids::CustomerId;

const DEPENDENCY: &str = "ses";
const CHARSET: &str = "UTF-8";
const SUBJECT: &str = "Seu código de verificação";

/// Who sends the verification e-mails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SesSender {
    /// The `From` address: an identity verified in SES (`REGISTRATION_EMAIL_FROM`).
    pub from: String,
    /// The SES configuration set of the messages, if any (`REGISTRATION_EMAIL_CONFIGURATION_SET`).
    pub configuration_set: Option<String>,
}

/// Sends the verification codes through SES.
#[derive(Clone, Debug)]
pub struct SesMailer {
    client: Client,
    sender: SesSender,
}

impl SesMailer {
    /// A mailer on `aws` (region, credentials, endpoint), its calls bounded.
    pub fn new(aws: &aws_config::SdkConfig, sender: SesSender) -> Self {
        Self {
            client: Client::new(&postech_shared_sdk::aws_timeouts::bounded(aws)),
            sender,
        }
    }
}

/// The text of the message: the code and how long it lasts is all the customer needs.
fn body_text(code: &str) -> String {
    format!(
        "Olá!\n\nSeu código de verificação é: {code}\n\n\
         Informe-o para confirmar seu cadastro. Se você não pediu este cadastro, ignore esta \
         mensagem.\n"
    )
}

fn content(text: impl Into<String>) -> Result<Content, PortError> {
    Content::builder()
        .data(text)
        .charset(CHARSET)
        .build()
        .map_err(|error| PortError::Unexpected {
            dependency: DEPENDENCY,
            cause: error.into(),
        })
}

/// What of an SES error may go to the logs: its kind or error code, never its message.
fn unavailable<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> PortError {
    let cause = match error {
        SdkError::ServiceError(service) => format!(
            "SendEmail refused: {}",
            service.err().code().unwrap_or("unknown error code")
        ),
        SdkError::TimeoutError(_) => "SendEmail timed out".to_owned(),
        SdkError::DispatchFailure(_) => "SendEmail not dispatched (connection)".to_owned(),
        SdkError::ResponseError(_) => "SendEmail answer unreadable".to_owned(),
        _ => "SendEmail request not built".to_owned(),
    };
    // Text, not the SDK error as a #[source]: its message may quote the address.
    PortError::Unavailable {
        dependency: DEPENDENCY,
        cause: cause.into(),
    }
}

#[async_trait::async_trait]
impl VerificationMailer for SesMailer {
    async fn send_code(
        &self,
        customer_id: CustomerId,
        email: &str,
        code: &SecretString,
    ) -> Result<(), PortError> {
        let message = Message::builder()
            .subject(content(SUBJECT)?)
            .body(
                Body::builder()
                    .text(content(body_text(code.expose_secret()))?)
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .from_email_address(&self.sender.from)
            .destination(Destination::builder().to_addresses(email).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.sender.configuration_set.clone())
            .send()
            .await
            .map_err(|error| unavailable(&error))?;
        tracing::info!(%customer_id, "verification e-mail sent");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_holds_the_code() {
        assert!(body_text("123456").contains("código de verificação é: 123456"));
    }
}
