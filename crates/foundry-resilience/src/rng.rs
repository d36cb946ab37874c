//! A small, seedable, thread-safe random source for jitter.

use std::sync::atomic::{AtomicU64, Ordering};

/// Uniform random numbers for jitter: splitmix64 over an atomic state, so concurrent callers never
/// block and a fixed seed gives a repeatable sequence in tests.
#[derive(Debug)]
pub struct JitterRng {
    state: AtomicU64,
}

impl JitterRng {
    /// A generator with a fixed seed (for tests).
    pub fn seeded(seed: u64) -> Self {
        Self {
            state: AtomicU64::new(seed),
        }
    }

    /// A generator seeded from the process's hash randomness.
    pub fn from_entropy() -> Self {
        use std::hash::{BuildHasher, RandomState};
        Self::seeded(RandomState::new().hash_one(0x5eed_u64))
    }

    /// The next value in `[0, 1)`.
    pub fn next_f64(&self) -> f64 {
        const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut z = self
            .state
            .fetch_add(GOLDEN, Ordering::Relaxed)
            .wrapping_add(GOLDEN);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // 53 high bits give every representable double in [0, 1) with equal spacing.
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Default for JitterRng {
    fn default() -> Self {
        Self::from_entropy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_in_range_and_repeatable() {
        let a = JitterRng::seeded(7);
        let b = JitterRng::seeded(7);
        for _ in 0..10_000 {
            let x = a.next_f64();
            assert!((0.0..1.0).contains(&x));
            assert_eq!(x, b.next_f64());
        }
    }
}
