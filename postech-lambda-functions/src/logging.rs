//! The functions' logs: the SDK's JSON logs and traces, with a log filter that never lets a
//! request or response payload through, whatever `RUST_LOG` says.
//!
//! `lambda_runtime` logs every raw invocation event at TRACE — the CPF, the admin password,
//! the `Authorization` header — and the AWS SDK logs every response or error at TRACE, whose
//! messages may echo the username of a login. `RUST_LOG=info` in serverless.yml keeps them out
//! today, but one `RUST_LOG=trace` set to debug an incident would write credentials and CPFs
//! to CloudWatch. So [`payload_safe_log_filter`] appends [`PAYLOAD_LOG_CAPS`] to the filter,
//! and drops span-scoped directives (`[span]=trace`), which the filter would otherwise honour
//! before any cap.

use postech_shared_sdk::telemetry::{
    self, DEFAULT_LOG_FILTER, TelemetryConfig, TelemetryError, TelemetryGuard,
};

/// Directives appended to every filter. A directive's level holds for its target and the
/// modules below it unless a directive naming a longer target says otherwise, and a later
/// directive for the same target replaces an earlier one: so each cap names the exact target
/// of the event it holds back (`lambda_runtime::layers::api_response`: "raw JSON event
/// received from Lambda"; `aws_smithy_runtime::client::orchestrator`: `output_or_error`), plus
/// the crate as a whole.
pub const PAYLOAD_LOG_CAPS: &str = "lambda_runtime=info,\
lambda_runtime::layers::api_response=info,\
aws_smithy_runtime=debug,\
aws_smithy_runtime::client::orchestrator=debug";

/// `filter` (a `RUST_LOG` value) without its span-scoped directives, followed by
/// [`PAYLOAD_LOG_CAPS`].
///
/// ```
/// use postech_lambda_functions::logging::payload_safe_log_filter;
///
/// let filter = payload_safe_log_filter("trace,[Lambda runtime invoke]=trace");
/// assert!(filter.starts_with("trace,lambda_runtime=info,"), "{filter}");
/// ```
pub fn payload_safe_log_filter(filter: &str) -> String {
    let (kept, _) = split_span_directives(filter);
    let base = if kept.is_empty() {
        DEFAULT_LOG_FILTER.to_owned()
    } else {
        kept.join(",")
    };
    format!("{base},{PAYLOAD_LOG_CAPS}")
}

/// Installs the SDK's telemetry for a function with [`payload_safe_log_filter`] applied to
/// `RUST_LOG`, and warns about the directives it dropped.
pub fn init_telemetry(
    service_name: &str,
    service_version: &str,
) -> Result<TelemetryGuard, TelemetryError> {
    let mut config = TelemetryConfig::from_env(service_name, service_version);
    let (_, dropped) = split_span_directives(&config.log_filter);
    config.log_filter = payload_safe_log_filter(&config.log_filter);
    let guard = telemetry::init(config)?;
    if !dropped.is_empty() {
        tracing::warn!(
            ?dropped,
            "span-scoped RUST_LOG directives ignored: they would enable payload logging"
        );
    }
    Ok(guard)
}

/// The directives of `filter` without a span part, and those with one. Directives are split
/// on commas outside `[...]` and `{...}` (field values may hold commas).
fn split_span_directives(filter: &str) -> (Vec<String>, Vec<String>) {
    let mut directives = Vec::new();
    let mut current = String::new();
    let mut depth = 0_usize;
    for character in filter.chars() {
        match character {
            '[' | '{' => depth += 1,
            ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                directives.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(character);
    }
    directives.push(current);
    directives
        .into_iter()
        .map(|directive| directive.trim().to_owned())
        .filter(|directive| !directive.is_empty())
        .partition(|directive| !directive.contains('['))
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What the functions would log, under `rust_log`, for lambda_runtime's raw event, the AWS
    /// SDK's response dump and one of the functions' own TRACE events, all inside the span
    /// lambda_runtime opens per invocation.
    fn logged_under(rust_log: &str) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let config = TelemetryConfig {
            service_name: "log-filter-test".into(),
            service_version: "0".into(),
            log_filter: payload_safe_log_filter(rust_log),
            otlp_endpoint: None,
            sampling_ratio: 1.0,
        };
        let (subscriber, _guard) =
            telemetry::build_subscriber(&config, move || writer.clone()).expect("valid filter");
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("Lambda runtime invoke", requestId = "r-1");
            let _entered = span.enter();
            tracing::trace!(
                target: "lambda_runtime::layers::api_response",
                body = r#"{"cpf":"52998224725"}"#,
                "raw JSON event received from Lambda"
            );
            tracing::trace!(
                target: "aws_smithy_runtime::client::orchestrator",
                output_or_error = "message: 52998224725"
            );
            tracing::trace!(target: "postech_lambda_functions", "own trace event");
        });
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn no_rust_log_lifts_the_payload_caps() {
        for rust_log in [
            "trace",
            "lambda_runtime=trace,aws_smithy_runtime=trace",
            "lambda_runtime::layers::api_response=trace,aws_smithy_runtime::client::orchestrator=trace",
            "[Lambda runtime invoke]=trace",
            "info,[{requestId}]=trace,postech_lambda_functions=trace",
        ] {
            let logs = logged_under(rust_log);
            assert!(!logs.contains("52998224725"), "{rust_log}: {logs}");
        }
    }

    #[test]
    fn the_rest_of_the_filter_still_applies() {
        assert!(logged_under("trace").contains("own trace event"));
        assert!(!logged_under("info").contains("own trace event"));
    }

    #[test]
    fn span_directives_are_dropped_and_field_commas_kept_together() {
        let (kept, dropped) =
            split_span_directives("info, [span{a=1,b=2}]=trace ,postech_lambda_functions=debug");
        assert_eq!(kept, ["info", "postech_lambda_functions=debug"]);
        assert_eq!(dropped, ["[span{a=1,b=2}]=trace"]);
        assert_eq!(
            payload_safe_log_filter("[x]=trace"),
            format!("{DEFAULT_LOG_FILTER},{PAYLOAD_LOG_CAPS}")
        );
    }
}
