//! Typed identifiers: one newtype per entity over a UUID, so an order id can never be passed
//! where a product id is expected.
//!
//! ```
//! use postech_shared_sdk::ids::{OrderId, ProductId};
//!
//! let order = OrderId::new_random();
//! let parsed: OrderId = order.to_string().parse()?;
//! assert_eq!(parsed, order);
//! assert_eq!(serde_json::to_string(&order)?, format!("\"{order}\""));
//! let product = ProductId::from(*order.as_uuid());
//! assert_eq!(product.into_uuid(), order.into_uuid());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            #[doc = concat!("A new random (version 4) `", stringify!($name), "`.")]
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            /// The underlying UUID, borrowed.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// The underlying UUID.
            pub const fn into_uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        /// The hyphenated lower-case UUID form.
        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, formatter)
            }
        }

        /// Accepts every text form [`Uuid`] parses (hyphenated, simple, braced, URN).
        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map(Self)
            }
        }
    };
}

uuid_id!(
    /// Identifies a customer (also the `sub` of customer tokens and the Cognito
    /// `custom:customer_id` attribute).
    CustomerId
);
uuid_id!(
    /// Identifies a product of the menu.
    ProductId
);
uuid_id!(
    /// Identifies an order (distinct from its short display number).
    OrderId
);
uuid_id!(
    /// Identifies a payment attempt of an order.
    PaymentId
);
