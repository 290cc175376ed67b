//! The kiosk and kitchen pages: served by the app with everything they load, under a strict
//! Content-Security-Policy; and the CPF rules their JavaScript applies agree with the SDK's.

use std::io::Write;
use std::process::{Command, Stdio};

use postech_app::adapters::http::pages::CPF_MODULE_SOURCE;
use postech_shared_sdk::cpf::{Cpf, CpfError};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

/// The `src`/`href` values of an HTML page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').expect("closing quote");
            found.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    found
}

fn assert_strict_policy(policy: &str) {
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
}

#[tokio::test]
async fn both_pages_load_only_files_the_app_serves_each_under_a_strict_policy() {
    let app = TestApp::spawn().await;
    for page in ["/kiosk/", "/cozinha/"] {
        let response = app.get(page).await;
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8"
        );
        assert_strict_policy(
            response.headers()["content-security-policy"]
                .to_str()
                .expect("ascii"),
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let html = response.text().await.expect("html");
        assert!(html.contains("lang=\"pt-BR\""));
        assert!(!html.contains("style=\""), "no inline style in {page}");
        assert!(!html.contains("<script>"), "no inline script in {page}");
        let files = references(&html);
        assert!(files.len() >= 2, "{files:?}");
        for file in files {
            assert!(file.starts_with("./"), "{page} loads {file} from elsewhere");
            let asset = app.get(&format!("{page}{}", &file[2..])).await;
            assert_eq!(asset.status(), StatusCode::OK, "{page}{file}");
            assert!(asset.headers().contains_key("content-security-policy"));
        }
    }
}

#[tokio::test]
async fn the_module_imports_of_the_pages_are_served_beside_them() {
    let app = TestApp::spawn().await;
    for (page, script) in [("/kiosk/", "kiosk.js"), ("/cozinha/", "cozinha.js")] {
        let source = app
            .get(&format!("{page}{script}"))
            .await
            .text()
            .await
            .expect("js");
        for line in source.lines().filter(|line| line.starts_with("import ")) {
            let module = line
                .split('"')
                .nth(1)
                .and_then(|path| path.strip_prefix("./"))
                .expect("a relative import");
            let served = app.get(&format!("{page}{module}")).await;
            assert_eq!(served.status(), StatusCode::OK, "{page}{module}");
            assert_eq!(
                served.headers()["content-type"],
                "text/javascript; charset=utf-8"
            );
        }
    }
}

#[tokio::test]
async fn a_page_without_its_slash_redirects_and_an_unknown_file_is_404() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let bare = client
        .get(app.url("/cozinha"))
        .send()
        .await
        .expect("request");
    assert_eq!(bare.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(bare.headers()["location"], "/cozinha/");
    assert_eq!(
        app.get("/kiosk/nada.js").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/kiosk/cozinha.js").await.status(),
        StatusCode::NOT_FOUND,
        "each page serves its own script only"
    );
}

/// A deterministic stream of numbers (no dependency needed for test inputs).
struct Numbers(u64);

impl Numbers {
    fn next(&mut self, below: u64) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % below
    }
}

/// CPFs as people and programs type them: valid ones formatted and not, one digit off,
/// digits swapped, all-equal digits, wrong lengths, stray punctuation, white space around
/// (including characters only one of Rust and JavaScript calls white space), non-ASCII
/// digits, letters.
fn cpf_inputs() -> Vec<String> {
    let mut numbers = Numbers(0x5eed_cafe_f00d_beef);
    let mut inputs: Vec<String> = [
        "529.982.247-25",
        "52998224725",
        "123.456.789-09",
        "987.654.321-00",
        "291.417.776-30",
        "111.111.111-11",
        "00000000000",
        "",
        " ",
        "529.982.24725",
        "529982247-25",
        "529.982.247.25",
        "529 982 247 25",
        "5299822472",
        "529982247255",
        "52998224725\u{85}",
        "\u{feff}52998224725",
        "\u{3000}529.982.247-25\t",
        "５２９９８２２４７２５",
        "529.982.247-2５",
        "abc.def.ghi-jk",
        "+52998224725",
    ]
    .iter()
    .map(|text| (*text).to_owned())
    .collect();
    for _ in 0..2500 {
        let base: [u8; 9] = std::array::from_fn(|_| numbers.next(10) as u8);
        let Ok(valid) = Cpf::from_base_digits(base) else {
            continue;
        };
        let digits = valid.as_digits().to_owned();
        let mut wrong = digits.clone().into_bytes();
        let position = numbers.next(11) as usize;
        wrong[position] = b'0' + ((wrong[position] - b'0' + 1 + numbers.next(9) as u8) % 10);
        let wrong = String::from_utf8(wrong).expect("digits");
        let mut swapped = digits.clone().into_bytes();
        swapped.swap(numbers.next(11) as usize, numbers.next(11) as usize);
        let swapped = String::from_utf8(swapped).expect("digits");
        for candidate in [digits, wrong, swapped] {
            let formatted = format!(
                "{}.{}.{}-{}",
                &candidate[0..3],
                &candidate[3..6],
                &candidate[6..9],
                &candidate[9..11]
            );
            let cut = numbers.next(11) as usize;
            inputs.push(format!("{}{}", &candidate[..cut], &candidate[cut + 1..]));
            inputs.push(format!(" {formatted}\n"));
            inputs.push(formatted);
            inputs.push(candidate);
        }
    }
    for digit in 0..10 {
        inputs.push(digit.to_string().repeat(11));
    }
    inputs
}

fn sdk_verdict(text: &str) -> Value {
    match Cpf::parse(text) {
        Ok(cpf) => serde_json::json!({ "ok": true, "digits": cpf.as_digits() }),
        Err(CpfError::InvalidFormat) => serde_json::json!({ "ok": false, "error": "formato" }),
        Err(CpfError::AllDigitsEqual) => {
            serde_json::json!({ "ok": false, "error": "digitos_iguais" })
        }
        Err(CpfError::WrongCheckDigits) => {
            serde_json::json!({ "ok": false, "error": "digitos_verificadores" })
        }
    }
}

/// The kiosk validates CPFs in the browser with `web/shared/cpf.js`; the API validates them
/// with the SDK. Every input must get the same verdict from both, or a kiosk would let
/// through what the API refuses (or refuse a valid customer).
#[test]
fn the_pages_cpf_rules_agree_with_the_sdk() {
    let directory = std::env::temp_dir().join(format!("postech-cpf-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    std::fs::write(directory.join("cpf.mjs"), CPF_MODULE_SOURCE).expect("module");
    std::fs::write(
        directory.join("verdicts.mjs"),
        "import { parseCpf } from './cpf.mjs';\n\
         let input = '';\n\
         process.stdin.on('data', (chunk) => { input += chunk; });\n\
         process.stdin.on('end', () => {\n\
           process.stdout.write(JSON.stringify(JSON.parse(input).map(parseCpf)));\n\
         });\n",
    )
    .expect("runner");
    let inputs = cpf_inputs();
    let mut node = Command::new("node")
        .arg(directory.join("verdicts.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node (Node.js 20) on PATH");
    node.stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(&inputs).expect("json").as_bytes())
        .expect("inputs written");
    let output = node.wait_with_output().expect("node ran");
    std::fs::remove_dir_all(&directory).ok();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts: Vec<Value> = serde_json::from_slice(&output.stdout).expect("verdicts");
    assert_eq!(verdicts.len(), inputs.len());
    let mut valid = 0;
    for (input, javascript) in inputs.iter().zip(&verdicts) {
        assert_eq!(javascript, &sdk_verdict(input), "input {input:?}");
        valid += usize::from(javascript["ok"] == true);
    }
    assert!(
        valid > 2000 && valid < inputs.len() / 2,
        "{valid} valid of {}",
        inputs.len()
    );
}
