//! Reproducible randomness for the soak's clients, so a run can be repeated from its seed.

pub struct Dice(fastrand::Rng);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(fastrand::Rng::with_seed(seed))
    }

    /// In [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0.f64()
    }

    /// In [0, n); n > 0.
    pub fn below(&mut self, n: usize) -> usize {
        self.0.usize(..n)
    }
}
