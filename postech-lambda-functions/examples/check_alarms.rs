//! Alarm checks on the packaged CloudFormation template (infra/alarms.yml).
//!
//! `cargo run --example check_alarms -- .serverless/cloudformation-template-update-stack.json`
//!
//! * The parameter `AlarmEmail` is required in substance: a string with a `MinLength` and an
//!   e-mail `AllowedPattern`, whose default (from `POSTECH_ALARM_EMAIL` at packaging) is an
//!   address, never empty.
//! * An SNS topic encrypted with a KMS key has an e-mail subscription to `AlarmEmail`.
//! * Every CloudWatch alarm notifies that topic (alarm and OK actions).
//! * Every Lambda function of the stack has alarms on its errors, throttles and duration, and
//!   the API Gateway on its 5xx, its 4xx and its latency.
//!
//! cfn-lint and checkov know none of this; scripts/validate-serverless.sh runs it on every
//! packaged template.

// A command-line check: its verdict goes to stdout.
#![allow(clippy::print_stdout)]

use std::collections::BTreeSet;
use std::process::ExitCode;

use serde_json::Value;

/// The parameter whose value the alarm topic e-mails.
const EMAIL_PARAMETER: &str = "AlarmEmail";

/// Lambda metrics each function must be alarmed on.
const FUNCTION_METRICS: [&str; 3] = ["Errors", "Throttles", "Duration"];

/// API Gateway metrics that must be alarmed on, each as any of its names (HTTP API, REST API).
const GATEWAY_METRICS: [&[&str]; 3] = [&["5xx", "5XXError"], &["4xx", "4XXError"], &["Latency"]];

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check_alarms <cloudformation template JSON>");
        return ExitCode::from(2);
    };
    let template = match std::fs::read_to_string(&path)
        .map_err(|error| error.to_string())
        .and_then(|text| serde_json::from_str::<Value>(&text).map_err(|error| error.to_string()))
    {
        Ok(template) => template,
        Err(error) => {
            eprintln!("{path}: {error}");
            return ExitCode::from(2);
        }
    };
    let problems = alarm_problems(&template);
    if problems.is_empty() {
        println!(
            "alarms hold: every function and the gateway alarmed, all notifying the topic that e-mails {EMAIL_PARAMETER}"
        );
        ExitCode::SUCCESS
    } else {
        for problem in &problems {
            eprintln!("{problem}");
        }
        ExitCode::FAILURE
    }
}

fn alarm_problems(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check_email_parameter(&template["Parameters"][EMAIL_PARAMETER], &mut problems);
    let Some(resources) = template["Resources"].as_object() else {
        return vec!["the template has no Resources".into()];
    };
    let topics: BTreeSet<&str> = resources
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::SNS::Subscription")
        .filter(|(_, resource)| {
            resource["Properties"]["Protocol"] == "email"
                && resource["Properties"]["Endpoint"]["Ref"] == EMAIL_PARAMETER
        })
        .filter_map(|(_, resource)| resource["Properties"]["TopicArn"]["Ref"].as_str())
        .filter(|topic| {
            resources.get(*topic).is_some_and(|resource| {
                resource["Type"] == "AWS::SNS::Topic"
                    && !resource["Properties"]["KmsMasterKeyId"].is_null()
            })
        })
        .collect();
    if topics.is_empty() {
        problems.push(format!(
            "no KMS-encrypted SNS topic has an e-mail subscription to the parameter {EMAIL_PARAMETER}"
        ));
    }

    let alarms: Vec<(&String, &Value)> = resources
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::CloudWatch::Alarm")
        .collect();
    for (name, alarm) in &alarms {
        for actions in ["AlarmActions", "OKActions"] {
            let notifies = alarm["Properties"][actions]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|action| action["Ref"].as_str())
                .any(|topic| topics.contains(topic));
            if !notifies {
                problems.push(format!(
                    "{name}: its {actions} do not notify the topic subscribed to {EMAIL_PARAMETER}"
                ));
            }
        }
    }

    let watched: Vec<(String, String, Vec<Value>)> = alarms
        .iter()
        .flat_map(|(_, alarm)| metrics_of(alarm))
        .collect();
    for (function, resource) in resources {
        if resource["Type"] != "AWS::Lambda::Function" {
            continue;
        }
        for metric in FUNCTION_METRICS {
            let alarmed = watched.iter().any(|(namespace, name, dimensions)| {
                namespace == "AWS/Lambda"
                    && name == metric
                    && dimensions.iter().any(|dimension| {
                        dimension["Name"] == "FunctionName"
                            && dimension["Value"]["Ref"] == function.as_str()
                    })
            });
            if !alarmed {
                problems.push(format!("{function}: no alarm on its {metric}"));
            }
        }
    }
    for names in GATEWAY_METRICS {
        let alarmed = watched.iter().any(|(namespace, name, _)| {
            namespace == "AWS/ApiGateway" && names.contains(&name.as_str())
        });
        if !alarmed {
            problems.push(format!(
                "the API Gateway has no alarm on {}",
                names.join(" or ")
            ));
        }
    }
    problems
}

fn check_email_parameter(parameter: &Value, problems: &mut Vec<String>) {
    if parameter.is_null() {
        problems.push(format!(
            "no parameter {EMAIL_PARAMETER}: nothing says whom the alarms reach"
        ));
        return;
    }
    if parameter["Type"] != "String" {
        problems.push(format!("{EMAIL_PARAMETER} is not a String parameter"));
    }
    if parameter["MinLength"].as_u64().unwrap_or(0) < 3 {
        problems.push(format!(
            "{EMAIL_PARAMETER} has no MinLength: an empty address would be accepted"
        ));
    }
    if !parameter["AllowedPattern"]
        .as_str()
        .is_some_and(|pattern| pattern.contains('@'))
    {
        problems.push(format!(
            "{EMAIL_PARAMETER} has no AllowedPattern requiring an e-mail address"
        ));
    }
    let default = parameter["Default"].as_str().unwrap_or_default();
    let looks_like_address = default
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !looks_like_address {
        problems.push(format!(
            "{EMAIL_PARAMETER} defaults to {default:?}, not an e-mail address (set POSTECH_ALARM_EMAIL when packaging)"
        ));
    }
}

/// (namespace, metric name, dimensions) of every metric an alarm reads, directly or through
/// metric math.
fn metrics_of(alarm: &Value) -> Vec<(String, String, Vec<Value>)> {
    let properties = &alarm["Properties"];
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let dimensions = |value: &Value| value.as_array().cloned().unwrap_or_default();
    let mut metrics = Vec::new();
    if !properties["MetricName"].is_null() {
        metrics.push((
            text(&properties["Namespace"]),
            text(&properties["MetricName"]),
            dimensions(&properties["Dimensions"]),
        ));
    }
    for query in properties["Metrics"].as_array().into_iter().flatten() {
        let metric = &query["MetricStat"]["Metric"];
        if !metric.is_null() {
            metrics.push((
                text(&metric["Namespace"]),
                text(&metric["MetricName"]),
                dimensions(&metric["Dimensions"]),
            ));
        }
    }
    metrics
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alarm(namespace: &str, metric: &str, dimension: Value, topic: &str) -> Value {
        json!({
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "Namespace": namespace, "MetricName": metric, "Dimensions": [dimension],
                "AlarmActions": [{"Ref": topic}], "OKActions": [{"Ref": topic}]
            }
        })
    }

    fn function_alarm(metric: &str) -> Value {
        alarm(
            "AWS/Lambda",
            metric,
            json!({"Name": "FunctionName", "Value": {"Ref": "AuthenticateLambdaFunction"}}),
            "Topic",
        )
    }

    fn gateway_alarm(metric: &str) -> Value {
        alarm(
            "AWS/ApiGateway",
            metric,
            json!({"Name": "ApiId", "Value": {"Ref": "HttpApi"}}),
            "Topic",
        )
    }

    fn template() -> Value {
        json!({
            "Parameters": {"AlarmEmail": {
                "Type": "String", "MinLength": 6, "AllowedPattern": "^[^@]+@[^@]+$",
                "Default": "oncall@postech.example"
            }},
            "Resources": {
                "AuthenticateLambdaFunction": {"Type": "AWS::Lambda::Function", "Properties": {}},
                "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Ref": "Key"}}},
                "Email": {"Type": "AWS::SNS::Subscription", "Properties": {
                    "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}, "TopicArn": {"Ref": "Topic"}
                }},
                "Errors": function_alarm("Errors"),
                "Throttles": function_alarm("Throttles"),
                "Duration": function_alarm("Duration"),
                "Gateway5xx": gateway_alarm("5xx"),
                "Gateway4xx": gateway_alarm("4xx"),
                "GatewayLatency": gateway_alarm("Latency"),
            }
        })
    }

    #[test]
    fn a_complete_template_passes() {
        assert_eq!(alarm_problems(&template()), Vec::<String>::new());
    }

    #[test]
    fn an_empty_alarm_email_default_is_refused() {
        let mut template = template();
        template["Parameters"]["AlarmEmail"]["Default"] = json!("");
        let problems = alarm_problems(&template);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("not an e-mail address"),
            "{problems:?}"
        );
    }

    #[test]
    fn an_alarm_notifying_another_topic_is_refused() {
        let mut template = template();
        template["Resources"]["Throttles"]["Properties"]["AlarmActions"] =
            json!([{"Ref": "SomeOtherTopic"}]);
        let problems = alarm_problems(&template);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("Throttles: its AlarmActions"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_function_without_a_throttle_alarm_is_refused() {
        let mut template = template();
        template["Resources"]
            .as_object_mut()
            .map(|resources| resources.remove("Throttles"));
        assert_eq!(
            alarm_problems(&template),
            vec!["AuthenticateLambdaFunction: no alarm on its Throttles".to_owned()]
        );
    }

    #[test]
    fn a_topic_without_the_email_subscription_is_refused() {
        let mut template = template();
        template["Resources"]["Email"]["Properties"]["Endpoint"] = json!("someone@example.com");
        let problems = alarm_problems(&template);
        assert!(
            problems[0].contains("no KMS-encrypted SNS topic has an e-mail subscription"),
            "{problems:?}"
        );
    }
}
