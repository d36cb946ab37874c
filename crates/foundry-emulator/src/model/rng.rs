//! A tiny deterministic generator: FNV-1a to hash the request, splitmix64 to draw from it.
//!
//! Answers must be stable across runs, platforms and crate versions, so the emulator carries
//! its own generator instead of depending on one whose output may change.

/// Hashes byte strings into a 64-bit seed (FNV-1a; a separator keeps `["ab","c"]` apart from
/// `["a","bc"]`).
#[derive(Debug, Clone)]
pub(crate) struct Hasher(u64);

impl Hasher {
    pub(crate) fn new(seed: u64) -> Self {
        let mut hasher = Self(0xcbf2_9ce4_8422_2325);
        hasher.write(&seed.to_le_bytes());
        hasher
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) -> &mut Self {
        for &byte in bytes.iter().chain(std::iter::once(&0xff)) {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }

    pub(crate) fn rng(&self) -> SplitMix {
        SplitMix(self.0)
    }
}

/// splitmix64: tiny, fast, and good enough for filler text and test vectors.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (`bound` > 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    /// A float in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_input_same_stream_and_separators_matter() {
        let a = Hasher::new(1).write(b"ab").write(b"c").rng().next_u64();
        let b = Hasher::new(1).write(b"ab").write(b"c").rng().next_u64();
        let c = Hasher::new(1).write(b"a").write(b"bc").rng().next_u64();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut rng = SplitMix(7);
        assert!((0..1000).all(|_| rng.unit() < 1.0 && rng.below(5) < 5));
    }
}
