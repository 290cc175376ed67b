//! Where the environment fallbacks read from: the process environment in production, a map in
//! tests (so tests never mutate the process environment, which other threads share).

/// A source of environment variables.
///
/// Implemented by [`ProcessEnv`] and by any `Fn(&str) -> Option<String>`, e.g. a lookup in a
/// map:
///
/// ```
/// use std::collections::HashMap;
/// use postech_shared_sdk::secrets::EnvSource;
///
/// let vars = HashMap::from([("DATABASE_URL".to_owned(), "postgres://app@db/postech".to_owned())]);
/// let env = move |name: &str| vars.get(name).cloned();
/// assert!(env.var("DATABASE_URL").is_some());
/// ```
pub trait EnvSource: Send + Sync {
    /// The value of the variable, or `None` when it is not set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The environment of the running process.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F> EnvSource for F
where
    F: Fn(&str) -> Option<String> + Send + Sync,
{
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// The variable's value, treating an empty value as unset: compose files and Kubernetes
/// manifests often declare a variable with an empty value to mean "not configured".
pub(crate) fn non_empty(env: &dyn EnvSource, name: &str) -> Option<String> {
    env.var(name).filter(|value| !value.trim().is_empty())
}
