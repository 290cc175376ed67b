//! Checks the gateway's route table against the authorizer's rules (`RouteAccess`).
//!
//! `cargo run --example check_route_table -- .serverless/cloudformation-template-update-stack.json`
//!
//! A public route declared with the authorizer would answer 401 to anonymous clients (the
//! gateway refuses requests without the identity source before calling a caching
//! authorizer); a protected route declared without it would skip the token check. Both are
//! configuration mistakes no unit test of the authorizer can see, so scripts/validate-serverless.sh
//! runs this on every packaged template.

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
    let routes = match load_routes(&path) {
        Ok(routes) => routes,
        Err(error) => {
            eprintln!("{path}: {error}");
            return ExitCode::from(2);
        }
    };
    let mut problems = Vec::new();
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
            "route table agrees with the authorizer: {} routes, {} API-V1 requests checked",
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

fn load_routes(path: &str) -> Result<Vec<Route>, String> {
    let text = std::fs::read_to_string(path).map_err(|error| error.to_string())?;
    let template: Value = serde_json::from_str(&text).map_err(|error| error.to_string())?;
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
