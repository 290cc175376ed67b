use postech_shared_sdk::cpf::{Cpf, CpfError};
use proptest::prelude::*;

#[test]
fn accepts_valid_cpfs_in_both_layouts() {
    for (formatted, digits) in [
        ("123.456.789-09", "12345678909"),
        ("529.982.247-25", "52998224725"),
        ("291.417.776-38", "29141777638"),
    ] {
        let from_formatted = Cpf::parse(formatted).expect("formatted CPF is valid");
        let from_digits = Cpf::parse(digits).expect("digits-only CPF is valid");
        assert_eq!(from_formatted, from_digits);
        assert_eq!(from_formatted.as_digits(), digits);
        assert_eq!(from_formatted.to_string(), formatted);
    }
}

#[test]
fn rejects_wrong_check_digits_that_v1_accepted() {
    assert_eq!(
        Cpf::parse("291.417.776-30"),
        Err(CpfError::WrongCheckDigits)
    );
    assert_eq!(Cpf::parse("29141777630"), Err(CpfError::WrongCheckDigits));
    assert_eq!(
        Cpf::parse("529.982.247-26"),
        Err(CpfError::WrongCheckDigits)
    );
}

#[test]
fn rejects_all_equal_digits_although_their_check_digits_match() {
    for digit in '0'..='9' {
        let digits: String = std::iter::repeat_n(digit, 11).collect();
        let formatted = format!(
            "{}.{}.{}-{}",
            &digits[..3],
            &digits[3..6],
            &digits[6..9],
            &digits[9..]
        );
        assert_eq!(Cpf::parse(&digits), Err(CpfError::AllDigitsEqual));
        assert_eq!(Cpf::parse(&formatted), Err(CpfError::AllDigitsEqual));
    }
}

#[test]
fn formatted_and_digit_forms_normalise_to_the_same_value_unlike_v1() {
    let formatted = Cpf::parse("987.654.321-00").expect("valid CPF");
    let digits = Cpf::parse("98765432100").expect("valid CPF");
    assert_eq!(formatted, digits);
    assert_eq!(formatted.as_digits(), "98765432100");
    assert_eq!(
        serde_json::to_string(&formatted).expect("serialises"),
        serde_json::to_string(&digits).expect("serialises")
    );
}

#[test]
fn trims_surrounding_whitespace() {
    let cpf = Cpf::parse("  529.982.247-25\n").expect("valid CPF");
    assert_eq!(cpf.as_digits(), "52998224725");
}

#[test]
fn rejects_other_layouts() {
    for text in [
        "",
        "5299822472",
        "529982247250",
        "529.982.24725",
        "529982247-25",
        "529.982.247.25",
        "529-982-247-25",
        "529 982 247 25",
        "529.982.247-2a",
        "52998224725 x",
        "５２９９８２２４７２５",
        "+52998224725",
    ] {
        assert_eq!(Cpf::parse(text), Err(CpfError::InvalidFormat), "{text:?}");
    }
}

#[test]
fn debug_and_masked_forms_hide_the_number() {
    let cpf: Cpf = "529.982.247-25".parse().expect("valid CPF");
    assert_eq!(cpf.masked(), "***.***.***-25");
    // No base digit shows: the check digits alone leave ten million candidate CPFs.
    assert!(!cpf.masked()[..11].chars().any(|c| c.is_ascii_digit()));
    let debug = format!("{cpf:?} {:?}", Some(&cpf));
    assert!(
        !debug.contains("52998224725") && !debug.contains("529.982"),
        "{debug}"
    );
    assert!(debug.contains("***.***.***-25"), "{debug}");
}

#[test]
fn serialises_as_digits_and_deserialises_either_layout() {
    let cpf = Cpf::try_from("529.982.247-25").expect("valid CPF");
    assert_eq!(
        serde_json::to_string(&cpf).expect("serialises"),
        r#""52998224725""#
    );
    let from_formatted: Cpf = serde_json::from_str(r#""529.982.247-25""#).expect("deserialises");
    assert_eq!(from_formatted, cpf);
    let error = serde_json::from_str::<Cpf>(r#""291.417.776-30""#).expect_err("invalid CPF");
    assert!(
        !error.to_string().contains("291"),
        "error leaks the CPF: {error}"
    );
}

#[test]
fn from_base_digits_refuses_non_digits_and_repeated_bases() {
    assert_eq!(
        Cpf::from_base_digits([1, 2, 3, 4, 5, 6, 7, 8, 10]),
        Err(CpfError::InvalidFormat)
    );
    assert_eq!(Cpf::from_base_digits([7; 9]), Err(CpfError::AllDigitsEqual));
    assert_eq!(
        Cpf::from_base_digits([5, 2, 9, 9, 8, 2, 2, 4, 7]).map(|cpf| cpf.to_string()),
        Ok("529.982.247-25".to_owned())
    );
}

/// The mod-11 scheme maps remainders 0 and 1 to the same check digit, and the first digit
/// weighs 11 ≡ 0 in the second sum: some single-digit changes are undetectable by design.
/// This pins that the implementation follows the official algorithm rather than a stricter
/// invented one.
#[test]
fn follows_the_official_algorithm_including_its_blind_spot() {
    assert!(Cpf::parse("987.654.321-00").is_ok());
    assert!(Cpf::parse("887.654.321-00").is_ok());
}

fn base_digits() -> impl Strategy<Value = [u8; 9]> {
    prop::array::uniform9(0u8..10).prop_filter("not all digits equal", |base| {
        base.iter().any(|&digit| digit != base[0])
    })
}

fn with_digit_changed(cpf: &Cpf, position: usize, delta: u8) -> String {
    cpf.as_digits()
        .bytes()
        .enumerate()
        .map(|(index, byte)| {
            if index == position {
                char::from(b'0' + (byte - b'0' + delta) % 10)
            } else {
                char::from(byte)
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn generated_cpfs_round_trip_through_both_layouts(base in base_digits()) {
        let cpf = Cpf::from_base_digits(base).expect("non-repeated base");
        prop_assert_eq!(Cpf::parse(&cpf.to_string()), Ok(cpf.clone()));
        prop_assert_eq!(Cpf::parse(cpf.as_digits()), Ok(cpf.clone()));
        let json = serde_json::to_string(&cpf).expect("serialises");
        prop_assert_eq!(serde_json::from_str::<Cpf>(&json).expect("deserialises"), cpf);
    }

    #[test]
    fn changing_a_check_digit_is_always_detected(
        base in base_digits(),
        position in 9usize..11,
        delta in 1u8..10,
    ) {
        let cpf = Cpf::from_base_digits(base).expect("non-repeated base");
        let changed = with_digit_changed(&cpf, position, delta);
        prop_assert!(Cpf::parse(&changed).is_err(), "{} accepted", changed);
    }

    /// With a first check digit other than 0 (remainder 2..=10, where the mapping is
    /// one-to-one) any change of one base digit is detected.
    #[test]
    fn changing_a_base_digit_is_detected_when_the_first_check_digit_is_not_zero(
        base in base_digits(),
        position in 0usize..9,
        delta in 1u8..10,
    ) {
        let cpf = Cpf::from_base_digits(base).expect("non-repeated base");
        prop_assume!(cpf.as_digits().as_bytes()[9] != b'0');
        let changed = with_digit_changed(&cpf, position, delta);
        prop_assert!(Cpf::parse(&changed).is_err(), "{} accepted", changed);
    }

    /// Exactly one pair of check digits is valid for each base.
    #[test]
    fn any_eleven_digits_are_valid_only_with_the_computed_check_digits(
        digits in prop::array::uniform11(0u8..10),
    ) {
        let text: String = digits.iter().map(|&digit| char::from(b'0' + digit)).collect();
        let mut base = [0u8; 9];
        base.copy_from_slice(&digits[..9]);
        match Cpf::from_base_digits(base) {
            Ok(expected) => prop_assert_eq!(Cpf::parse(&text).is_ok(), expected.as_digits() == text),
            Err(_) => prop_assert!(Cpf::parse(&text).is_err()),
        }
    }
}
