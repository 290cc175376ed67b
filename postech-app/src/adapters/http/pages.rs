//! The two human faces of the API, served by the app itself: the kiosk (`/kiosk/`) and the
//! kitchen display (`/cozinha/`). Plain HTML, CSS and ES modules from `web/`, embedded in
//! the binary at build time — no build step, no CDN, nothing fetched from elsewhere.
//!
//! Every answer carries a strict Content-Security-Policy: scripts and styles only from this
//! origin (no inline code, no `eval`), connections only to this origin and the auth
//! function's, images from this origin, `data:` (the QR code) and `https:` (product photos
//! are admin-provided URLs), no framing, no plugins, no form posts, no `<base>` rewriting.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::configuration::pages::PageSettings;

/// An embedded file: where it is served, its type, its bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:expr, $path:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $path)),
        }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Files both pages load, served under `/kiosk/` and `/cozinha/` alike (relative URLs, so
/// that a gateway needs only the two page prefixes).
const SHARED: &[Asset] = &[
    asset!(
        "postech.css",
        "text/css; charset=utf-8",
        "shared/postech.css"
    ),
    asset!("api.js", JAVASCRIPT, "shared/api.js"),
    asset!("cpf.js", JAVASCRIPT, "shared/cpf.js"),
    asset!("lanche.svg", SVG, "shared/lanche.svg"),
    asset!("acompanhamento.svg", SVG, "shared/acompanhamento.svg"),
    asset!("bebida.svg", SVG, "shared/bebida.svg"),
    asset!("sobremesa.svg", SVG, "shared/sobremesa.svg"),
];

const KIOSK: &[Asset] = &[asset!("kiosk.js", JAVASCRIPT, "kiosk/kiosk.js")];

const KITCHEN: &[Asset] = &[
    asset!("cozinha.js", JAVASCRIPT, "cozinha/cozinha.js"),
    asset!("event-stream.js", JAVASCRIPT, "cozinha/event-stream.js"),
];

const KIOSK_HTML: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/kiosk/index.html"));
const KITCHEN_HTML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/web/cozinha/index.html"
));

/// Where the HTML names the auth function's origin (an attribute value, empty for "this
/// origin").
const AUTH_ORIGIN_PLACEHOLDER: &str = "{{AUTH_ORIGIN}}";

/// The JavaScript source of the CPF rules the pages apply, for the test that holds them to
/// the SDK's.
pub const CPF_MODULE_SOURCE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/shared/cpf.js"));

/// The pages as served: HTML with the auth origin filled in, and the policy.
pub struct Pages {
    kiosk: String,
    kitchen: String,
    policy: String,
}

impl Pages {
    /// Renders the pages for `settings`.
    pub fn new(settings: &PageSettings) -> Self {
        // `PageSettings` only holds a validated bare origin: safe in an attribute and a policy.
        let origin = settings.auth_origin.as_deref().unwrap_or("");
        Self {
            kiosk: KIOSK_HTML.replace(AUTH_ORIGIN_PLACEHOLDER, origin),
            kitchen: KITCHEN_HTML.replace(AUTH_ORIGIN_PLACEHOLDER, origin),
            policy: content_security_policy(settings.auth_origin.as_deref()),
        }
    }

    fn answer<B>(&self, content_type: &str, body: B) -> HttpResponse
    where
        B: actix_web::body::MessageBody + 'static,
    {
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, content_type))
            .insert_header((header::CONTENT_SECURITY_POLICY, self.policy.as_str()))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            // Small files, re-validated each time: a deploy is seen at the next load.
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(body)
    }
}

/// The policy of both pages.
pub fn content_security_policy(auth_origin: Option<&str>) -> String {
    let connect = match auth_origin {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
         connect-src {connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

async fn kiosk_page(pages: web::Data<Pages>) -> HttpResponse {
    pages.answer(HTML, pages.kiosk.clone())
}

async fn kitchen_page(pages: web::Data<Pages>) -> HttpResponse {
    pages.answer(HTML, pages.kitchen.clone())
}

fn file(pages: &Pages, own: &[Asset], name: &str) -> HttpResponse {
    match own.iter().chain(SHARED).find(|asset| asset.name == name) {
        Some(asset) => pages.answer(asset.content_type, asset.body),
        None => HttpResponse::NotFound().json(crate::adapters::http::error::ErrorBody {
            detail: "Not Found".to_owned(),
        }),
    }
}

async fn kiosk_file(pages: web::Data<Pages>, name: web::Path<String>) -> HttpResponse {
    file(&pages, KIOSK, &name)
}

async fn kitchen_file(pages: web::Data<Pages>, name: web::Path<String>) -> HttpResponse {
    file(&pages, KITCHEN, &name)
}

/// `/kiosk` → `/kiosk/`: the pages load their files by relative URLs.
fn redirect(to: &'static str) -> impl Fn() -> std::future::Ready<HttpResponse> + Clone {
    move || {
        std::future::ready(
            HttpResponse::MovedPermanently()
                .insert_header((header::LOCATION, to))
                .finish(),
        )
    }
}

/// Registers the pages (outside the OpenAPI document: they are not API routes).
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/kiosk", web::get().to(redirect("/kiosk/")))
        .route("/kiosk/", web::get().to(kiosk_page))
        .route("/kiosk/{name}", web::get().to(kiosk_file))
        .route("/cozinha", web::get().to(redirect("/cozinha/")))
        .route("/cozinha/", web::get().to(kitchen_page))
        .route("/cozinha/{name}", web::get().to(kitchen_file));
}

#[cfg(test)]
mod tests {
    use super::content_security_policy;

    #[test]
    fn the_policy_allows_no_inline_code_and_names_the_auth_origin() {
        let policy = content_security_policy(Some("http://127.0.0.1:9000"));
        assert!(!policy.contains("unsafe"), "{policy}");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(
            policy.contains("connect-src 'self' http://127.0.0.1:9000;"),
            "{policy}"
        );
        assert!(content_security_policy(None).contains("connect-src 'self';"));
    }
}
