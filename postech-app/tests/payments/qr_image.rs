//! The QR code as a picture: the PNG in the QR code answer and at `…/qrcode.png` reads back
//! (with a QR decoder) as exactly the Pix payload; Mercado Pago's own picture is passed
//! through unchanged.

use std::io::Cursor;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::StatusCode;

use crate::common::BehindTheApi;
use crate::harness::PaymentApp;

/// What a phone's camera would read from the picture: the text of the one QR code in it.
fn read_qr_code(png_bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let frame = reader.next_frame(&mut pixels).expect("one frame");
    assert_eq!(frame.color_type, png::ColorType::Grayscale);
    let (width, height) = (frame.width as usize, frame.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        pixels[y * frame.line_size + x]
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the picture");
    let (_, content) = grids[0].decode().expect("a readable QR code");
    content
}

#[tokio::test]
async fn the_qr_code_picture_of_the_simulated_provider_reads_back_as_exactly_qr_data() {
    let app = PaymentApp::with_simulator().await;
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;
    let qr_data = qr["qr_data"].as_str().expect("qr_data");
    let picture = BASE64
        .decode(qr["qr_code_base64"].as_str().expect("qr_code_base64"))
        .expect("base64");

    assert_eq!(read_qr_code(&picture), qr_data);
}

#[tokio::test]
async fn the_png_route_serves_the_same_payment_s_picture_for_an_img_tag() {
    let app = PaymentApp::with_simulator().await;
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;

    let response = app
        .get(&format!("/v1/api/pagamentos/{order}/qrcode.png"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    let picture = response.bytes().await.expect("body");
    assert_eq!(
        read_qr_code(&picture),
        qr["qr_data"].as_str().expect("qr_data")
    );
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM payments"),
        1,
        "the picture is of the pending payment, not of a second charge"
    );
}

#[tokio::test]
async fn mercado_pago_s_own_picture_is_passed_through_unchanged() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;
    let provider_id = qr["qrcode_id"].as_str().expect("qrcode_id");
    let sent = app.double.payment(provider_id)["point_of_interaction"]["transaction_data"]
        ["qr_code_base64"]
        .as_str()
        .expect("the double sends a picture")
        .to_owned();

    assert_eq!(qr["qr_code_base64"], sent.as_str());
    let again = app.issued_qr_code(&order).await;
    assert_eq!(
        again["qr_code_base64"],
        sent.as_str(),
        "stored with the charge"
    );
    let served = app
        .get(&format!("/v1/api/pagamentos/{order}/qrcode.png"))
        .await
        .bytes()
        .await
        .expect("body");
    assert_eq!(served.as_ref(), BASE64.decode(&sent).expect("base64"));
}

#[tokio::test]
async fn the_png_of_an_unknown_order_is_404_and_of_a_paid_one_409() {
    let app = PaymentApp::with_simulator().await;
    let unknown = app
        .get("/v1/api/pagamentos/8f0a1c52-0b7e-4f43-9d3c-2f4a7c1e5b60/qrcode.png")
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let order = app.order_id().await;
    app.issued_qr_code(&order).await;
    let approved = app
        .post(&format!("/v1/api/pagamentos/simulador/{order}/aprovar"))
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    let paid = app
        .get(&format!("/v1/api/pagamentos/{order}/qrcode.png"))
        .await;
    assert_eq!(paid.status(), StatusCode::CONFLICT);
}
