//! The two functions of the auth edge, as plain handler functions over Lambda event types.

pub mod authenticate;
pub mod validate_jwt;
