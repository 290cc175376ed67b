//! Checks the REST API's route table against the authorizer's rules (`RouteAccess`) and the
//! v1 contract.
//!
//! `cargo run --example check_route_table -- .serverless/cloudformation-template-update-stack.json`
//!
//! * Every row of API-V1.md's route table lands on a method: public ones on a method without
//!   authorizer, the others on one through `validate_jwt` (whose `RouteAccess` names the role
//!   they need). A public method behind the authorizer would answer 401 to anonymous clients
//!   (the gateway refuses a request without the identity source before calling a caching
//!   authorizer); a protected one without it would skip the token check.
//! * The staff routes require a usage plan key, no public method does.
//! * The payment simulator: production has no such method and its authorizer denies the
//!   paths; a stage that routes it has both methods, public.
//! * Integrations: the login methods call `authenticate`; every other method goes to the app
//!   over HTTPS to the load balancer's TLS name, through the VPC link, with the identity
//!   headers set by the gateway.
//! * The authorizer's cache key holds the token, the method and the path, and its TTL is at
//!   most the verifier's clock tolerance: a cached verdict never outlives its token.
//! * The gateway answers 401 with `WWW-Authenticate: Bearer` and 403 in the v1 shape.
//! * The deployment snapshots every method and gateway response.
//!
//! cfn-lint and checkov know none of this; scripts/validate-serverless.sh runs it on every
//! packaged template.

// A command-line check: its verdict goes to stdout.
#![allow(clippy::print_stdout)]

#[path = "template/mod.rs"]
mod template;

use std::collections::BTreeSet;
use std::process::ExitCode;

use lambda_http::http::Method;
use postech_lambda_functions::auth::validate_jwt::RouteAccess;
use postech_shared_sdk::token::CLOCK_TOLERANCE;
use serde_json::Value;

use self::template::{
    Landing, RestMethod, RouteTable, Template, one_or_many, sample_path, text_of,
};

/// Requests of API-V1.md's route tables (one per row; both login routes of the lambda table).
const API_V1_REQUESTS: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("GET", "/docs"),
    ("GET", "/docs/swagger-ui.css"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/api/clientes/"),
    ("POST", "/v1/api/clientes/confirmacao"),
    ("GET", "/v1/api/clientes/me"),
    ("GET", "/v1/api/clientes/me/pedidos"),
    ("GET", "/v1/api/categorias/"),
    ("GET", "/v1/api/produtos/"),
    (
        "GET",
        "/v1/api/produtos/6f1c2a64-1f7a-4a43-9b6e-3c1f3d0e8a11",
    ),
    ("POST", "/v1/api/pedidos/"),
    (
        "GET",
        "/v1/api/pedidos/6f1c2a64-1f7a-4a43-9b6e-3c1f3d0e8a11",
    ),
    ("GET", "/v1/api/pagamentos/6f1c2a64/qrcode"),
    ("GET", "/v1/api/pagamentos/6f1c2a64/status"),
    ("POST", "/v1/api/pagamentos/webhook"),
    ("POST", "/v1/api/pagamentos/simulador/6f1c2a64/aprovar"),
    ("POST", "/v1/api/pagamentos/simulador/6f1c2a64/rejeitar"),
    ("GET", "/v1/api/admin/clientes/"),
    ("GET", "/v1/api/admin/clientes/52998224725"),
    ("GET", "/v1/api/admin/produtos/"),
    ("POST", "/v1/api/admin/produtos/"),
    ("PUT", "/v1/api/admin/produtos/6f1c2a64"),
    ("DELETE", "/v1/api/admin/produtos/6f1c2a64"),
    ("GET", "/v1/api/admin/pedidos/"),
    ("GET", "/v1/api/admin/pedidos/em-aberto"),
    ("GET", "/v1/api/admin/pedidos/6f1c2a64"),
    ("PATCH", "/v1/api/admin/pedidos/6f1c2a64/status"),
    ("DELETE", "/v1/api/admin/pedidos/6f1c2a64"),
    ("POST", "/auth"),
    ("POST", "/auth/admin"),
    ("POST", "/v1/api/admin/login"),
];

/// The login methods, answered by `authenticate`.
const LOGIN_METHODS: [(&str, &str); 3] = [
    ("POST", "/auth"),
    ("POST", "/auth/admin"),
    ("POST", "/v1/api/admin/login"),
];

/// The authorizer's logical id (infra/rest-api.yml).
const AUTHORIZER: &str = "JwtAuthorizer";

/// What the authorizer's cache key must contain, as `IdentitySource` entries: the token (also
/// what makes the gateway answer 401 itself when it is missing), the method and the path —
/// everything `RouteAccess::classify` and the token check decide on.
const REQUIRED_IDENTITY_SOURCES: [&str; 3] = [
    "method.request.header.Authorization",
    "context.httpMethod",
    "context.path",
];

/// The identity headers the gateway sets on every request to the app.
const IDENTITY_HEADERS: [&str; 2] = ["x-postech-subject", "x-postech-role"];

/// The gateway's request id, which the app adopts as its own.
const REQUEST_ID: (&str, &str) = (
    "integration.request.header.x-request-id",
    "context.requestId",
);

/// The client's W3C trace headers, overwritten on every request to the app: an all-zero
/// `traceparent` is invalid by the W3C rules, so the app ignores it (and any `tracestate`) and
/// joins the gateway's X-Ray trace (`X-Amzn-Trace-Id`, which X-Ray tracing adds) instead. A
/// client thereby neither picks the trace id the app's spans land in nor asks for sampling.
const CLIENT_TRACE_OVERWRITES: [(&str, &str); 2] = [
    (
        "integration.request.header.traceparent",
        "'00-00000000000000000000000000000000-0000000000000000-00'",
    ),
    ("integration.request.header.tracestate", "'-'"),
];

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check_route_table <cloudformation template JSON>");
        return ExitCode::from(2);
    };
    let template = match Template::load(&path) {
        Ok(template) => template,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    match route_table_problems(&template) {
        Ok((problems, summary)) if problems.is_empty() => {
            println!("route table agrees with the authorizer and API-V1.md: {summary}");
            ExitCode::SUCCESS
        }
        Ok((problems, _)) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("{path}: {error}");
            ExitCode::from(2)
        }
    }
}

/// Every problem found, and a one-line summary of what was checked.
fn route_table_problems(template: &Template) -> Result<(Vec<String>, String), String> {
    let routes = template.route_table()?;
    let simulator = SimulatorRouting::of(template)?;
    let mut problems = Vec::new();
    problems.extend(simulator.problems(&routes));
    for method in &routes.methods {
        method_problems(method, &routes, simulator.routed, &mut problems);
    }
    let mut roles = BTreeSet::new();
    for (method, request_path) in API_V1_REQUESTS {
        let expected = expected_access(method, request_path, simulator.routed);
        roles.insert(format!("{expected:?}"));
        match routes.land(method, request_path) {
            Landing::Method(found) => {
                check_authorizer(&mut problems, found, method, request_path, expected);
            }
            Landing::NotFound if expected == Expected::Gone => {}
            Landing::NotFound => problems.push(format!(
                "{method} {request_path} (API-V1.md) lands on no method: the gateway answers 404"
            )),
        }
    }
    problems.extend(authorizer_problems(template));
    problems.extend(gateway_response_problems(template));
    problems.extend(deployment_problems(template));
    let summary = format!(
        "{} methods, {} API-V1 requests ({}), payment simulator {}, cache key holds the token, method and path for at most {} s",
        routes.methods.len(),
        API_V1_REQUESTS.len(),
        roles.into_iter().collect::<Vec<_>>().join(", "),
        if simulator.routed { "routed" } else { "absent" },
        CLOCK_TOLERANCE.as_secs(),
    );
    Ok((problems, summary))
}

/// What a request should meet at the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    /// A method without authorizer.
    Public,
    /// A method through the authorizer, which needs this rule.
    Protected(RouteAccess),
    /// The payment simulator where the stage does not route it: no public method; the
    /// authorizer denies it, or no resource takes it.
    Gone,
}

fn expected_access(method: &str, path: &str, simulator_routed: bool) -> Expected {
    let Ok(parsed) = method.parse::<Method>() else {
        return Expected::Protected(RouteAccess::Denied);
    };
    match RouteAccess::classify(&parsed, path) {
        RouteAccess::Public => Expected::Public,
        RouteAccess::PaymentSimulator if simulator_routed => Expected::Public,
        RouteAccess::PaymentSimulator => Expected::Gone,
        other => Expected::Protected(other),
    }
}

fn check_authorizer(
    problems: &mut Vec<String>,
    found: &RestMethod,
    method: &str,
    path: &str,
    expected: Expected,
) {
    let logical_id = &found.logical_id;
    match (expected, found.authorizer.as_deref()) {
        (Expected::Public, Some(_)) => problems.push(format!(
            "{method} {path} is public for the authorizer but lands on {logical_id}, which requires it: anonymous clients would get 401"
        )),
        (Expected::Protected(access), None) => problems.push(format!(
            "{method} {path} needs a token ({access:?}) but lands on {logical_id}, which has no authorizer"
        )),
        (Expected::Gone, None) => problems.push(format!(
            "{method} {path} is the payment simulator, which this stage does not route, but lands on the public {logical_id}"
        )),
        (Expected::Protected(_) | Expected::Gone, Some(authorizer)) if authorizer != AUTHORIZER => {
            problems.push(format!(
                "{logical_id} ({method} {path}) uses authorizer {authorizer}, not {AUTHORIZER}"
            ));
        }
        _ => {}
    }
}

/// The checks of one method: its authorizer for every method it answers, its usage plan key,
/// its integration.
fn method_problems(
    method: &RestMethod,
    routes: &RouteTable,
    simulator_routed: bool,
    problems: &mut Vec<String>,
) {
    let sample = sample_path(&method.path);
    for http_method in method.answered_methods() {
        // A more specific method may take this request (e.g. the admin login beside the
        // admin proxy); it is checked on its own.
        if let Landing::Method(found) = routes.land(http_method, &sample)
            && found.logical_id == method.logical_id
        {
            let expected = expected_access(http_method, &sample, simulator_routed);
            check_authorizer(problems, method, http_method, &sample, expected);
        }
    }
    let id = &method.logical_id;
    let staff_route = method.answered_methods().iter().any(|http_method| {
        expected_access(http_method, &sample, simulator_routed)
            == Expected::Protected(RouteAccess::Admin)
    });
    if method.api_key_required && method.authorizer.is_none() {
        problems.push(format!(
            "{id} requires an API key but has no authorizer to name it: v1 clients send none"
        ));
    }
    if staff_route && !method.api_key_required {
        problems.push(format!(
            "{id} serves staff routes without a usage plan key: no per-integration limit"
        ));
    }
    let login = LOGIN_METHODS.iter().any(|(login_method, login_path)| {
        *login_method == method.http_method && *login_path == method.path
    });
    if login {
        let uri = text_of(&method.integration["Uri"]).unwrap_or_default();
        if method.integration["Type"] != "AWS_PROXY"
            || !uri.contains("${AuthenticateLambdaFunction.Arn}")
        {
            problems.push(format!(
                "{id}: the login route {} does not call authenticate",
                method.path
            ));
        }
        return;
    }
    problems.extend(app_integration_problems(method));
}

/// An app method's integration: HTTPS to the load balancer's certificate name, through the
/// VPC link, with the identity headers the gateway controls.
fn app_integration_problems(method: &RestMethod) -> Vec<String> {
    let id = &method.logical_id;
    let integration = &method.integration;
    let mut problems = Vec::new();
    if integration["Type"] != "HTTP_PROXY" || integration["ConnectionType"] != "VPC_LINK" {
        problems.push(format!("{id}: not an HTTP proxy through the VPC link"));
    }
    if integration["IntegrationTarget"].is_null() {
        problems.push(format!(
            "{id}: no IntegrationTarget (the app's load balancer)"
        ));
    }
    let uri = text_of(&integration["Uri"]).unwrap_or_default();
    let expected_uri = format!(
        "https://${{AppServerName}}{}",
        method.path.replace("{proxy+}", "{proxy}")
    );
    if uri != expected_uri {
        problems.push(format!(
            "{id}: integration URI {uri:?}, expected {expected_uri:?}: TLS to the load balancer's certificate name, same path"
        ));
    }
    let parameters = &integration["RequestParameters"];
    if parameters[REQUEST_ID.0] != REQUEST_ID.1 {
        problems.push(format!(
            "{id}: the app does not get the gateway's request id ({} = {})",
            REQUEST_ID.0, REQUEST_ID.1
        ));
    }
    for (header, overwrite) in CLIENT_TRACE_OVERWRITES {
        if parameters[header] != overwrite {
            problems.push(format!(
                "{id}: the client's trace header reaches the app ({header} must be {overwrite})"
            ));
        }
    }
    for header in IDENTITY_HEADERS {
        let value = parameters[format!("integration.request.header.{header}")].as_str();
        let set_by_gateway = match (&method.authorizer, value) {
            (Some(_), Some(value)) => value.starts_with("context.authorizer."),
            (None, Some(value)) => value.starts_with('\'') && value.ends_with('\''),
            (_, None) => false,
        };
        if !set_by_gateway {
            problems.push(format!(
                "{id}: {header} is not set by the gateway ({value:?}): a client could choose it"
            ));
        }
    }
    problems
}

/// Whether the stage routes the payment simulator, by the authorizer's setting and the stage.
struct SimulatorRouting {
    stage: String,
    routed: bool,
}

impl SimulatorRouting {
    fn of(template: &Template) -> Result<Self, String> {
        let stage = template
            .resource("ApiGatewayStage")
            .and_then(|stage| stage["Properties"]["StageName"].as_str())
            .ok_or("no ApiGatewayStage with a StageName")?
            .to_owned();
        let setting = template
            .resource("ValidateJwtLambdaFunction")
            .and_then(|function| {
                function["Properties"]["Environment"]["Variables"]["PAYMENT_SIMULATOR"].as_str()
            })
            .unwrap_or("absent");
        Ok(Self {
            stage,
            routed: setting == "routed",
        })
    }

    fn problems(&self, routes: &RouteTable) -> Vec<String> {
        let simulator_methods: Vec<&RestMethod> = routes
            .methods
            .iter()
            .filter(|method| method.path.contains("/simulador"))
            .collect();
        let mut problems = Vec::new();
        if self.stage == "production" && self.routed {
            problems.push("production's validate_jwt has PAYMENT_SIMULATOR=routed".to_owned());
        }
        if !self.routed {
            for method in simulator_methods {
                problems.push(format!(
                    "{}: {} {} routes the payment simulator, which stage {} does not serve",
                    method.logical_id, method.http_method, method.path, self.stage
                ));
            }
        }
        problems
    }
}

/// The REQUEST authorizer: its cache key and TTL.
fn authorizer_problems(template: &Template) -> Vec<String> {
    let Some(authorizer) = template.resource(AUTHORIZER) else {
        return vec![format!("the template has no {AUTHORIZER}")];
    };
    let properties = &authorizer["Properties"];
    let mut problems = Vec::new();
    if properties["Type"] != "REQUEST" {
        problems.push(format!("{AUTHORIZER}: not a REQUEST authorizer"));
    }
    let sources: Vec<&str> = properties["IdentitySource"]
        .as_str()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .collect();
    for required in REQUIRED_IDENTITY_SOURCES {
        if !sources
            .iter()
            .any(|source| same_identity_source(source, required))
        {
            problems.push(format!(
                "{AUTHORIZER}: IdentitySource {sources:?} lacks {required}: a cached verdict would be reused for requests the authorizer decides differently"
            ));
        }
    }
    // API Gateway caches 300 s when the property is absent.
    let ttl = properties["AuthorizerResultTtlInSeconds"]
        .as_u64()
        .unwrap_or(300);
    if ttl > CLOCK_TOLERANCE.as_secs() {
        problems.push(format!(
            "{AUTHORIZER}: results cached {ttl} s, longer than the verifier's {} s clock tolerance: an expired token would pass on a cached verdict",
            CLOCK_TOLERANCE.as_secs()
        ));
    }
    if !text_of(&properties["AuthorizerUri"])
        .is_some_and(|uri| uri.contains("${ValidateJwtLambdaFunction.Arn}"))
    {
        problems.push(format!("{AUTHORIZER}: does not call validate_jwt"));
    }
    problems
}

/// Header names are case-insensitive; context variables are not.
fn same_identity_source(source: &str, required: &str) -> bool {
    const HEADER: &str = "method.request.header.";
    match (source.strip_prefix(HEADER), required.strip_prefix(HEADER)) {
        (Some(name), Some(required_name)) => name.eq_ignore_ascii_case(required_name),
        _ => source == required,
    }
}

/// 401 with `WWW-Authenticate: Bearer` and 403, both in the v1 error shape.
fn gateway_response_problems(template: &Template) -> Vec<String> {
    let responses = template.of_type("AWS::ApiGateway::GatewayResponse");
    let mut problems = Vec::new();
    for (kind, status, header) in [
        (
            "UNAUTHORIZED",
            "401",
            Some(("WWW-Authenticate", "'Bearer'")),
        ),
        ("ACCESS_DENIED", "403", None),
    ] {
        let Some((logical_id, response)) = responses
            .iter()
            .find(|(_, response)| response["Properties"]["ResponseType"] == kind)
        else {
            problems.push(format!(
                "no gateway response for {kind}: API Gateway's default body is not the v1 shape"
            ));
            continue;
        };
        let properties = &response["Properties"];
        if properties["StatusCode"] != status {
            problems.push(format!(
                "{logical_id}: {kind} answers {}, not {status}",
                properties["StatusCode"]
            ));
        }
        if let Some((name, value)) = header
            && properties["ResponseParameters"][format!("gatewayresponse.header.{name}")] != value
        {
            problems.push(format!(
                "{logical_id}: {kind} lacks the header {name}: {value}"
            ));
        }
        let body = properties["ResponseTemplates"]["application/json"]
            .as_str()
            .unwrap_or_default();
        if !body.contains("\"detail\"") {
            problems.push(format!(
                "{logical_id}: {kind} body {body:?} is not {{\"detail\": …}}"
            ));
        }
    }
    problems
}

/// One deployment, depending on every method and gateway response, and the stage on it.
fn deployment_problems(template: &Template) -> Vec<String> {
    let deployments = template.of_type("AWS::ApiGateway::Deployment");
    let [(logical_id, deployment)] = deployments.as_slice() else {
        return vec![format!(
            "{} REST API deployments, expected one",
            deployments.len()
        )];
    };
    let depends_on: BTreeSet<&str> = one_or_many(&deployment["DependsOn"])
        .into_iter()
        .filter_map(Value::as_str)
        .collect();
    let mut problems = Vec::new();
    for kind in [
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::GatewayResponse",
    ] {
        for (id, _) in template.of_type(kind) {
            if !depends_on.contains(id) {
                problems.push(format!(
                    "{logical_id} does not depend on {id}: the stage could be deployed without it"
                ));
            }
        }
    }
    let stage_deployment = template
        .resource("ApiGatewayStage")
        .map(|stage| &stage["Properties"]["DeploymentId"]["Ref"]);
    if stage_deployment.and_then(Value::as_str) != Some(logical_id) {
        problems.push(format!("ApiGatewayStage does not point at {logical_id}"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn resource(parent: Value, part: &str) -> Value {
        json!({ "Type": "AWS::ApiGateway::Resource", "Properties": { "ParentId": parent, "PathPart": part } })
    }

    fn root() -> Value {
        json!({ "Fn::GetAtt": ["ApiGatewayRestApi", "RootResourceId"] })
    }

    fn app_method(resource: &str, method: &str, path: &str, protected: bool) -> Value {
        let (authorization, headers) = if protected {
            (
                "CUSTOM",
                json!({
                    "integration.request.header.x-postech-subject": "context.authorizer.sub",
                    "integration.request.header.x-postech-role": "context.authorizer.role",
                    "integration.request.header.x-request-id": "context.requestId",
                    "integration.request.header.traceparent": CLIENT_TRACE_OVERWRITES[0].1,
                    "integration.request.header.tracestate": CLIENT_TRACE_OVERWRITES[1].1
                }),
            )
        } else {
            (
                "NONE",
                json!({
                    "integration.request.header.x-postech-subject": "'anonymous'",
                    "integration.request.header.x-postech-role": "'anonymous'",
                    "integration.request.header.x-request-id": "context.requestId",
                    "integration.request.header.traceparent": CLIENT_TRACE_OVERWRITES[0].1,
                    "integration.request.header.tracestate": CLIENT_TRACE_OVERWRITES[1].1
                }),
            )
        };
        json!({
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "ResourceId": { "Ref": resource },
                "HttpMethod": method,
                "AuthorizationType": authorization,
                "AuthorizerId": if protected { json!({ "Ref": AUTHORIZER }) } else { Value::Null },
                "Integration": {
                    "Type": "HTTP_PROXY",
                    "ConnectionType": "VPC_LINK",
                    "IntegrationTarget": { "Ref": "AppLoadBalancerArn" },
                    "Uri": { "Fn::Sub": format!("https://${{AppServerName}}{path}") },
                    "RequestParameters": headers
                }
            }
        })
    }

    /// A template with the products route (public), the customer's profile (protected), the
    /// catch-all (protected), and the given simulator setting.
    fn template(stage: &str, simulator: &str, extra: &[(&str, Value)]) -> Template {
        let mut resources = json!({
            "ApiGatewayStage": { "Type": "AWS::ApiGateway::Stage", "Properties": { "StageName": stage } },
            "ValidateJwtLambdaFunction": { "Type": "AWS::Lambda::Function", "Properties": { "Environment": { "Variables": { "PAYMENT_SIMULATOR": simulator } } } },
            "PathV1": resource(root(), "v1"),
            "PathV1Api": resource(json!({ "Ref": "PathV1" }), "api"),
            "PathProducts": resource(json!({ "Ref": "PathV1Api" }), "produtos"),
            "PathCustomers": resource(json!({ "Ref": "PathV1Api" }), "clientes"),
            "PathOwnProfile": resource(json!({ "Ref": "PathCustomers" }), "me"),
            "PathAnyOther": resource(root(), "{proxy+}"),
            "MethodProducts": app_method("PathProducts", "GET", "/v1/api/produtos", false),
            "MethodOwnProfile": app_method("PathOwnProfile", "GET", "/v1/api/clientes/me", true),
            "MethodAnyOther": app_method("PathAnyOther", "ANY", "/{proxy}", true),
        });
        for (id, value) in extra {
            resources[*id] = value.clone();
        }
        Template::from_value(json!({ "Resources": resources }))
    }

    fn simulator_resources() -> Vec<(&'static str, Value)> {
        vec![
            (
                "PathPayments",
                resource(json!({ "Ref": "PathV1Api" }), "pagamentos"),
            ),
            (
                "PathSimulator",
                resource(json!({ "Ref": "PathPayments" }), "simulador"),
            ),
            (
                "PathSimulatorOrder",
                resource(json!({ "Ref": "PathSimulator" }), "{pedido_id}"),
            ),
            (
                "PathSimulatorApprove",
                resource(json!({ "Ref": "PathSimulatorOrder" }), "aprovar"),
            ),
            (
                "MethodSimulatorApprove",
                app_method(
                    "PathSimulatorApprove",
                    "POST",
                    "/v1/api/pagamentos/simulador/{pedido_id}/aprovar",
                    false,
                ),
            ),
        ]
    }

    fn method_problems_of(template: &Template, simulator_routed: bool) -> Vec<String> {
        let routes = template.route_table().expect("route table");
        let mut problems = SimulatorRouting::of(template)
            .expect("stage")
            .problems(&routes);
        for method in &routes.methods {
            method_problems(method, &routes, simulator_routed, &mut problems);
        }
        problems
    }

    #[test]
    fn public_and_protected_methods_as_the_authorizer_classifies_them_pass() {
        assert_eq!(
            method_problems_of(&template("staging", "routed", &[]), true),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_protected_route_without_authorizer_is_refused() {
        let unprotected = [(
            "MethodOwnProfile",
            app_method("PathOwnProfile", "GET", "/v1/api/clientes/me", false),
        )];
        let problems = method_problems_of(&template("staging", "routed", &unprotected), true);
        assert!(
            problems
                .iter()
                .any(|problem| problem.contains("has no authorizer")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_public_route_behind_the_authorizer_is_refused() {
        let protected = [(
            "MethodProducts",
            app_method("PathProducts", "GET", "/v1/api/produtos", true),
        )];
        let problems = method_problems_of(&template("staging", "routed", &protected), true);
        assert!(
            problems
                .iter()
                .any(|problem| problem.contains("anonymous clients would get 401")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_plain_http_integration_is_refused() {
        let mut method = app_method("PathProducts", "GET", "/v1/api/produtos", false);
        method["Properties"]["Integration"]["Uri"] =
            json!({ "Fn::Sub": "http://${AppServerName}/v1/api/produtos" });
        let problems = method_problems_of(
            &template("staging", "routed", &[("MethodProducts", method)]),
            true,
        );
        assert!(
            problems.iter().any(|problem| problem.contains("TLS")),
            "{problems:?}"
        );
    }

    #[test]
    fn an_identity_header_a_client_could_set_is_refused() {
        let mut method = app_method("PathOwnProfile", "GET", "/v1/api/clientes/me", true);
        let parameters = method["Properties"]["Integration"]["RequestParameters"]
            .as_object_mut()
            .expect("parameters");
        for header in IDENTITY_HEADERS {
            parameters.remove(&format!("integration.request.header.{header}"));
        }
        let problems = method_problems_of(
            &template("staging", "routed", &[("MethodOwnProfile", method)]),
            true,
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn a_client_trace_header_reaching_the_app_is_refused() {
        for (header, _) in CLIENT_TRACE_OVERWRITES {
            let mut method = app_method("PathProducts", "GET", "/v1/api/produtos", false);
            let parameters = method["Properties"]["Integration"]["RequestParameters"]
                .as_object_mut()
                .expect("parameters");
            parameters.remove(header);
            let problems = method_problems_of(
                &template("staging", "routed", &[("MethodProducts", method)]),
                true,
            );
            assert_eq!(problems.len(), 1, "{header}: {problems:?}");
            assert!(problems[0].contains(header), "{problems:?}");
        }
    }

    #[test]
    fn the_simulator_is_public_where_routed_and_absent_from_production() {
        let staging = template("staging", "routed", &simulator_resources());
        assert_eq!(method_problems_of(&staging, true), Vec::<String>::new());

        let production = template("production", "absent", &simulator_resources());
        let problems = method_problems_of(&production, false);
        assert!(
            problems.iter().any(|problem| problem
                .contains("routes the payment simulator, which stage production does not serve")),
            "{problems:?}"
        );
        let routed_production = template("production", "routed", &[]);
        let problems = method_problems_of(&routed_production, true);
        assert!(
            problems
                .iter()
                .any(|problem| problem.contains("PAYMENT_SIMULATOR=routed")),
            "{problems:?}"
        );
    }

    #[test]
    fn without_simulator_routes_its_paths_land_on_the_authorized_catch_all() {
        let production = template("production", "absent", &[]);
        let routes = production.route_table().expect("routes");
        let Landing::Method(found) = routes.land("POST", "/v1/api/pagamentos/simulador/1/aprovar")
        else {
            panic!("lands nowhere");
        };
        assert_eq!(found.logical_id, "MethodAnyOther");
        assert_eq!(
            expected_access("POST", "/v1/api/pagamentos/simulador/1/aprovar", false),
            Expected::Gone
        );
    }

    #[test]
    fn a_method_missing_on_a_resource_does_not_fall_back_to_the_catch_all() {
        let routes = template("staging", "routed", &[])
            .route_table()
            .expect("routes");
        assert!(matches!(
            routes.land("DELETE", "/v1/api/produtos/"),
            Landing::NotFound
        ));
        let Landing::Method(found) = routes.land("GET", "/v1/api/produtos/") else {
            panic!("GET /v1/api/produtos/ lands nowhere");
        };
        assert_eq!(found.logical_id, "MethodProducts");
    }

    fn authorizer(sources: &str, ttl: u64) -> Template {
        Template::from_value(json!({
            "Resources": {
                "JwtAuthorizer": {
                    "Type": "AWS::ApiGateway::Authorizer",
                    "Properties": {
                        "Type": "REQUEST",
                        "IdentitySource": sources,
                        "AuthorizerResultTtlInSeconds": ttl,
                        "AuthorizerUri": { "Fn::Sub": "arn:aws:apigateway:r:lambda:path/2015-03-31/functions/${ValidateJwtLambdaFunction.Arn}/invocations" }
                    }
                }
            }
        }))
    }

    #[test]
    fn token_method_and_path_for_at_most_the_clock_tolerance_make_a_sufficient_cache() {
        let template = authorizer(
            "method.request.header.authorization, context.httpMethod, context.path",
            30,
        );
        assert_eq!(authorizer_problems(&template), Vec::<String>::new());
    }

    #[test]
    fn a_cache_key_without_the_token_the_method_or_the_path_is_refused() {
        for (sources, missing) in [
            (
                "context.httpMethod, context.path",
                "method.request.header.Authorization",
            ),
            (
                "method.request.header.Authorization, context.path",
                "context.httpMethod",
            ),
            // The resource path alone: `{proxy+}` covers many paths.
            (
                "method.request.header.Authorization, context.httpMethod, context.resourcePath",
                "context.path",
            ),
        ] {
            let problems = authorizer_problems(&authorizer(sources, 30));
            assert_eq!(problems.len(), 1, "{sources}: {problems:?}");
            assert!(problems[0].contains(missing), "{problems:?}");
        }
    }

    #[test]
    fn a_cache_that_outlives_the_clock_tolerance_is_refused() {
        let problems = authorizer_problems(&authorizer(
            "method.request.header.Authorization, context.httpMethod, context.path",
            300,
        ));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("expired token"), "{problems:?}");
    }

    #[test]
    fn a_403_for_a_missing_token_is_refused() {
        let template = Template::from_value(json!({
            "Resources": {
                "Unauthorized": { "Type": "AWS::ApiGateway::GatewayResponse", "Properties": {
                    "ResponseType": "UNAUTHORIZED", "StatusCode": "403",
                    "ResponseTemplates": { "application/json": "{\"detail\": \"x\"}" }
                } },
                "Denied": { "Type": "AWS::ApiGateway::GatewayResponse", "Properties": {
                    "ResponseType": "ACCESS_DENIED", "StatusCode": "403",
                    "ResponseTemplates": { "application/json": "{\"detail\": \"x\"}" }
                } }
            }
        }));
        let problems = gateway_response_problems(&template);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems.iter().any(|problem| problem.contains("not 401")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|problem| problem.contains("WWW-Authenticate")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_deployment_that_misses_a_method_is_refused() {
        let template = Template::from_value(json!({
            "Resources": {
                "ApiGatewayStage": { "Type": "AWS::ApiGateway::Stage", "Properties": { "DeploymentId": { "Ref": "Deployment1" } } },
                "Deployment1": { "Type": "AWS::ApiGateway::Deployment", "DependsOn": ["MethodA"] },
                "MethodA": { "Type": "AWS::ApiGateway::Method" },
                "MethodB": { "Type": "AWS::ApiGateway::Method" }
            }
        }));
        let problems = deployment_problems(&template);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("MethodB"), "{problems:?}");
    }
}
