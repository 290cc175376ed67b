//! Checks the gateway's route table against the authorizer's rules (`RouteAccess`).
//!
//! `cargo run --example check_route_table -- .serverless/cloudformation-template-update-stack.json`
//!
//! A public route declared with the authorizer would answer 401 to anonymous clients (the
//! gateway refuses requests without the identity source before calling a caching
//! authorizer); a protected route declared without it would skip the token check. Both are
//! configuration mistakes no unit test of the authorizer can see, so scripts/validate-serverless.sh
//! runs this on every packaged template.
//!
//! It also checks the authorizer's result cache key (`IdentitySource`): the verdict depends on
//! the token, the method and the path, so the key must hold all three — with the route key
//! instead, a verdict cached for one path behind `$default` or `ANY /v1/api/admin/{proxy+}`
//! would be reused for another path the authorizer decides differently.

// A command-line check: its verdict goes to stdout.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use lambda_http::http::Method;
use postech_lambda_functions::auth::validate_jwt::RouteAccess;
use serde_json::Value;

/// Requests of API-V1.md's route table (one per row), which must land on a route of the
/// right kind.
const API_V1_REQUESTS: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/api/clientes/"),
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

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

struct Route {
    logical_id: String,
    method: String,
    path: String,
    protected: bool,
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check_route_table <cloudformation template JSON>");
        return ExitCode::from(2);
    };
    let template = match load_template(&path) {
        Ok(template) => template,
        Err(error) => {
            eprintln!("{path}: {error}");
            return ExitCode::from(2);
        }
    };
    let routes = match load_routes(&template) {
        Ok(routes) => routes,
        Err(error) => {
            eprintln!("{path}: {error}");
            return ExitCode::from(2);
        }
    };
    let mut problems = identity_source_problems(&template);
    for route in &routes {
        let methods: Vec<&str> = if route.method == "ANY" {
            METHODS.to_vec()
        } else {
            vec![route.method.as_str()]
        };
        for method in methods {
            let sample = sample_path(&route.path);
            // A more specific route may take this method and path (e.g. the admin login).
            if best_match(&routes, method, &sample).map(|best| best.logical_id.as_str())
                != Some(route.logical_id.as_str())
            {
                continue;
            }
            check(
                &mut problems,
                &route.logical_id,
                route.protected,
                method,
                &sample,
            );
        }
    }
    for (method, request_path) in API_V1_REQUESTS {
        let (logical_id, protected) = match best_match(&routes, method, request_path) {
            Some(route) => (route.logical_id.as_str(), route.protected),
            None => ("$default", true),
        };
        check(&mut problems, logical_id, protected, method, request_path);
    }
    if problems.is_empty() {
        println!(
            "route table agrees with the authorizer: {} routes, {} API-V1 requests checked, cache key holds the token, method and path",
            routes.len(),
            API_V1_REQUESTS.len()
        );
        ExitCode::SUCCESS
    } else {
        for problem in &problems {
            eprintln!("{problem}");
        }
        ExitCode::FAILURE
    }
}

fn check(problems: &mut Vec<String>, logical_id: &str, protected: bool, method: &str, path: &str) {
    let Ok(parsed) = method.parse::<Method>() else {
        problems.push(format!("{logical_id}: unknown method {method}"));
        return;
    };
    let public = RouteAccess::classify(&parsed, path) == RouteAccess::Public;
    if public && protected {
        problems.push(format!(
            "{method} {path} is public for the authorizer but lands on {logical_id}, which requires it: anonymous clients would get 401"
        ));
    }
    if !public && !protected {
        problems.push(format!(
            "{method} {path} needs a token for the authorizer but lands on {logical_id}, which has no authorizer"
        ));
    }
}

fn load_template(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|error| error.to_string())?;
    serde_json::from_str(&text).map_err(|error| error.to_string())
}

/// What the authorizer's cache key must contain, as `IdentitySource` entries: the token (also
/// what makes the gateway answer 401 itself when it is missing), the method and the path —
/// everything `RouteAccess::classify` and the token check decide on.
const REQUIRED_IDENTITY_SOURCES: [&str; 3] = [
    "$request.header.Authorization",
    "$context.httpMethod",
    "$context.path",
];

/// One problem per authorizer whose cache key lacks one of [`REQUIRED_IDENTITY_SOURCES`],
/// and one when the template has no authorizer at all.
fn identity_source_problems(template: &Value) -> Vec<String> {
    let Some(resources) = template["Resources"].as_object() else {
        return vec!["the template has no Resources".into()];
    };
    let authorizers: Vec<(&String, &Value)> = resources
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::ApiGatewayV2::Authorizer")
        .collect();
    if authorizers.is_empty() {
        return vec!["the template declares no AWS::ApiGatewayV2::Authorizer".into()];
    }
    let mut problems = Vec::new();
    for (logical_id, authorizer) in authorizers {
        let sources: Vec<&str> = authorizer["Properties"]["IdentitySource"]
            .as_array()
            .map(|sources| sources.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for required in REQUIRED_IDENTITY_SOURCES {
            if !sources
                .iter()
                .any(|source| same_identity_source(source, required))
            {
                problems.push(format!(
                    "{logical_id}: IdentitySource {sources:?} lacks {required}: a cached verdict would be reused for requests the authorizer decides differently"
                ));
            }
        }
    }
    problems
}

/// Header names are case-insensitive; context variables are not.
fn same_identity_source(source: &str, required: &str) -> bool {
    const HEADER: &str = "$request.header.";
    match (source.strip_prefix(HEADER), required.strip_prefix(HEADER)) {
        (Some(name), Some(required_name)) => name.eq_ignore_ascii_case(required_name),
        _ => source == required,
    }
}

fn load_routes(template: &Value) -> Result<Vec<Route>, String> {
    let resources = template["Resources"]
        .as_object()
        .ok_or("the template has no Resources")?;
    let mut routes = Vec::new();
    for (logical_id, resource) in resources {
        if resource["Type"] != "AWS::ApiGatewayV2::Route" {
            continue;
        }
        let properties = &resource["Properties"];
        let route_key = properties["RouteKey"]
            .as_str()
            .ok_or_else(|| format!("{logical_id}: RouteKey is not a string"))?;
        if route_key == "$default" {
            continue;
        }
        let (method, route_path) = route_key
            .split_once(' ')
            .ok_or_else(|| format!("{logical_id}: route key {route_key} is not `METHOD /path`"))?;
        let protected = match properties["AuthorizationType"].as_str() {
            Some("CUSTOM") => true,
            Some("NONE") | None => false,
            Some(other) => {
                return Err(format!(
                    "{logical_id}: unexpected AuthorizationType {other}"
                ));
            }
        };
        routes.push(Route {
            logical_id: logical_id.clone(),
            method: method.to_owned(),
            path: route_path.to_owned(),
            protected,
        });
    }
    if routes.is_empty() {
        return Err("the template declares no routes".into());
    }
    Ok(routes)
}

/// A concrete path a route key matches: `{id}` → one segment, `{proxy+}` → two.
fn sample_path(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| {
            if segment.ends_with("+}") {
                "sample/path"
            } else if segment.starts_with('{') {
                "sample-id"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The route HTTP API picks: the most literal segments, then an exact method over ANY.
fn best_match<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<&'a Route> {
    let path = path
        .strip_suffix('/')
        .filter(|rest| !rest.is_empty())
        .unwrap_or(path);
    routes
        .iter()
        .filter(|route| route.method == method || route.method == "ANY")
        .filter_map(|route| literal_segments(&route.path, path).map(|score| (score, route)))
        .max_by_key(|(score, route)| (*score, route.method != "ANY"))
        .map(|(_, route)| route)
}

/// How many literal segments of `pattern` match `path`, or `None` when it does not match.
fn literal_segments(pattern: &str, path: &str) -> Option<usize> {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    let mut literals = 0;
    for (index, segment) in pattern.iter().enumerate() {
        if segment.ends_with("+}") {
            return (path.len() > index).then_some(literals);
        }
        let actual = path.get(index)?;
        if segment.starts_with('{') {
            if actual.is_empty() {
                return None;
            }
        } else if segment == actual {
            literals += 1;
        } else {
            return None;
        }
    }
    (path.len() == pattern.len()).then_some(literals)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn template_with_identity_source(sources: &[&str]) -> Value {
        json!({
            "Resources": {
                "JwtAuthorizer": {
                    "Type": "AWS::ApiGatewayV2::Authorizer",
                    "Properties": { "AuthorizerType": "REQUEST", "IdentitySource": sources }
                }
            }
        })
    }

    #[test]
    fn token_method_and_path_make_a_sufficient_cache_key() {
        let template = template_with_identity_source(&[
            "$request.header.authorization",
            "$context.httpMethod",
            "$context.path",
        ]);
        assert_eq!(identity_source_problems(&template), Vec::<String>::new());
    }

    #[test]
    fn a_cache_key_without_the_token_the_method_or_the_path_is_refused() {
        for (sources, missing) in [
            (
                vec!["$context.httpMethod", "$context.path"],
                "$request.header.Authorization",
            ),
            (
                vec!["$request.header.Authorization", "$context.path"],
                "$context.httpMethod",
            ),
            // The route key alone: `$default` and `{proxy+}` cover many paths.
            (
                vec![
                    "$request.header.Authorization",
                    "$context.httpMethod",
                    "$context.routeKey",
                ],
                "$context.path",
            ),
        ] {
            let problems = identity_source_problems(&template_with_identity_source(&sources));
            assert_eq!(problems.len(), 1, "{sources:?}: {problems:?}");
            assert!(problems[0].contains(missing), "{problems:?}");
        }
    }

    #[test]
    fn a_template_without_an_authorizer_is_refused() {
        let problems = identity_source_problems(&json!({ "Resources": {} }));
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
