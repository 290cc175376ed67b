//! Least-privilege checks on the packaged CloudFormation template.
//!
//! `cargo run --example check_least_privilege -- .serverless/cloudformation-template-update-stack.json`
//!
//! * Each function's role reads exactly the secrets of [`SECRET_ACCESS`] and nothing else in
//!   Secrets Manager; no other role reads a secret. Grants are `secretsmanager:GetSecretValue`
//!   (the only call the functions make) on a secret of this stack, never a wildcard.
//! * Each function's environment names only the secrets its role may read.
//! * API Gateway may invoke a function for named methods and paths (or as the authorizer),
//!   never for the whole API (`<api>/*`); each such permission is for a method of the REST API
//!   that calls that function, and every method calling a function has its permission.
//! * EC2: a role whose function runs in a VPC may call exactly the ENI actions of
//!   AWSLambdaVPCAccessExecutionRole ([`ENI_DESCRIBE`] on `*`, which has no resource-level
//!   permissions, and [`ENI_MANAGE`] on this account's and region's resources only); no other
//!   EC2 action, no wildcard; a role of a function outside a VPC, no EC2 action at all.
//! * Network: both functions run in the VPC from the stack's parameters ([`FUNCTION_NETWORK`]:
//!   the private subnets and the edge functions' security group, SSM-typed parameters whose
//!   defaults name `/postech/<stage>/…`), export their spans to the collector's endpoint from
//!   its parameter, and give the exporter at most [`MAX_EXPORT_TIMEOUT_MS`].
//!
//! cfn-lint and checkov know none of this; scripts/validate-serverless.sh runs it on every
//! packaged template.

// A command-line check: its verdict goes to stdout.
#![allow(clippy::print_stdout)]

// Shared with check_route_table; this check needs only the REST API's methods.
#[allow(dead_code)]
#[path = "template/mod.rs"]
mod template;

use std::collections::BTreeSet;
use std::process::ExitCode;

use serde_json::Value;

use self::template::Template;

/// The secrets each function may read, by the logical ids serverless gives them.
const SECRET_ACCESS: &[(&str, &[&str])] = &[
    // The signing key, and the key under which usernames are logged as a keyed hash.
    (
        "AuthenticateLambdaFunction",
        &["JwtSigningKeySecret", "LogHashKeySecret"],
    ),
    // Public keys only: with the signing key a compromised authorizer could mint admin tokens.
    ("ValidateJwtLambdaFunction", &["JwtVerificationKeySecret"]),
];

/// The one Secrets Manager action the functions' code calls.
const READ_SECRET: &str = "secretsmanager:GetSecretValue";

/// EC2 calls Lambda makes with a VPC function's role, that have no resource-level permissions.
const ENI_DESCRIBE: [&str; 2] = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"];

/// EC2 calls Lambda makes with a VPC function's role on the function's ENIs.
const ENI_MANAGE: [&str; 4] = [
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
];

/// The only resource [`ENI_MANAGE`] may be granted on: this account's, in this region.
const ENI_SCOPE: &str = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:*/*";

/// Where each function runs: the stack parameters of its subnets and security group, and of
/// its OTLP endpoint, with the SSM parameter each one's default must name (after the stage).
const FUNCTION_NETWORK: &[(&str, &str)] = &[
    ("FunctionSubnetIds", "vpc/private-subnet-ids"),
    (
        "EdgeFunctionsSecurityGroupId",
        "eks/edge-functions-security-group-id",
    ),
    ("EdgeOtlpEndpoint", "tracing/edge-otlp-endpoint"),
];

/// The longest the functions' span exporter may wait (`OTEL_EXPORTER_OTLP_TIMEOUT`, ms).
const MAX_EXPORT_TIMEOUT_MS: u64 = 1000;

const HTTP_METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check_least_privilege <cloudformation template JSON>");
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
    let mut problems = least_privilege_problems(&template);
    problems.extend(method_permission_problems(&template));
    problems.extend(network_problems(&template));
    if problems.is_empty() {
        println!(
            "least privilege holds: secrets per function as listed, invoke permissions per method, one for each method that calls a function, ENI actions only for the VPC functions; both functions in the VPC from the parameters, exporting spans to the edge OTLP endpoint within {MAX_EXPORT_TIMEOUT_MS} ms"
        );
        ExitCode::SUCCESS
    } else {
        for problem in &problems {
            eprintln!("{problem}");
        }
        ExitCode::FAILURE
    }
}

fn least_privilege_problems(template: &Value) -> Vec<String> {
    let Some(resources) = template["Resources"].as_object() else {
        return vec!["the template has no Resources".into()];
    };
    let mut problems = Vec::new();
    for (function, allowed) in SECRET_ACCESS {
        let Some(properties) = resources
            .get(*function)
            .map(|resource| &resource["Properties"])
        else {
            problems.push(format!("{function}: no such function in the template"));
            continue;
        };
        let allowed: BTreeSet<&str> = allowed.iter().copied().collect();
        for (variable, value) in properties["Environment"]["Variables"]
            .as_object()
            .into_iter()
            .flatten()
        {
            if let Some(secret) = value["Ref"]
                .as_str()
                .filter(|secret| is_secret(template, secret))
                && !allowed.contains(secret)
            {
                problems.push(format!(
                    "{function}: environment variable {variable} names secret {secret}, which it may not read"
                ));
            }
        }
    }
    for (role, resource) in resources {
        if resource["Type"] != "AWS::IAM::Role" {
            continue;
        }
        let allowed: BTreeSet<&str> = functions_of_role(template, role)
            .iter()
            .filter_map(|function| {
                SECRET_ACCESS
                    .iter()
                    .find(|(listed, _)| listed == function)
                    .map(|(_, secrets)| *secrets)
            })
            .flatten()
            .copied()
            .collect();
        let in_vpc = functions_of_role(template, role)
            .iter()
            .any(|function| runs_in_vpc(template, function));
        eni_grant_problems(role, resource, in_vpc, &mut problems);
        let granted = secret_grants(template, role, resource, &mut problems);
        for secret in granted.difference(&allowed) {
            problems.push(format!(
                "{role}: may read secret {secret}, which is not its function's"
            ));
        }
        for secret in allowed.difference(&granted) {
            problems.push(format!(
                "{role}: cannot read secret {secret} its function needs"
            ));
        }
    }
    for (permission, resource) in resources {
        if resource["Type"] == "AWS::Lambda::Permission"
            && resource["Properties"]["Principal"] == "apigateway.amazonaws.com"
        {
            check_invoke_scope(
                permission,
                &resource["Properties"]["SourceArn"],
                &mut problems,
            );
        }
    }
    problems
}

/// The secrets (logical ids) a role's inline policies let it read; wrong actions and
/// resources other than a secret of this stack are problems.
fn secret_grants<'a>(
    template: &Value,
    role: &str,
    resource: &'a Value,
    problems: &mut Vec<String>,
) -> BTreeSet<&'a str> {
    let mut granted = BTreeSet::new();
    for statement in statements_of(resource) {
        let actions: Vec<&str> = one_or_many(&statement["Action"])
            .filter_map(Value::as_str)
            .collect();
        let reads_secrets = actions.iter().any(|action| {
            *action == "*" || action.to_ascii_lowercase().starts_with("secretsmanager:")
        });
        if !reads_secrets || statement["Effect"] != "Allow" {
            continue;
        }
        for action in &actions {
            if *action != READ_SECRET {
                problems.push(format!(
                    "{role}: grants {action}; the functions only call {READ_SECRET}"
                ));
            }
        }
        for target in one_or_many(&statement["Resource"]) {
            match target["Ref"].as_str() {
                Some(secret) if is_secret(template, secret) => {
                    granted.insert(secret);
                }
                _ => problems.push(format!(
                    "{role}: grants Secrets Manager access on {target}, not on one secret of this stack"
                )),
            }
        }
    }
    granted
}

/// The statements of a role's inline policies.
fn statements_of(resource: &Value) -> impl Iterator<Item = &Value> {
    resource["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|policy| one_or_many(&policy["PolicyDocument"]["Statement"]))
}

/// EC2 grants of a role: exactly the ENI actions, in their scopes, when its function runs in a
/// VPC; none otherwise.
fn eni_grant_problems(role: &str, resource: &Value, in_vpc: bool, problems: &mut Vec<String>) {
    let mut granted = BTreeSet::new();
    for statement in statements_of(resource) {
        let actions: Vec<&str> = one_or_many(&statement["Action"])
            .filter_map(Value::as_str)
            .collect();
        let ec2: Vec<&str> = actions
            .iter()
            .copied()
            .filter(|action| *action == "*" || action.to_ascii_lowercase().starts_with("ec2:"))
            .collect();
        if ec2.is_empty() || statement["Effect"] != "Allow" {
            continue;
        }
        if !in_vpc {
            problems.push(format!(
                "{role}: grants {ec2:?}, but its function runs outside a VPC"
            ));
            continue;
        }
        let resources: Vec<&Value> = one_or_many(&statement["Resource"]).collect();
        for action in ec2 {
            if ENI_DESCRIBE.contains(&action) {
                granted.insert(action);
            } else if ENI_MANAGE.contains(&action) {
                granted.insert(action);
                for target in &resources {
                    if target["Fn::Sub"].as_str() != Some(ENI_SCOPE) {
                        problems.push(format!(
                            "{role}: grants {action} on {target}; only on this account's and region's resources ({ENI_SCOPE})"
                        ));
                    }
                }
            } else {
                problems.push(format!(
                    "{role}: grants {action}; a VPC function's role needs only {ENI_DESCRIBE:?} and {ENI_MANAGE:?}"
                ));
            }
        }
    }
    if in_vpc {
        for action in ENI_DESCRIBE.iter().chain(&ENI_MANAGE) {
            if !granted.contains(action) {
                problems.push(format!(
                    "{role}: cannot call {action}: Lambda could not manage its function's ENIs"
                ));
            }
        }
    }
}

fn runs_in_vpc(template: &Value, function: &str) -> bool {
    !template["Resources"][function]["Properties"]["VpcConfig"].is_null()
}

/// Both functions in the VPC of the stack's parameters, exporting their spans to the edge OTLP
/// endpoint's parameter within [`MAX_EXPORT_TIMEOUT_MS`].
fn network_problems(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (parameter, ssm_name) in FUNCTION_NETWORK {
        let declared = &template["Parameters"][*parameter];
        let typed = declared["Type"]
            .as_str()
            .is_some_and(|kind| kind.starts_with("AWS::SSM::Parameter::Value<"));
        let default = declared["Default"].as_str().unwrap_or_default();
        let names_it = default.starts_with("/postech/")
            && default.ends_with(&format!("/{ssm_name}"))
            && default.split('/').count() == ssm_name.split('/').count() + 3;
        if !typed || !names_it {
            problems.push(format!(
                "parameter {parameter}: must be an SSM-typed parameter defaulting to /postech/<stage>/{ssm_name} (got {declared})"
            ));
        }
    }
    for (function, _) in SECRET_ACCESS {
        let properties = &template["Resources"][*function]["Properties"];
        let vpc = &properties["VpcConfig"];
        if vpc["SubnetIds"] != function_subnets() {
            problems.push(format!(
                "{function}: VpcConfig.SubnetIds is {}, not the FunctionSubnetIds parameter",
                vpc["SubnetIds"]
            ));
        }
        if vpc["SecurityGroupIds"] != serde_json::json!([{ "Ref": "EdgeFunctionsSecurityGroupId" }])
        {
            problems.push(format!(
                "{function}: VpcConfig.SecurityGroupIds is {}, not exactly the EdgeFunctionsSecurityGroupId parameter",
                vpc["SecurityGroupIds"]
            ));
        }
        let variables = &properties["Environment"]["Variables"];
        if variables["OTEL_EXPORTER_OTLP_ENDPOINT"]
            != serde_json::json!({ "Ref": "EdgeOtlpEndpoint" })
        {
            problems.push(format!(
                "{function}: OTEL_EXPORTER_OTLP_ENDPOINT is {}, not the EdgeOtlpEndpoint parameter: its spans would not reach the collector",
                variables["OTEL_EXPORTER_OTLP_ENDPOINT"]
            ));
        }
        let timeout = variables["OTEL_EXPORTER_OTLP_TIMEOUT"]
            .as_str()
            .and_then(|value| value.parse::<u64>().ok());
        if !timeout.is_some_and(|ms| ms > 0 && ms <= MAX_EXPORT_TIMEOUT_MS) {
            problems.push(format!(
                "{function}: OTEL_EXPORTER_OTLP_TIMEOUT is {}, not 1..={MAX_EXPORT_TIMEOUT_MS} ms: a hanging collector could hold the exporter for the SDK's 10 s",
                variables["OTEL_EXPORTER_OTLP_TIMEOUT"]
            ));
        }
    }
    problems
}

/// The functions' subnets as serverless.yml writes them: the `FunctionSubnetIds` list joined
/// and split again (serverless's schema refuses a `Ref` to a list parameter there).
fn function_subnets() -> Value {
    serde_json::json!({ "Fn::Split": [",", { "Fn::Join": [",", { "Ref": "FunctionSubnetIds" }] }] })
}

/// The functions (logical ids) that run with `role`.
fn functions_of_role<'a>(template: &'a Value, role: &str) -> Vec<&'a str> {
    template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, resource)| {
            resource["Type"] == "AWS::Lambda::Function"
                && resource["Properties"]["Role"]["Fn::GetAtt"][0] == role
        })
        .map(|(function, _)| function.as_str())
        .collect()
}

fn is_secret(template: &Value, logical_id: &str) -> bool {
    template["Resources"][logical_id]["Type"] == "AWS::SecretsManager::Secret"
}

/// An API Gateway source ARN must stop at the authorizer or at a method and a path:
/// `…:${ApiGatewayRestApi}/authorizers/…` or `…:${ApiGatewayRestApi}/<stage>/<METHOD>/<path>`.
fn check_invoke_scope(permission: &str, source_arn: &Value, problems: &mut Vec<String>) {
    let text = source_arn["Fn::Sub"]
        .as_str()
        .or_else(|| source_arn.as_str())
        .unwrap_or_default();
    let Some((_, scope)) = text.split_once("${ApiGatewayRestApi}/") else {
        problems.push(format!(
            "{permission}: SourceArn {source_arn} does not name this stack's REST API"
        ));
        return;
    };
    if scope.starts_with("authorizers/") {
        return;
    }
    let mut parts = scope.splitn(3, '/');
    let (_stage, method, path) = (parts.next(), parts.next(), parts.next());
    let names_a_route = method.is_some_and(|method| HTTP_METHODS.contains(&method))
        && path.is_some_and(|path| !path.is_empty() && !path.starts_with('*'));
    if !names_a_route {
        problems.push(format!(
            "{permission}: SourceArn {text} lets API Gateway invoke the function for any route; name the method and path"
        ));
    }
}

/// Invoke permissions and the REST API's Lambda methods match one to one: each method calling a
/// function may invoke it for exactly its method and resource path (without one the gateway
/// answers 500), and no permission is left for a method that does not exist or calls another
/// function.
fn method_permission_problems(template: &Value) -> Vec<String> {
    let routes = match Template::from_value(template.clone()).route_table() {
        Ok(routes) => routes,
        Err(error) => return vec![error],
    };
    let mut needed = BTreeSet::new();
    for method in &routes.methods {
        if method.integration["Type"] != "AWS_PROXY" {
            continue;
        }
        let uri = method.integration["Uri"]["Fn::Sub"]
            .as_str()
            .unwrap_or_default();
        let Some(function) = uri
            .split("${")
            .find_map(|part| part.split_once(".Arn}").map(|(function, _)| function))
        else {
            return vec![format!(
                "{}: a Lambda integration without a function",
                method.logical_id
            )];
        };
        needed.insert((
            function.to_owned(),
            format!("*/{}{}", method.http_method, method.path),
        ));
    }
    let mut problems = Vec::new();
    let mut granted = BTreeSet::new();
    for (permission, resource) in template["Resources"].as_object().into_iter().flatten() {
        let properties = &resource["Properties"];
        if resource["Type"] != "AWS::Lambda::Permission"
            || properties["Principal"] != "apigateway.amazonaws.com"
        {
            continue;
        }
        let function = properties["FunctionName"]["Fn::GetAtt"][0]
            .as_str()
            .unwrap_or_default();
        let scope = properties["SourceArn"]["Fn::Sub"]
            .as_str()
            .and_then(|arn| arn.split_once("${ApiGatewayRestApi}/"))
            .map(|(_, scope)| scope)
            .unwrap_or_default();
        if scope.starts_with("authorizers/") {
            continue;
        }
        let key = (function.to_owned(), scope.to_owned());
        if !needed.contains(&key) {
            problems.push(format!(
                "{permission}: lets API Gateway invoke {function} for {scope}, which no method of the REST API does"
            ));
        }
        granted.insert(key);
    }
    for (function, scope) in needed.difference(&granted) {
        problems.push(format!(
            "no permission lets API Gateway invoke {function} for {scope}: the method would answer 500"
        ));
    }
    problems
}

fn one_or_many(value: &Value) -> impl Iterator<Item = &Value> {
    match value {
        Value::Array(values) => values.iter().collect::<Vec<_>>().into_iter(),
        Value::Null => Vec::new().into_iter(),
        other => vec![other].into_iter(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn statement(action: Value, resource: Value) -> Value {
        json!({ "Effect": "Allow", "Action": action, "Resource": resource })
    }

    /// A template shaped like the packaged one: both functions, their roles with these
    /// statements (`authenticate`'s also reading the log hash key, as its function needs), the
    /// secrets, and one invoke permission with this source.
    fn template(
        mut authenticate: Vec<Value>,
        validate_jwt: Vec<Value>,
        validate_jwt_env: Value,
        source_arn: &str,
    ) -> Value {
        authenticate.push(read("LogHashKeySecret"));
        let role = |statements: Vec<Value>| {
            json!({
                "Type": "AWS::IAM::Role",
                "Properties": { "Policies": [ { "PolicyDocument": { "Statement": statements } } ] }
            })
        };
        json!({
            "Resources": {
                "JwtSigningKeySecret": { "Type": "AWS::SecretsManager::Secret" },
                "JwtVerificationKeySecret": { "Type": "AWS::SecretsManager::Secret" },
                "LogHashKeySecret": { "Type": "AWS::SecretsManager::Secret" },
                "AuthenticateRole": role(authenticate),
                "ValidateJwtRole": role(validate_jwt),
                "AuthenticateLambdaFunction": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Role": { "Fn::GetAtt": ["AuthenticateRole", "Arn"] },
                        "Environment": { "Variables": {
                            "JWT_SIGNING_KEY_SECRET_ID": { "Ref": "JwtSigningKeySecret" },
                            "LOG_HASH_KEY_SECRET_ID": { "Ref": "LogHashKeySecret" }
                        } }
                    }
                },
                "ValidateJwtLambdaFunction": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Role": { "Fn::GetAtt": ["ValidateJwtRole", "Arn"] },
                        "Environment": { "Variables": validate_jwt_env }
                    }
                },
                "AuthenticateInvoked": {
                    "Type": "AWS::Lambda::Permission",
                    "Properties": {
                        "Principal": "apigateway.amazonaws.com",
                        "SourceArn": { "Fn::Sub": source_arn }
                    }
                }
            }
        })
    }

    const LOGIN_ROUTE: &str = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiGatewayRestApi}/*/POST/auth";

    fn read(secret: &str) -> Value {
        statement(json!(READ_SECRET), json!({ "Ref": secret }))
    }

    fn verification_key_env() -> Value {
        json!({ "JWT_VERIFICATION_KEY_SECRET_ID": { "Ref": "JwtVerificationKeySecret" } })
    }

    #[test]
    fn the_intended_grants_pass() {
        let template = template(
            vec![read("JwtSigningKeySecret")],
            vec![read("JwtVerificationKeySecret")],
            verification_key_env(),
            LOGIN_ROUTE,
        );
        assert_eq!(least_privilege_problems(&template), Vec::<String>::new());
    }

    #[test]
    fn the_authorizer_reading_the_signing_key_is_refused() {
        let template = template(
            vec![read("JwtSigningKeySecret")],
            vec![
                read("JwtVerificationKeySecret"),
                read("JwtSigningKeySecret"),
            ],
            verification_key_env(),
            LOGIN_ROUTE,
        );
        let problems = least_privilege_problems(&template);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("ValidateJwtRole: may read secret JwtSigningKeySecret"),
            "{problems:?}"
        );
    }

    #[test]
    fn the_authorizer_pointed_at_the_signing_key_is_refused() {
        let template = template(
            vec![read("JwtSigningKeySecret")],
            vec![read("JwtVerificationKeySecret")],
            json!({ "JWT_SIGNING_KEY_SECRET_ID": { "Ref": "JwtSigningKeySecret" } }),
            LOGIN_ROUTE,
        );
        let problems = least_privilege_problems(&template);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains(
                "ValidateJwtLambdaFunction: environment variable JWT_SIGNING_KEY_SECRET_ID"
            ),
            "{problems:?}"
        );
    }

    #[test]
    fn an_action_the_code_never_calls_is_refused() {
        let template = template(
            vec![statement(
                json!([READ_SECRET, "secretsmanager:DescribeSecret"]),
                json!({ "Ref": "JwtSigningKeySecret" }),
            )],
            vec![read("JwtVerificationKeySecret")],
            verification_key_env(),
            LOGIN_ROUTE,
        );
        let problems = least_privilege_problems(&template);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("DescribeSecret"), "{problems:?}");
    }

    #[test]
    fn wildcard_secret_access_is_refused() {
        let template = template(
            vec![read("JwtSigningKeySecret")],
            vec![statement(json!("secretsmanager:*"), json!("*"))],
            verification_key_env(),
            LOGIN_ROUTE,
        );
        let problems = least_privilege_problems(&template);
        assert!(
            problems
                .iter()
                .any(|problem| problem.contains("secretsmanager:*")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|problem| problem.contains("not on one secret")),
            "{problems:?}"
        );
    }

    /// The intended template with both functions in the VPC, their roles granting the ENI
    /// actions as infra/iam.yml does, plus `extra` on validate_jwt's role.
    fn in_vpc(extra: Vec<Value>) -> Value {
        let mut template = template(
            vec![read("JwtSigningKeySecret")],
            vec![read("JwtVerificationKeySecret")],
            verification_key_env(),
            LOGIN_ROUTE,
        );
        for (function, role) in [
            ("AuthenticateLambdaFunction", "AuthenticateRole"),
            ("ValidateJwtLambdaFunction", "ValidateJwtRole"),
        ] {
            template["Resources"][function]["Properties"]["VpcConfig"] = json!({
                "SecurityGroupIds": [{ "Ref": "EdgeFunctionsSecurityGroupId" }],
                "SubnetIds": function_subnets()
            });
            let statements = template["Resources"][role]["Properties"]["Policies"][0]
                ["PolicyDocument"]["Statement"]
                .as_array_mut()
                .expect("statements");
            statements.push(statement(json!(ENI_DESCRIBE), json!("*")));
            statements.push(statement(
                json!(ENI_MANAGE),
                json!({ "Fn::Sub": ENI_SCOPE }),
            ));
            if role == "ValidateJwtRole" {
                statements.extend(extra.clone());
            }
        }
        template
    }

    #[test]
    fn the_eni_actions_of_vpc_functions_pass() {
        assert_eq!(
            least_privilege_problems(&in_vpc(vec![])),
            Vec::<String>::new()
        );
    }

    #[test]
    fn broader_ec2_grants_are_refused() {
        for (extra, expected) in [
            (statement(json!("ec2:*"), json!("*")), "grants ec2:*"),
            (statement(json!("*"), json!("*")), "grants *"),
            (
                statement(
                    json!("ec2:AttachNetworkInterface"),
                    json!({ "Fn::Sub": ENI_SCOPE }),
                ),
                "grants ec2:AttachNetworkInterface",
            ),
            (
                statement(json!("ec2:DeleteNetworkInterface"), json!("*")),
                "grants ec2:DeleteNetworkInterface on \"*\"",
            ),
        ] {
            let problems = least_privilege_problems(&in_vpc(vec![extra]));
            assert!(
                problems
                    .iter()
                    .any(|problem| problem.starts_with("ValidateJwtRole: ")
                        && problem.contains(expected)),
                "{expected}: {problems:?}"
            );
        }
    }

    #[test]
    fn a_vpc_function_without_its_eni_actions_is_refused() {
        let mut template = in_vpc(vec![]);
        let statements = template["Resources"]["AuthenticateRole"]["Properties"]["Policies"][0]
            ["PolicyDocument"]["Statement"]
            .as_array_mut()
            .expect("statements");
        statements.pop();
        let problems = least_privilege_problems(&template);
        assert_eq!(problems.len(), ENI_MANAGE.len(), "{problems:?}");
        assert!(
            problems
                .iter()
                .all(|problem| problem.starts_with("AuthenticateRole: cannot call ec2:")),
            "{problems:?}"
        );
    }

    #[test]
    fn ec2_grants_outside_a_vpc_are_refused() {
        let template = template(
            vec![
                read("JwtSigningKeySecret"),
                statement(json!(ENI_DESCRIBE), json!("*")),
            ],
            vec![read("JwtVerificationKeySecret")],
            verification_key_env(),
            LOGIN_ROUTE,
        );
        let problems = least_privilege_problems(&template);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("runs outside a VPC"), "{problems:?}");
    }

    /// `in_vpc` with the parameters and the OTLP environment of the packaged template.
    fn networked() -> Value {
        let mut template = in_vpc(vec![]);
        for (parameter, ssm_name) in FUNCTION_NETWORK {
            template["Parameters"][*parameter] = json!({
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": format!("/postech/staging/{ssm_name}")
            });
        }
        for function in ["AuthenticateLambdaFunction", "ValidateJwtLambdaFunction"] {
            let variables =
                &mut template["Resources"][function]["Properties"]["Environment"]["Variables"];
            variables["OTEL_EXPORTER_OTLP_ENDPOINT"] = json!({ "Ref": "EdgeOtlpEndpoint" });
            variables["OTEL_EXPORTER_OTLP_TIMEOUT"] = json!("1000");
        }
        template
    }

    #[test]
    fn both_functions_in_the_vpc_exporting_to_the_edge_endpoint_pass() {
        assert_eq!(network_problems(&networked()), Vec::<String>::new());
    }

    #[test]
    fn a_function_outside_the_vpc_or_without_a_bounded_exporter_is_refused() {
        let properties = "/Resources/ValidateJwtLambdaFunction/Properties";
        let cases: [(&str, Value, &str); 6] = [
            (
                "/VpcConfig/SubnetIds",
                json!(["subnet-0123"]),
                "VpcConfig.SubnetIds",
            ),
            (
                "/VpcConfig/SecurityGroupIds",
                json!([{ "Ref": "EdgeFunctionsSecurityGroupId" }, "sg-0123"]),
                "VpcConfig.SecurityGroupIds",
            ),
            (
                "/Environment/Variables/OTEL_EXPORTER_OTLP_ENDPOINT",
                Value::Null,
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ),
            (
                "/Environment/Variables/OTEL_EXPORTER_OTLP_TIMEOUT",
                json!("10000"),
                "OTEL_EXPORTER_OTLP_TIMEOUT",
            ),
            (
                "/Environment/Variables/OTEL_EXPORTER_OTLP_TIMEOUT",
                Value::Null,
                "OTEL_EXPORTER_OTLP_TIMEOUT",
            ),
            (
                "/Environment/Variables/OTEL_EXPORTER_OTLP_ENDPOINT",
                json!("http://otel-collector.tracing.svc.cluster.local:4318"),
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ),
        ];
        for (pointer, value, expected) in cases {
            let mut template = networked();
            *template
                .pointer_mut(&format!("{properties}{pointer}"))
                .expect("pointer") = value;
            let problems = network_problems(&template);
            assert_eq!(problems.len(), 1, "{pointer}: {problems:?}");
            assert!(
                problems[0].starts_with("ValidateJwtLambdaFunction: ")
                    && problems[0].contains(expected),
                "{pointer}: {problems:?}"
            );
        }
        let mut template = networked();
        template["Parameters"]["EdgeOtlpEndpoint"]["Default"] =
            json!("/postech/staging/tracing/other");
        let problems = network_problems(&template);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("parameter EdgeOtlpEndpoint"),
            "{problems:?}"
        );
    }

    #[test]
    fn invoking_for_any_route_is_refused() {
        for source_arn in [
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiGatewayRestApi}/*",
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiGatewayRestApi}/*/*/auth",
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiGatewayRestApi}/*/POST/*",
        ] {
            let template = template(
                vec![read("JwtSigningKeySecret")],
                vec![read("JwtVerificationKeySecret")],
                verification_key_env(),
                source_arn,
            );
            let problems = least_privilege_problems(&template);
            assert_eq!(problems.len(), 1, "{source_arn}: {problems:?}");
            assert!(problems[0].contains("any route"), "{problems:?}");
        }
    }

    /// A REST API with one Lambda method (`POST /auth` → authenticate) and these permissions.
    fn rest_api_with_permissions(scopes: &[&str]) -> Value {
        let mut resources = json!({
            "PathAuth": { "Type": "AWS::ApiGateway::Resource", "Properties": {
                "ParentId": { "Fn::GetAtt": ["ApiGatewayRestApi", "RootResourceId"] }, "PathPart": "auth"
            } },
            "MethodLoginCustomer": { "Type": "AWS::ApiGateway::Method", "Properties": {
                "ResourceId": { "Ref": "PathAuth" }, "HttpMethod": "POST", "AuthorizationType": "NONE",
                "Integration": { "Type": "AWS_PROXY", "Uri": { "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthenticateLambdaFunction.Arn}/invocations" } }
            } }
        });
        for (index, scope) in scopes.iter().enumerate() {
            resources[format!("Permission{index}")] = json!({ "Type": "AWS::Lambda::Permission", "Properties": {
                "Principal": "apigateway.amazonaws.com",
                "FunctionName": { "Fn::GetAtt": ["AuthenticateLambdaFunction", "Arn"] },
                "SourceArn": { "Fn::Sub": format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{ApiGatewayRestApi}}/{scope}") }
            } });
        }
        json!({ "Resources": resources })
    }

    #[test]
    fn each_lambda_method_has_exactly_its_permission() {
        assert_eq!(
            method_permission_problems(&rest_api_with_permissions(&["*/POST/auth"])),
            Vec::<String>::new()
        );
        let missing = method_permission_problems(&rest_api_with_permissions(&[]));
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(missing[0].contains("would answer 500"), "{missing:?}");
        let stray = method_permission_problems(&rest_api_with_permissions(&[
            "*/POST/auth",
            "*/POST/other",
        ]));
        assert_eq!(stray.len(), 1, "{stray:?}");
        assert!(stray[0].contains("*/POST/other"), "{stray:?}");
    }
}
