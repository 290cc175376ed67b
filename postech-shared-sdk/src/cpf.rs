//! The CPF (Cadastro de Pessoas Físicas), the Brazilian taxpayer id customers identify with.
//!
//! A [`Cpf`] only exists once its format and both check digits are valid, so the rest of the
//! system never handles an unchecked number. It is personal data under the LGPD: its
//! [`Debug`](std::fmt::Debug) output is masked, and [`Cpf::masked`] is the form for logs,
//! traces and metrics.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Number of digits of a CPF (9 base digits and 2 check digits).
pub const CPF_DIGITS: usize = 11;

/// Why a text is not a valid CPF.
///
/// The variants never carry the rejected text, so an error can be logged without leaking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CpfError {
    /// Neither 11 digits nor the `000.000.000-00` layout.
    #[error("a CPF must be 11 digits, optionally formatted as 000.000.000-00")]
    InvalidFormat,
    /// All eleven digits are the same (`111.111.111-11`): such numbers pass the check-digit
    /// arithmetic but are never issued.
    #[error("a CPF cannot have all digits equal")]
    AllDigitsEqual,
    /// The two last digits do not match the ones computed from the first nine.
    #[error("the CPF check digits do not match")]
    WrongCheckDigits,
}

/// A valid CPF, stored as its 11 digits.
///
/// ```
/// use postech_shared_sdk::cpf::Cpf;
///
/// let formatted = Cpf::parse("529.982.247-25")?;
/// let digits: Cpf = "52998224725".parse()?;
/// assert_eq!(formatted, digits);
/// assert_eq!(formatted.as_digits(), "52998224725");
/// assert_eq!(formatted.to_string(), "529.982.247-25");
/// assert_eq!(formatted.masked(), "***.***.***-25");
/// assert_eq!(format!("{formatted:?}"), "Cpf(***.***.***-25)");
/// assert!(Cpf::parse("529.982.247-26").is_err());
/// # Ok::<(), postech_shared_sdk::cpf::CpfError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpf {
    digits: String,
}

impl Cpf {
    /// Parses a CPF written as 11 digits (`52998224725`) or formatted (`529.982.247-25`).
    ///
    /// Surrounding whitespace is ignored; any other layout (partial punctuation, spaces
    /// inside, letters) is [`CpfError::InvalidFormat`].
    pub fn parse(text: &str) -> Result<Self, CpfError> {
        let digits = extract_digits(text.trim()).ok_or(CpfError::InvalidFormat)?;
        if digits.iter().all(|&digit| digit == digits[0]) {
            return Err(CpfError::AllDigitsEqual);
        }
        let mut base = [0u8; 9];
        base.copy_from_slice(&digits[..9]);
        if check_digits(&base) != [digits[9], digits[10]] {
            return Err(CpfError::WrongCheckDigits);
        }
        Ok(Self::from_digit_values(&digits))
    }

    /// Builds the valid CPF whose first nine digits are `base`, computing both check digits.
    ///
    /// Handy to produce valid CPFs in tests and seed data. Fails with
    /// [`CpfError::InvalidFormat`] when an entry is above 9, and with
    /// [`CpfError::AllDigitsEqual`] when all nine are equal (the check digits would repeat
    /// them).
    ///
    /// ```
    /// use postech_shared_sdk::cpf::Cpf;
    ///
    /// let cpf = Cpf::from_base_digits([1, 2, 3, 4, 5, 6, 7, 8, 9])?;
    /// assert_eq!(cpf.as_digits(), "12345678909");
    /// # Ok::<(), postech_shared_sdk::cpf::CpfError>(())
    /// ```
    pub fn from_base_digits(base: [u8; 9]) -> Result<Self, CpfError> {
        if base.iter().any(|&digit| digit > 9) {
            return Err(CpfError::InvalidFormat);
        }
        if base.iter().all(|&digit| digit == base[0]) {
            return Err(CpfError::AllDigitsEqual);
        }
        let [first_check, second_check] = check_digits(&base);
        let mut digits = [0u8; CPF_DIGITS];
        digits[..9].copy_from_slice(&base);
        digits[9] = first_check;
        digits[10] = second_check;
        Ok(Self::from_digit_values(&digits))
    }

    /// The 11 digits, as stored and as returned by the API (`52998224725`).
    pub fn as_digits(&self) -> &str {
        &self.digits
    }

    /// The form safe for logs, traces, metrics and kiosk screens: `***.***.***-25` (LGPD).
    ///
    /// Only the two check digits show. They follow from the nine base digits, so they narrow
    /// the CPF to one in a hundred of the 10⁹ bases (ten million candidates); the former
    /// `***.982.247-**` showed six base digits, leaving a thousand bases, each with its check
    /// digits computable — a CPF recoverable by trying them.
    pub fn masked(&self) -> String {
        format!("***.***.***-{}", &self.digits[9..11])
    }

    fn from_digit_values(values: &[u8; CPF_DIGITS]) -> Self {
        Self {
            digits: values
                .iter()
                .map(|&digit| char::from(b'0' + digit))
                .collect(),
        }
    }
}

/// Accepts exactly `DDDDDDDDDDD` or `DDD.DDD.DDD-DD` and returns the digit values.
fn extract_digits(text: &str) -> Option<[u8; CPF_DIGITS]> {
    const FORMATTED_LEN: usize = 14;
    let bytes = text.as_bytes();
    let is_formatted =
        bytes.len() == FORMATTED_LEN && bytes[3] == b'.' && bytes[7] == b'.' && bytes[11] == b'-';
    if bytes.len() != CPF_DIGITS && !is_formatted {
        return None;
    }
    let mut digits = [0u8; CPF_DIGITS];
    let mut count = 0;
    for (position, &byte) in bytes.iter().enumerate() {
        if is_formatted && matches!(position, 3 | 7 | 11) {
            continue;
        }
        if !byte.is_ascii_digit() {
            return None;
        }
        digits[count] = byte - b'0';
        count += 1;
    }
    Some(digits)
}

/// The two check digits of a base: weights 10..=2 over the nine digits for the first, 11..=2
/// over the nine digits plus the first check digit for the second; a remainder (mod 11)
/// below 2 gives 0, otherwise 11 minus the remainder. (v1 used wrong weights for the second.)
fn check_digits(base: &[u8; 9]) -> [u8; 2] {
    let first = check_digit(base);
    let mut extended = [0u8; 10];
    extended[..9].copy_from_slice(base);
    extended[9] = first;
    [first, check_digit(&extended)]
}

fn check_digit(digits: &[u8]) -> u8 {
    let heaviest_weight = digits.len() as u32 + 1;
    let weighted_sum: u32 = digits
        .iter()
        .zip((2..=heaviest_weight).rev())
        .map(|(&digit, weight)| u32::from(digit) * weight)
        .sum();
    match weighted_sum % 11 {
        remainder @ 2..=10 => (11 - remainder) as u8,
        _ => 0,
    }
}

impl FromStr for Cpf {
    type Err = CpfError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<&str> for Cpf {
    type Error = CpfError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

/// The full formatted number, `529.982.247-25`. For display to its owner only; use
/// [`Cpf::masked`] anywhere it could be recorded.
impl fmt::Display for Cpf {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = &self.digits;
        write!(
            formatter,
            "{}.{}.{}-{}",
            &digits[..3],
            &digits[3..6],
            &digits[6..9],
            &digits[9..]
        )
    }
}

/// Masked, so a `{:?}` in a log line or a panic message does not leak the number.
impl fmt::Debug for Cpf {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Cpf({})", self.masked())
    }
}

/// Serialises as the 11 digits, the stored and returned form.
impl Serialize for Cpf {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.digits)
    }
}

/// Deserialises from either accepted text form, through [`Cpf::parse`].
impl<'de> Deserialize<'de> for Cpf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}
