//! Who may call each route of the public API — the "Who" column of API-V1.md.
//!
//! The gateway's route table (infra/app-routes.yml) sends public methods past the authorizer;
//! `examples/check_route_table.rs` fails the validation when the two disagree.

use lambda_http::http::Method;

/// The access rule of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteAccess {
    /// Anyone, with or without a token ("anyone" in API-V1.md; the app reads an optional
    /// token on checkout and order routes).
    Public,
    /// A customer token: the customer's own profile and orders.
    Customer,
    /// An admin token.
    Admin,
    /// Any valid token: paths the route table does not list (the app answers 404), so
    /// anonymous probing of unknown paths never reaches the cluster.
    AnyValidToken,
    /// Never through the gateway: `/metrics` (scraped inside the cluster) and paths no
    /// client has a reason to send (dot segments, encoded slashes).
    Denied,
    /// The payment simulator's approve/reject routes: public in a stage that routes them
    /// (staging, for demos), denied in one that does not (production). The stage decides
    /// ([`PaymentSimulator`](crate::config::PaymentSimulator)).
    PaymentSimulator,
}

impl RouteAccess {
    /// The rule for a request. The path may carry a trailing slash and percent-encoding.
    ///
    /// ```
    /// use lambda_http::http::Method;
    /// use postech_lambda_functions::auth::validate_jwt::RouteAccess;
    ///
    /// assert_eq!(RouteAccess::classify(&Method::GET, "/v1/api/produtos/"), RouteAccess::Public);
    /// assert_eq!(RouteAccess::classify(&Method::GET, "/v1/api/clientes/me"), RouteAccess::Customer);
    /// assert_eq!(RouteAccess::classify(&Method::DELETE, "/v1/api/admin/produtos/42"), RouteAccess::Admin);
    /// assert_eq!(RouteAccess::classify(&Method::GET, "/metrics"), RouteAccess::Denied);
    /// ```
    pub fn classify(method: &Method, path: &str) -> Self {
        let Some(path) = percent_decode(path) else {
            return Self::Denied;
        };
        let path = path.strip_suffix('/').unwrap_or(&path);
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if segments
            .iter()
            .any(|segment| matches!(*segment, "." | ".."))
        {
            return Self::Denied;
        }
        let get = *method == Method::GET;
        let post = *method == Method::POST;
        match segments.as_slice() {
            ["metrics"] => Self::Denied,
            ["health"] | ["ready"] | ["openapi.json"] | ["docs", ..] if get => Self::Public,
            // The login routes themselves (they go to `authenticate`, not to the app).
            ["auth"] | ["auth", "admin"] | ["v1", "api", "admin", "login"] if post => Self::Public,
            ["v1", "api", "admin", ..] => Self::Admin,
            ["v1", "api", "clientes"] | ["v1", "api", "clientes", "confirmacao"] if post => {
                Self::Public
            }
            ["v1", "api", "clientes", "me"] | ["v1", "api", "clientes", "me", "pedidos"] if get => {
                Self::Customer
            }
            ["v1", "api", "categorias"]
            | ["v1", "api", "produtos"]
            | ["v1", "api", "produtos", _]
                if get =>
            {
                Self::Public
            }
            ["v1", "api", "pedidos"] if post => Self::Public,
            ["v1", "api", "pedidos", _] if get => Self::Public,
            ["v1", "api", "pagamentos", _, "qrcode" | "status"] if get => Self::Public,
            ["v1", "api", "pagamentos", "webhook"] if post => Self::Public,
            [
                "v1",
                "api",
                "pagamentos",
                "simulador",
                _,
                "aprovar" | "rejeitar",
            ] if post => Self::PaymentSimulator,
            _ => Self::AnyValidToken,
        }
    }
}

/// Decodes `%XX` escapes so `/v1/api/%61dmin/…` is judged as the admin route it is. `None`
/// for a malformed escape, an encoded `/` (it would change the segments) or invalid UTF-8.
fn percent_decode(path: &str) -> Option<String> {
    if !path.contains('%') {
        return Some(path.to_owned());
    }
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let high = hex_value(*bytes.get(index + 1)?)?;
            let low = hex_value(*bytes.get(index + 2)?)?;
            let byte = high * 16 + low;
            if byte == b'/' {
                return None;
            }
            decoded.push(byte);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(method: Method, path: &str) -> RouteAccess {
        RouteAccess::classify(&method, path)
    }

    #[test]
    fn every_anyone_route_of_api_v1_is_public_with_and_without_trailing_slash() {
        let public = [
            (Method::GET, "/health"),
            (Method::GET, "/ready"),
            (Method::GET, "/docs"),
            (Method::GET, "/docs/swagger-ui.css"),
            (Method::GET, "/openapi.json"),
            (Method::POST, "/v1/api/clientes/"),
            (Method::GET, "/v1/api/categorias/"),
            (Method::GET, "/v1/api/produtos/"),
            (
                Method::GET,
                "/v1/api/produtos/8d1f0d5e-5f7e-4c55-9f4f-0d6f1e0b9a11",
            ),
            (Method::POST, "/v1/api/pedidos/"),
            (
                Method::GET,
                "/v1/api/pedidos/8d1f0d5e-5f7e-4c55-9f4f-0d6f1e0b9a11",
            ),
            (Method::GET, "/v1/api/pagamentos/8d1f/qrcode"),
            (Method::GET, "/v1/api/pagamentos/8d1f/status"),
            (Method::POST, "/v1/api/pagamentos/webhook"),
            (Method::POST, "/auth"),
            (Method::POST, "/auth/admin"),
            (Method::POST, "/v1/api/admin/login"),
        ];
        for (method, path) in public {
            assert_eq!(
                access(method.clone(), path),
                RouteAccess::Public,
                "{method} {path}"
            );
            let toggled = match path.strip_suffix('/') {
                Some(bare) => bare.to_owned(),
                None => format!("{path}/"),
            };
            assert_eq!(
                access(method.clone(), &toggled),
                RouteAccess::Public,
                "{method} {toggled}"
            );
        }
    }

    #[test]
    fn the_payment_simulator_routes_are_left_to_the_stage() {
        for path in [
            "/v1/api/pagamentos/simulador/8d1f/aprovar",
            "/v1/api/pagamentos/simulador/8d1f/rejeitar/",
        ] {
            assert_eq!(
                access(Method::POST, path),
                RouteAccess::PaymentSimulator,
                "{path}"
            );
        }
        assert_eq!(
            access(Method::GET, "/v1/api/pagamentos/simulador/8d1f/aprovar"),
            RouteAccess::AnyValidToken
        );
    }

    #[test]
    fn own_profile_and_orders_need_a_customer() {
        assert_eq!(
            access(Method::GET, "/v1/api/clientes/me"),
            RouteAccess::Customer
        );
        assert_eq!(
            access(Method::GET, "/v1/api/clientes/me/pedidos/"),
            RouteAccess::Customer
        );
    }

    #[test]
    fn every_admin_path_and_method_needs_an_admin_except_the_login() {
        for (method, path) in [
            (Method::GET, "/v1/api/admin/clientes/"),
            (Method::GET, "/v1/api/admin/clientes/52998224725"),
            (Method::POST, "/v1/api/admin/produtos/"),
            (Method::PUT, "/v1/api/admin/produtos/1"),
            (Method::DELETE, "/v1/api/admin/pedidos/1"),
            (Method::PATCH, "/v1/api/admin/pedidos/1/status"),
            (Method::GET, "/v1/api/admin/pedidos/em-aberto"),
            (Method::GET, "/v1/api/admin/login"),
            (Method::GET, "/v1/api/%61dmin/produtos"),
        ] {
            assert_eq!(
                access(method.clone(), path),
                RouteAccess::Admin,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn a_public_path_with_another_method_is_not_public() {
        assert_eq!(
            access(Method::DELETE, "/v1/api/produtos/1"),
            RouteAccess::AnyValidToken
        );
        assert_eq!(
            access(Method::GET, "/v1/api/clientes/"),
            RouteAccess::AnyValidToken
        );
        assert_eq!(
            access(Method::POST, "/v1/api/pagamentos/1/qrcode"),
            RouteAccess::AnyValidToken
        );
    }

    #[test]
    fn metrics_dot_segments_and_encoded_slashes_are_denied() {
        assert_eq!(access(Method::GET, "/metrics"), RouteAccess::Denied);
        assert_eq!(
            access(Method::GET, "/v1/api/produtos/../admin/produtos"),
            RouteAccess::Denied
        );
        assert_eq!(
            access(Method::GET, "/v1/api/admin%2Fprodutos"),
            RouteAccess::Denied
        );
        assert_eq!(access(Method::GET, "/v1/api/%zz"), RouteAccess::Denied);
    }

    #[test]
    fn unknown_paths_need_a_valid_token() {
        assert_eq!(access(Method::GET, "/"), RouteAccess::AnyValidToken);
        assert_eq!(
            access(Method::GET, "/v1/api/segredos"),
            RouteAccess::AnyValidToken
        );
    }
}
