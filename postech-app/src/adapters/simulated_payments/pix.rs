//! A Pix "BR Code": the EMV® QR Code Merchant-Presented Mode payload of the Brazilian
//! Central Bank (TLV fields, CRC16/CCITT-FALSE checksum in field 63). The simulator's QR
//! codes are real BR Codes of a dynamic Pix pointing at a location nobody serves, so a
//! banking app reads them but cannot pay them.

use crate::domain::money::Money;

/// What the payload names.
pub struct BrCode<'a> {
    /// The dynamic Pix location (URL without scheme), unique per charge.
    pub location: &'a str,
    /// The amount.
    pub amount: Money,
    /// Merchant name (at most 25 characters are kept).
    pub merchant_name: &'a str,
    /// Merchant city (at most 15 characters are kept).
    pub merchant_city: &'a str,
    /// Reference label (transaction id; at most 25 alphanumerics are kept).
    pub reference: &'a str,
}

impl BrCode<'_> {
    /// The payload, checksum included.
    pub fn payload(&self) -> String {
        let account = [field("00", "br.gov.bcb.pix"), field("25", self.location)].concat();
        let reference: String = self
            .reference
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(25)
            .collect();
        let mut payload = [
            field("00", "01"),
            // 12: the code is for a single payment.
            field("01", "12"),
            field("26", &account),
            field("52", "0000"),
            // ISO 4217 986: Brazilian real.
            field("53", "986"),
            field("54", &self.amount.to_string()),
            field("58", "BR"),
            field("59", &truncated(self.merchant_name, 25)),
            field("60", &truncated(self.merchant_city, 15)),
            field("62", &field("05", &reference)),
        ]
        .concat();
        // The checksum covers its own field id and length.
        payload.push_str("6304");
        let checksum = crc16_ccitt_false(payload.as_bytes());
        payload.push_str(&format!("{checksum:04X}"));
        payload
    }
}

/// One TLV field: id, two-digit length, value (lengths above 99 are cut to 99).
fn field(id: &str, value: &str) -> String {
    let value: String = value.chars().take(99).collect();
    format!("{id}{:02}{value}", value.chars().count())
}

fn truncated(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for byte in bytes {
        crc ^= u16::from(*byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_is_crc16_ccitt_false() {
        // The catalogue check value of CRC-16/CCITT-FALSE.
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    }

    #[test]
    fn the_payload_is_a_well_formed_br_code() {
        let payload = BrCode {
            location: "pix.example/qr/v2/abc",
            amount: Money::from_cents(4170),
            merchant_name: "POSTECH LANCHES SIMULADO EXTRA LONGO",
            merchant_city: "SAO PAULO",
            reference: "PAY-123",
        }
        .payload();
        assert!(payload.starts_with("000201010212"), "{payload}");
        assert!(payload.contains("0014br.gov.bcb.pix"), "{payload}");
        assert!(payload.contains("540541.70"), "{payload}");
        assert!(
            payload.contains("5925POSTECH LANCHES SIMULADO"),
            "{payload}"
        );
        assert!(payload.contains("62100506PAY123"), "{payload}");
        let (body, checksum) = payload.split_at(payload.len() - 4);
        assert!(body.ends_with("6304"));
        assert_eq!(
            checksum,
            format!("{:04X}", crc16_ccitt_false(body.as_bytes()))
        );
    }
}
