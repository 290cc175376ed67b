use postech_shared_sdk::catalog::{
    Category, FieldError, PathSegment, Product, ProductDraft, ValidatedProduct,
};
use postech_shared_sdk::ids::ProductId;
use postech_shared_sdk::money::Money;
use uuid::Uuid;

#[test]
fn categories_keep_the_fixed_v1_ids_and_names() {
    let expected = [
        (
            Category::Burger,
            "fcab78d9-c377-41f4-bf34-03d1a8bdbd89",
            "Lanche",
        ),
        (
            Category::Side,
            "e8b1d3d4-738b-4207-9b2b-2c087858d7a7",
            "Acompanhamento",
        ),
        (
            Category::Drink,
            "6b2e43a7-8764-48ec-8f7a-65134c8c1b9e",
            "Bebida",
        ),
        (
            Category::Dessert,
            "d290f1ee-6c54-4b01-90e6-d701748f0851",
            "Sobremesa",
        ),
    ];
    assert_eq!(Category::ALL.len(), expected.len());
    for (category, id, name) in expected {
        assert_eq!(category.id().to_string(), id);
        assert_eq!(category.display_name(), name);
        assert_eq!(
            Category::from_id(Uuid::parse_str(id).expect("valid UUID")),
            Some(category)
        );
    }
    assert_eq!(Category::from_id(Uuid::nil()), None);
}

#[test]
fn category_names_match_ignoring_case_accents_and_spaces() {
    for (name, category) in [
        ("bebida", Category::Drink),
        ("BEBIDA", Category::Drink),
        ("Acompanhamento", Category::Side),
        ("acompanhámento", Category::Side),
        ("ACOMPANHÃMENTO", Category::Side),
        ("  lanche ", Category::Burger),
        ("Sobremésa", Category::Dessert),
    ] {
        assert_eq!(Category::from_name(name), Some(category), "{name}");
    }
    for name in ["", "Bebidas", "drink", "Lanches", "sobre mesa"] {
        assert_eq!(Category::from_name(name), None, "{name}");
    }
}

fn valid_draft() -> ProductDraft {
    ProductDraft {
        name: "X-Salada".to_owned(),
        description: "Pão, hambúrguer, alface e tomate".to_owned(),
        price: Money::from_cents(2290),
        category_id: Category::Burger.id(),
        image_url: Some(" https://cdn.example.com/x-salada.png ".to_owned()),
        stock_available: 25,
    }
}

fn error_fields(errors: &[FieldError]) -> Vec<&'static str> {
    errors.iter().filter_map(FieldError::field).collect()
}

#[test]
fn valid_draft_becomes_a_trimmed_product() {
    let validated = valid_draft().validate().expect("valid draft");
    assert_eq!(
        validated,
        ValidatedProduct {
            name: "X-Salada".to_owned(),
            description: "Pão, hambúrguer, alface e tomate".to_owned(),
            price: Money::from_cents(2290),
            category: Category::Burger,
            image_url: Some("https://cdn.example.com/x-salada.png".to_owned()),
            stock_available: 25,
        }
    );
    let id = ProductId::new_random();
    let product = Product::from_validated(id, validated, true);
    assert_eq!((product.id, product.active), (id, true));
}

#[test]
fn text_fields_refuse_the_nul_character_postgresql_cannot_store() {
    let errors = ProductDraft {
        name: "X-\u{0}Salada".to_owned(),
        description: "Pão, hambúrguer\u{0}, alface e tomate".to_owned(),
        image_url: Some("https://cdn.example.com/\u{0}.png".to_owned()),
        ..valid_draft()
    }
    .validate()
    .expect_err("NUL in every text field");
    assert_eq!(error_fields(&errors), ["name", "description", "image_url"]);
    assert!(
        errors
            .iter()
            .all(|error| error.message.contains("caractere nulo")),
        "{errors:?}"
    );
    let accented = ProductDraft {
        name: "Pão de queijo 🧀".to_owned(),
        ..valid_draft()
    };
    assert!(accented.validate().is_ok(), "any other character is kept");
}

#[test]
fn name_must_have_3_to_100_characters_after_trimming() {
    for (name, valid) in [
        ("Pão".to_owned(), true),
        ("Pa".to_owned(), false),
        ("   Pa   ".to_owned(), false),
        ("ç".repeat(100), true),
        ("a".repeat(101), false),
    ] {
        let result = ProductDraft {
            name: name.clone(),
            ..valid_draft()
        }
        .validate();
        match result {
            Ok(_) => assert!(valid, "{name:?} accepted"),
            Err(errors) => {
                assert!(!valid, "{name:?} refused");
                assert_eq!(error_fields(&errors), ["name"]);
            }
        }
    }
}

#[test]
fn description_must_have_10_to_500_characters() {
    for (description, valid) in [
        ("a".repeat(10), true),
        ("a".repeat(9), false),
        ("é".repeat(500), true),
        ("a".repeat(501), false),
    ] {
        let result = ProductDraft {
            description,
            ..valid_draft()
        }
        .validate();
        assert_eq!(result.is_ok(), valid);
        if let Err(errors) = result {
            assert_eq!(error_fields(&errors), ["description"]);
        }
    }
}

#[test]
fn price_must_be_above_zero_and_at_most_one_thousand() {
    for (cents, valid, error_type) in [
        (0, false, "greater_than"),
        (-100, false, "greater_than"),
        (1, true, ""),
        (100_000, true, ""),
        (100_001, false, "less_than_equal"),
    ] {
        let result = ProductDraft {
            price: Money::from_cents(cents),
            ..valid_draft()
        }
        .validate();
        assert_eq!(result.is_ok(), valid, "{cents}");
        if let Err(errors) = result {
            assert_eq!(error_fields(&errors), ["price"]);
            assert_eq!(errors[0].error_type, error_type);
        }
    }
}

#[test]
fn stock_must_be_between_0_and_10000() {
    for (stock, valid) in [
        (-1, false),
        (0, true),
        (10_000, true),
        (10_001, false),
        (i64::MAX, false),
    ] {
        let result = ProductDraft {
            stock_available: stock,
            ..valid_draft()
        }
        .validate();
        assert_eq!(result.is_ok(), valid, "{stock}");
        if let Err(errors) = result {
            assert_eq!(error_fields(&errors), ["stock_available"]);
        }
    }
}

#[test]
fn unknown_category_and_overlong_image_url_are_field_errors() {
    let errors = ProductDraft {
        category_id: Uuid::new_v4(),
        image_url: Some(format!("https://example.com/{}", "a".repeat(2048))),
        ..valid_draft()
    }
    .validate()
    .expect_err("invalid draft");
    assert_eq!(error_fields(&errors), ["category_id", "image_url"]);

    let blank_image = ProductDraft {
        image_url: Some("  ".to_owned()),
        ..valid_draft()
    }
    .validate()
    .expect("blank image URL means none");
    assert_eq!(blank_image.image_url, None);
}

#[test]
fn every_broken_rule_is_reported_at_once() {
    let errors = ProductDraft {
        name: "X".to_owned(),
        description: "curta".to_owned(),
        price: Money::ZERO,
        category_id: Uuid::nil(),
        image_url: None,
        stock_available: -5,
    }
    .validate()
    .expect_err("invalid draft");
    assert_eq!(
        error_fields(&errors),
        [
            "name",
            "description",
            "price",
            "category_id",
            "stock_available"
        ]
    );
    assert!(errors.iter().all(|error| error.path.len() == 1
        && matches!(error.path[0], PathSegment::Field(_))
        && !error.message.is_empty()));
}
