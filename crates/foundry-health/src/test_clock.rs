//! A clock moved by hand, for unit tests.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use foundry_resilience::{Clock, Sleep};

/// Reads a time that only [`advance`](Self::advance) moves; sleeps never end.
#[derive(Debug)]
pub(crate) struct ManualClock {
    now: Mutex<Instant>,
}

impl ManualClock {
    pub(crate) fn new() -> Self {
        Self {
            now: Mutex::new(Instant::now()),
        }
    }

    pub(crate) fn advance(&self, by: Duration) {
        *self.now.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.now.lock().unwrap()
    }

    fn system_now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH
    }

    fn sleep(&self, _: Duration) -> Sleep {
        Box::pin(std::future::pending())
    }
}
