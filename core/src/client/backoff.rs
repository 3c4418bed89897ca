//! Exponential backoff with jitter for the uploader. Network errors are retried forever: the
//! delay grows from `base` to at most `cap` and is then drawn from `[delay/2, delay]` so that a
//! hundred thousand phones coming back online at once do not retry in step.

/// Backoff parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base_ms: u64,
    pub cap_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base_ms: 2_000,
            cap_ms: 300_000,
        }
    }
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::getrandom(&mut b).is_err() {
        // Jitter only spreads load; the time is good enough when the RNG is unavailable.
        return crate::client::clock::system_wall_ms() as u64;
    }
    u64::from_le_bytes(b)
}

impl Backoff {
    /// Upper bound of the delay after `attempts` failures (1 = first failure).
    pub fn ceiling_ms(&self, attempts: u32) -> u64 {
        let exp = attempts.saturating_sub(1).min(30);
        self.base_ms
            .saturating_mul(1u64 << exp)
            .min(self.cap_ms)
            .max(1)
    }

    /// The delay to wait after `attempts` failures: jittered in `[ceiling/2, ceiling]`.
    pub fn delay_ms(&self, attempts: u32) -> u64 {
        let ceiling = self.ceiling_ms(attempts);
        let half = ceiling / 2;
        half + random_u64() % (ceiling - half + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_with_jitter() {
        let b = Backoff {
            base_ms: 1_000,
            cap_ms: 60_000,
        };
        assert_eq!(b.ceiling_ms(1), 1_000);
        assert_eq!(b.ceiling_ms(3), 4_000);
        assert_eq!(b.ceiling_ms(30), 60_000);
        assert_eq!(b.ceiling_ms(u32::MAX), 60_000);
        for n in 1..40 {
            let d = b.delay_ms(n);
            assert!(d >= b.ceiling_ms(n) / 2 && d <= b.ceiling_ms(n), "{n}: {d}");
        }
    }
}
