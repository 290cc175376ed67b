//! Checks what protects the REST API stage, statically (AWS WAF cannot run here):
//!
//! `cargo run --example check_edge_protection -- .serverless/cloudformation-template-update-stack.json`
//!
//! * A regional web ACL is associated with the REST API's stage.
//! * A per-IP rate-based rule covers every login route (the CPF login, both admin logins, with
//!   and without the execute-api stage prefix and a trailing slash) and nothing else; a looser
//!   per-IP rule covers every request. Both block.
//! * The AWS managed groups: common, known bad inputs, IP reputation, and account takeover
//!   prevention on a login route; none of them downgraded to count-only.
//! * WAF logs go to an encrypted `aws-waf-logs-*` group with the `authorization` header
//!   redacted.
//! * Per-client limits: the REST API takes usage plan keys from the authorizer, every usage
//!   plan throttles and covers the stage, and the key validate_jwt names by default belongs to
//!   a plan.
//! * The stage's own throttles stay as a last line, tighter on the login methods.
//!
//! The rules' effect on real traffic is AWS's to enforce; what can be checked offline is that
//! they exist, are wired to the stage and match what they claim to.

// A command-line check: its verdict goes to stdout.
#![allow(clippy::print_stdout)]

// Shared with check_route_table; this check reads resources, not the route table.
#[allow(dead_code)]
#[path = "template/mod.rs"]
mod template;

use std::process::ExitCode;

use regex_lite::Regex;
use serde_json::Value;

use self::template::{Template, one_or_many, text_of};

/// The login routes as the gateway's paths: the rate rule must match each, with and without
/// the stage prefix the execute-api endpoint adds, with and without a trailing slash.
const LOGIN_PATHS: [&str; 3] = ["/auth", "/auth/admin", "/v1/api/admin/login"];

/// Paths the login rule must not count (another route's traffic would lock logins out).
const NOT_LOGIN_PATHS: [&str; 5] = [
    "/v1/api/produtos",
    "/v1/api/admin/produtos",
    "/authx",
    "/v1/api/admin/login/extra",
    "/health",
];

/// The AWS managed rule groups the web ACL must run.
const MANAGED_GROUPS: [&str; 4] = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesATPRuleSet",
];

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check_edge_protection <cloudformation template JSON>");
        return ExitCode::from(2);
    };
    let template = match Template::load(&path) {
        Ok(template) => template,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let stage = template
        .resource("ApiGatewayStage")
        .and_then(|stage| stage["Properties"]["StageName"].as_str())
        .unwrap_or_default()
        .to_owned();
    let mut problems = Vec::new();
    problems.extend(association_problems(&template));
    let limits = match waf_rule_problems(&template, &stage) {
        Ok((rule_problems, limits)) => {
            problems.extend(rule_problems);
            Some(limits)
        }
        Err(error) => {
            problems.push(error);
            None
        }
    };
    problems.extend(waf_logging_problems(&template));
    problems.extend(usage_plan_problems(&template));
    problems.extend(stage_throttle_problems(&template));
    match (problems.is_empty(), limits) {
        (true, Some(limits)) => {
            println!(
                "edge protection holds on stage {stage}: web ACL on the stage, login routes {} and all routes {} requests per IP per {} s, managed groups {}, WAF logs encrypted and redacted, usage plans on the staff routes",
                limits.login,
                limits.overall,
                limits.window,
                MANAGED_GROUPS.join(", ")
            );
            ExitCode::SUCCESS
        }
        _ => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            ExitCode::FAILURE
        }
    }
}

/// The web ACL (there must be one) and its association with the REST API stage.
fn association_problems(template: &Template) -> Vec<String> {
    let acls = template.of_type("AWS::WAFv2::WebACL");
    let [(acl_id, acl)] = acls.as_slice() else {
        return vec![format!(
            "{} web ACLs in the template, expected one",
            acls.len()
        )];
    };
    let mut problems = Vec::new();
    if acl["Properties"]["Scope"] != "REGIONAL" {
        problems.push(format!(
            "{acl_id}: scope is not REGIONAL (a REST API stage needs a regional ACL)"
        ));
    }
    let associated = template
        .of_type("AWS::WAFv2::WebACLAssociation")
        .into_iter()
        .any(|(_, association)| {
            let properties = &association["Properties"];
            properties["WebACLArn"]["Fn::GetAtt"][0] == *acl_id
                && text_of(&properties["ResourceArn"]).is_some_and(|arn| {
                    arn.contains("/restapis/${ApiGatewayRestApi}/stages/${ApiGatewayStage}")
                })
        });
    if !associated {
        problems.push(format!(
            "{acl_id} is not associated with the REST API stage (ResourceArn …/restapis/${{ApiGatewayRestApi}}/stages/${{ApiGatewayStage}})"
        ));
    }
    problems
}

/// The two rate limits found, per IP, and their window.
struct RateLimits {
    login: u64,
    overall: u64,
    window: u64,
}

fn waf_rules(template: &Template) -> Vec<&Value> {
    template
        .of_type("AWS::WAFv2::WebACL")
        .first()
        .map(|(_, acl)| one_or_many(&acl["Properties"]["Rules"]))
        .unwrap_or_default()
}

/// The rate rules and the managed groups.
fn waf_rule_problems(
    template: &Template,
    stage: &str,
) -> Result<(Vec<String>, RateLimits), String> {
    let rules = waf_rules(template);
    let mut problems = Vec::new();
    let mut login = None;
    let mut overall = None;
    for rule in &rules {
        let name = rule["Name"].as_str().unwrap_or("?");
        let rate = &rule["Statement"]["RateBasedStatement"];
        if rate.is_null() {
            continue;
        }
        if rate["AggregateKeyType"] != "IP" {
            problems.push(format!("rule {name}: not counted per client IP"));
        }
        if rule["Action"]["Block"].is_null() {
            problems.push(format!("rule {name}: a rate rule that does not block"));
        }
        let limit = rate["Limit"]
            .as_u64()
            .ok_or(format!("rule {name}: no numeric Limit"))?;
        let window = rate["EvaluationWindowSec"].as_u64().unwrap_or(300);
        let scope = &rate["ScopeDownStatement"];
        if scope.is_null() {
            overall = Some((limit, window));
            continue;
        }
        let regex = &scope["RegexMatchStatement"];
        let pattern = regex["RegexString"].as_str().unwrap_or_default();
        if regex["FieldToMatch"]["UriPath"].is_null() {
            continue;
        }
        let compiled =
            Regex::new(pattern).map_err(|error| format!("rule {name}: {pattern:?}: {error}"))?;
        let missed = login_rule_misses(&compiled, stage);
        if missed.is_empty() {
            login = Some((limit, window));
        } else {
            problems.push(format!(
                "rule {name}: its scope {pattern:?} misses or overreaches {missed:?}"
            ));
        }
    }
    let Some((login, login_window)) = login else {
        return Err("no per-IP rate rule scoped to exactly the login routes".into());
    };
    let Some((overall, window)) = overall else {
        return Err("no per-IP rate rule over every request".into());
    };
    if login_window != window || login >= overall {
        problems.push(format!(
            "the login rule ({login} per {login_window} s) is not tighter than the overall one ({overall} per {window} s)"
        ));
    }
    problems.extend(managed_group_problems(&rules, stage));
    Ok((
        problems,
        RateLimits {
            login,
            overall,
            window,
        },
    ))
}

/// Login paths the rule's regex misses and other paths it matches (empty when exact).
fn login_rule_misses(regex: &Regex, stage: &str) -> Vec<String> {
    let prefixes = [String::new(), format!("/{stage}")];
    let mut wrong = Vec::new();
    for prefix in &prefixes {
        for path in LOGIN_PATHS {
            for candidate in [format!("{prefix}{path}"), format!("{prefix}{path}/")] {
                if !regex.is_match(&candidate) {
                    wrong.push(candidate);
                }
            }
        }
        for path in NOT_LOGIN_PATHS {
            let candidate = format!("{prefix}{path}");
            if regex.is_match(&candidate) {
                wrong.push(candidate);
            }
        }
    }
    wrong
}

fn managed_group_problems(rules: &[&Value], stage: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for group in MANAGED_GROUPS {
        let Some(rule) = rules
            .iter()
            .find(|rule| rule["Statement"]["ManagedRuleGroupStatement"]["Name"] == group)
        else {
            problems.push(format!("the web ACL does not run {group}"));
            continue;
        };
        if rule["OverrideAction"]["None"].is_null() {
            problems.push(format!(
                "{group}: overridden (count only?) instead of enforcing its actions"
            ));
        }
        if group == "AWSManagedRulesATPRuleSet" {
            let login_path = one_or_many(
                &rule["Statement"]["ManagedRuleGroupStatement"]["ManagedRuleGroupConfigs"],
            )
            .into_iter()
            .find_map(|config| config["AWSManagedRulesATPRuleSet"]["LoginPath"].as_str());
            let expected: Vec<String> = LOGIN_PATHS
                .iter()
                .map(|path| format!("/{stage}{path}"))
                .collect();
            if !login_path.is_some_and(|path| expected.iter().any(|login| login == path)) {
                problems.push(format!(
                    "{group}: LoginPath {login_path:?} is not a login route of stage {stage} ({expected:?})"
                ));
            }
        }
    }
    problems
}

/// WAF logs: encrypted group named aws-waf-logs-*, authorization header redacted.
fn waf_logging_problems(template: &Template) -> Vec<String> {
    let configs = template.of_type("AWS::WAFv2::LoggingConfiguration");
    let [(logical_id, config)] = configs.as_slice() else {
        return vec![format!(
            "{} WAF logging configurations, expected one",
            configs.len()
        )];
    };
    let properties = &config["Properties"];
    let mut problems = Vec::new();
    let redacts_authorization =
        one_or_many(&properties["RedactedFields"])
            .into_iter()
            .any(|field| {
                field["SingleHeader"]["Name"]
                    .as_str()
                    .is_some_and(|name| name.eq_ignore_ascii_case("authorization"))
            });
    if !redacts_authorization {
        problems.push(format!(
            "{logical_id}: the authorization header is not redacted: tokens would be logged"
        ));
    }
    let destinations = one_or_many(&properties["LogDestinationConfigs"]);
    for destination in destinations {
        let group = text_of(destination)
            .and_then(|arn| arn.split("log-group:${").nth(1))
            .and_then(|rest| rest.strip_suffix('}'));
        let encrypted = group
            .and_then(|group| template.resource(group))
            .filter(|resource| resource["Type"] == "AWS::Logs::LogGroup")
            .filter(|resource| !resource["Properties"]["KmsKeyId"].is_null())
            .and_then(|resource| resource["Properties"]["LogGroupName"].as_str())
            .is_some_and(|name| name.starts_with("aws-waf-logs-"));
        if !encrypted {
            problems.push(format!(
                "{logical_id}: destination {destination} is not an aws-waf-logs-* log group of this stack with a KMS key"
            ));
        }
    }
    problems
}

/// Keys from the authorizer, plans that throttle the stage, and the default key in a plan.
fn usage_plan_problems(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    let api_key_source = template
        .resource("ApiGatewayRestApi")
        .map(|api| api["Properties"]["ApiKeySourceType"].clone());
    if api_key_source != Some(Value::from("AUTHORIZER")) {
        problems.push(
            "ApiGatewayRestApi: ApiKeySourceType is not AUTHORIZER: v1 clients would have to send x-api-key".to_owned(),
        );
    }
    let plans = template.of_type("AWS::ApiGateway::UsagePlan");
    if plans.is_empty() {
        problems.push("no usage plan: no per-client limit".to_owned());
    }
    for (plan_id, plan) in &plans {
        let properties = &plan["Properties"];
        let covers_stage = one_or_many(&properties["ApiStages"])
            .into_iter()
            .any(|stage| stage["ApiId"]["Ref"] == "ApiGatewayRestApi" && !stage["Stage"].is_null());
        if !covers_stage {
            problems.push(format!("{plan_id}: not attached to the REST API's stage"));
        }
        let throttle = &properties["Throttle"];
        if throttle["RateLimit"].as_f64().is_none() || throttle["BurstLimit"].as_u64().is_none() {
            problems.push(format!("{plan_id}: no throttle (rate and burst)"));
        }
    }
    let bindings = template.of_type("AWS::ApiGateway::UsagePlanKey");
    let bound_keys: Vec<&str> = bindings
        .iter()
        .filter_map(|(_, binding)| binding["Properties"]["KeyId"]["Ref"].as_str())
        .collect();
    for (key_id, _) in template.of_type("AWS::ApiGateway::ApiKey") {
        if !bound_keys.contains(&key_id) {
            problems.push(format!(
                "{key_id}: in no usage plan: requests naming it would be refused"
            ));
        }
    }
    let default_key = template
        .resource("ValidateJwtLambdaFunction")
        .and_then(|function| {
            function["Properties"]["Environment"]["Variables"]["DEFAULT_STAFF_USAGE_KEY"].as_str()
        });
    let default_bound =
        template
            .of_type("AWS::ApiGateway::ApiKey")
            .into_iter()
            .any(|(key_id, key)| {
                key["Properties"]["Value"].as_str() == default_key && bound_keys.contains(&key_id)
            });
    if default_key.is_none() || !default_bound {
        problems.push(format!(
            "validate_jwt's DEFAULT_STAFF_USAGE_KEY {default_key:?} is not the value of an API key in a usage plan: every staff request would be refused"
        ));
    }
    problems
}

/// The stage's method throttles: a default for every method, tighter ones on the logins.
fn stage_throttle_problems(template: &Template) -> Vec<String> {
    let Some(stage) = template.resource("ApiGatewayStage") else {
        return vec!["no ApiGatewayStage".into()];
    };
    let settings = one_or_many(&stage["Properties"]["MethodSettings"]);
    let rate_of = |resource_path: &str, method: &str| {
        settings
            .iter()
            .find(|setting| {
                setting["ResourcePath"] == resource_path && setting["HttpMethod"] == method
            })
            .and_then(|setting| setting["ThrottlingRateLimit"].as_f64())
    };
    let Some(default) = rate_of("/*", "*") else {
        return vec!["ApiGatewayStage: no default method throttle (/*, *)".into()];
    };
    LOGIN_PATHS
        .iter()
        .filter_map(|path| {
            // CloudFormation's encoding of a resource path: `/auth/admin` → `/~1auth~1admin`.
            let resource_path = format!("/{}", path.replace('/', "~1"));
            match rate_of(&resource_path, "POST") {
                Some(rate) if rate < default => None,
                other => Some(format!(
                    "ApiGatewayStage: POST {path} throttled at {other:?}, not below the default {default}"
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const STAGE: &str = "staging";

    fn rate_rule(name: &str, limit: u64, regex: Option<&str>) -> Value {
        let mut statement =
            json!({ "AggregateKeyType": "IP", "EvaluationWindowSec": 300, "Limit": limit });
        if let Some(regex) = regex {
            statement["ScopeDownStatement"] = json!({ "RegexMatchStatement": {
                "FieldToMatch": { "UriPath": {} }, "RegexString": regex, "TextTransformations": []
            } });
        }
        json!({ "Name": name, "Action": { "Block": {} }, "Statement": { "RateBasedStatement": statement } })
    }

    fn managed(group: &str) -> Value {
        let mut statement = json!({ "VendorName": "AWS", "Name": group });
        if group == "AWSManagedRulesATPRuleSet" {
            statement["ManagedRuleGroupConfigs"] =
                json!([{ "AWSManagedRulesATPRuleSet": { "LoginPath": "/staging/auth/admin" } }]);
        }
        json!({ "Name": group, "OverrideAction": { "None": {} }, "Statement": { "ManagedRuleGroupStatement": statement } })
    }

    fn acl(rules: Vec<Value>) -> Template {
        Template::from_value(json!({
            "Resources": { "WebAcl": { "Type": "AWS::WAFv2::WebACL", "Properties": { "Scope": "REGIONAL", "Rules": rules } } }
        }))
    }

    fn complete_rules(login_regex: &str) -> Vec<Value> {
        let mut rules = vec![
            rate_rule("login", 100, Some(login_regex)),
            rate_rule("all", 2000, None),
        ];
        rules.extend(MANAGED_GROUPS.iter().map(|group| managed(group)));
        rules
    }

    const LOGIN_REGEX: &str = "^(/staging)?/(auth|auth/admin|v1/api/admin/login)/?$";

    #[test]
    fn the_deployed_rule_set_passes() {
        let (problems, limits) =
            waf_rule_problems(&acl(complete_rules(LOGIN_REGEX)), STAGE).expect("rules");
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(
            (limits.login, limits.overall, limits.window),
            (100, 2000, 300)
        );
    }

    #[test]
    fn a_login_rule_missing_the_stage_prefix_or_a_route_is_refused() {
        for regex in [
            "^/(auth|auth/admin|v1/api/admin/login)/?$",
            "^(/staging)?/(auth|auth/admin)/?$",
            "^(/staging)?/auth",
        ] {
            let result = waf_rule_problems(&acl(complete_rules(regex)), STAGE);
            assert!(result.is_err(), "{regex} must not count as the login rule");
        }
    }

    #[test]
    fn a_missing_managed_group_or_a_count_only_one_is_refused() {
        let mut rules = complete_rules(LOGIN_REGEX);
        rules.retain(|rule| rule["Name"] != "AWSManagedRulesAmazonIpReputationList");
        rules[2]["OverrideAction"] = json!({ "Count": {} });
        let (problems, _) = waf_rule_problems(&acl(rules), STAGE).expect("rules");
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn a_login_limit_looser_than_the_overall_one_is_refused() {
        let mut rules = complete_rules(LOGIN_REGEX);
        rules[0]["Statement"]["RateBasedStatement"]["Limit"] = json!(5000);
        let (problems, _) = waf_rule_problems(&acl(rules), STAGE).expect("rules");
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn an_acl_not_associated_with_the_stage_is_refused() {
        let associated = Template::from_value(json!({ "Resources": {
            "WebAcl": { "Type": "AWS::WAFv2::WebACL", "Properties": { "Scope": "REGIONAL" } },
            "Association": { "Type": "AWS::WAFv2::WebACLAssociation", "Properties": {
                "WebACLArn": { "Fn::GetAtt": ["WebAcl", "Arn"] },
                "ResourceArn": { "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${ApiGatewayRestApi}/stages/${ApiGatewayStage}" }
            } }
        } }));
        assert_eq!(association_problems(&associated), Vec::<String>::new());
        let unassociated = Template::from_value(json!({ "Resources": {
            "WebAcl": { "Type": "AWS::WAFv2::WebACL", "Properties": { "Scope": "REGIONAL" } }
        } }));
        assert_eq!(association_problems(&unassociated).len(), 1);
    }

    fn logging(redacted: Value, kms: bool) -> Template {
        let mut group = json!({ "Type": "AWS::Logs::LogGroup", "Properties": { "LogGroupName": "aws-waf-logs-postech-staging" } });
        if kms {
            group["Properties"]["KmsKeyId"] = json!({ "Fn::GetAtt": ["AuthDataKey", "Arn"] });
        }
        Template::from_value(json!({ "Resources": {
            "WafLogs": group,
            "WafLogging": { "Type": "AWS::WAFv2::LoggingConfiguration", "Properties": {
                "LogDestinationConfigs": [{ "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${WafLogs}" }],
                "RedactedFields": redacted
            } }
        } }))
    }

    #[test]
    fn waf_logs_must_be_encrypted_and_without_the_token() {
        let redacted = json!([{ "SingleHeader": { "Name": "Authorization" } }]);
        assert_eq!(
            waf_logging_problems(&logging(redacted.clone(), true)),
            Vec::<String>::new()
        );
        assert_eq!(waf_logging_problems(&logging(redacted, false)).len(), 1);
        assert_eq!(
            waf_logging_problems(&logging(json!([{ "UriPath": {} }]), true)).len(),
            1
        );
    }

    #[test]
    fn a_default_staff_key_outside_every_plan_is_refused() {
        let template = |value: &str| {
            Template::from_value(json!({ "Resources": {
                "ApiGatewayRestApi": { "Type": "AWS::ApiGateway::RestApi", "Properties": { "ApiKeySourceType": "AUTHORIZER" } },
                "ValidateJwtLambdaFunction": { "Type": "AWS::Lambda::Function", "Properties": { "Environment": { "Variables": { "DEFAULT_STAFF_USAGE_KEY": "staff-key-of-the-stage" } } } },
                "StaffKey": { "Type": "AWS::ApiGateway::ApiKey", "Properties": { "Value": value } },
                "StaffPlan": { "Type": "AWS::ApiGateway::UsagePlan", "Properties": {
                    "ApiStages": [{ "ApiId": { "Ref": "ApiGatewayRestApi" }, "Stage": "staging" }],
                    "Throttle": { "RateLimit": 10, "BurstLimit": 20 }
                } },
                "StaffPlanKey": { "Type": "AWS::ApiGateway::UsagePlanKey", "Properties": { "KeyId": { "Ref": "StaffKey" }, "UsagePlanId": { "Ref": "StaffPlan" } } }
            } }))
        };
        assert_eq!(
            usage_plan_problems(&template("staff-key-of-the-stage")),
            Vec::<String>::new()
        );
        let problems = usage_plan_problems(&template("another-key-value"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("DEFAULT_STAFF_USAGE_KEY"),
            "{problems:?}"
        );
    }

    #[test]
    fn login_methods_must_be_throttled_below_the_default() {
        let stage = |login_rate: f64| {
            Template::from_value(
                json!({ "Resources": { "ApiGatewayStage": { "Type": "AWS::ApiGateway::Stage", "Properties": {
                "MethodSettings": [
                    { "ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 50.0 },
                    { "ResourcePath": "/~1auth", "HttpMethod": "POST", "ThrottlingRateLimit": login_rate },
                    { "ResourcePath": "/~1auth~1admin", "HttpMethod": "POST", "ThrottlingRateLimit": login_rate },
                    { "ResourcePath": "/~1v1~1api~1admin~1login", "HttpMethod": "POST", "ThrottlingRateLimit": login_rate }
                ]
            } } } }),
            )
        };
        assert_eq!(stage_throttle_problems(&stage(5.0)), Vec::<String>::new());
        assert_eq!(stage_throttle_problems(&stage(50.0)).len(), 3);
    }
}
