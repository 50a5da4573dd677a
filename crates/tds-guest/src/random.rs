//! Randomness from the host (`wasi:random`): ids, lease owners and backoff jitter.

/// A fresh random id (UUID v4, hyphenated).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A lease owner unique to this invocation: `<component>:<uuid>`.
pub fn lease_owner(component: &str) -> String {
    format!("{component}:{}", uuid::Uuid::new_v4().simple())
}

/// A uniformly random fraction in `[0, 1)`, for full-jitter backoff; 0.5 if the host has
/// no randomness to give.
pub fn jitter() -> f64 {
    getrandom::u64().map_or(0.5, |n| (n >> 11) as f64 / (1u64 << 53) as f64)
}
