//! The QR code as a picture: a PNG rendered from the Pix payload (`qr_data`), for the
//! simulated provider and for charges stored without Mercado Pago's own picture, and the
//! check that a picture Mercado Pago sent is a PNG at all.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module: a Pix code (version 7–10, 45–57 modules) becomes a 424–520 px square,
/// sharp on a kiosk screen without scaling.
const MODULE_PIXELS: usize = 8;
/// The blank margin the QR standard asks readers to find the code by (4 modules).
const QUIET_ZONE_MODULES: usize = 4;
/// The first bytes of every PNG file.
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Why no picture could be made.
#[derive(Debug, thiserror::Error)]
pub enum QrImageError {
    /// The payload does not fit in a QR code (far beyond any Pix payload).
    #[error("the payload does not fit in a QR code")]
    Encode(#[from] qrcode::types::QrError),
    /// The PNG encoder failed.
    #[error("cannot encode the PNG")]
    Png(#[from] png::EncodingError),
}

/// The PNG of `data` as a QR code (error correction M, as Pix QR codes are printed), black on
/// white with its quiet zone.
pub fn png(data: &str) -> Result<Vec<u8>, QrImageError> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side_modules = modules + 2 * QUIET_ZONE_MODULES;
    let side = side_modules * MODULE_PIXELS;
    let mut pixels = vec![u8::MAX; side * side];
    for (index, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (row, column) = (index / modules, index % modules);
        let top = (row + QUIET_ZONE_MODULES) * MODULE_PIXELS;
        let left = (column + QUIET_ZONE_MODULES) * MODULE_PIXELS;
        for y in top..top + MODULE_PIXELS {
            pixels[y * side + left..y * side + left + MODULE_PIXELS].fill(0);
        }
    }
    let side = u32::try_from(side).map_err(|_| qrcode::types::QrError::DataTooLong)?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

/// [`png`], base64-encoded as Mercado Pago's `qr_code_base64` is.
pub fn png_base64(data: &str) -> Result<String, QrImageError> {
    Ok(BASE64.encode(png(data)?))
}

/// The PNG bytes of a base64 picture, if it is one (Mercado Pago's answer is not trusted to
/// be well-formed: a broken picture is dropped and rendered from `qr_data` instead).
pub fn decode_png_base64(text: &str) -> Option<Vec<u8>> {
    BASE64
        .decode(text.trim())
        .ok()
        .filter(|bytes| bytes.starts_with(PNG_SIGNATURE))
}

#[cfg(test)]
mod tests {
    use super::{decode_png_base64, png, png_base64};

    #[test]
    fn the_picture_is_a_png_and_its_base64_decodes_back_to_it() {
        let bytes = png("000201010212").expect("png");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let encoded = png_base64("000201010212").expect("base64");
        assert_eq!(decode_png_base64(&encoded), Some(bytes));
    }

    #[test]
    fn text_that_is_not_a_base64_png_is_refused() {
        assert_eq!(decode_png_base64("not base64!"), None);
        assert_eq!(decode_png_base64("aGVsbG8="), None);
    }
}
