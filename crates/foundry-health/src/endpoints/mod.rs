//! Several endpoints behind one choice: power of two choices on requests in flight, among the
//! endpoints whose health and breaker let them serve.
//!
//! This is a small balancer of our own rather than `tower::balance::p2c`. Tower's balancer owns
//! its endpoints behind `&mut self` (sharing it between tasks takes a `Buffer`, which spawns a
//! worker task, or a lock held across `poll_ready`); it evicts an endpoint whose `poll_ready`
//! fails, so bringing one back after its probes pass means feeding it in again through a
//! `Discover` stream; and it hides which endpoint served a request, which callers need for
//! per-endpoint metrics and errors. The rule itself is a few lines, so here it is, over the
//! health views and breakers this workspace already has.

#[cfg(test)]
mod tests;
mod transport;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use foundry_resilience::{CircuitBreaker, CircuitState, JitterRng, Resilient};
use foundry_transport::SharedTransport;

use crate::monitor::HealthView;

/// One endpoint of an [`EndpointSet`]: a transport (with its own base URL), and optionally the
/// health view and circuit breaker that say whether it may serve.
#[derive(Debug)]
pub struct Endpoint {
    name: String,
    transport: SharedTransport,
    health: Option<HealthView>,
    breaker: Option<CircuitBreaker>,
    in_flight: AtomicUsize,
}

impl Endpoint {
    /// An endpoint named `name` (its URL, say) that sends through `transport`.
    pub fn new(name: impl Into<String>, transport: SharedTransport) -> Self {
        Self {
            name: name.into(),
            transport,
            health: None,
            breaker: None,
            in_flight: AtomicUsize::new(0),
        }
    }

    /// An endpoint over a resilience stack: its transport, and its breaker when it has one (so
    /// the failures the stack records eject the endpoint).
    pub fn from_resilient(name: impl Into<String>, stack: &Resilient) -> Self {
        let endpoint = Self::new(name, stack.transport.clone());
        match &stack.breaker {
            Some(breaker) => endpoint.with_breaker(breaker.clone()),
            None => endpoint,
        }
    }

    /// Passes the endpoint over while its health is neither healthy nor degraded (a monitor's
    /// [`view`](crate::MonitorHandle::view)); it comes back when the probes pass again.
    #[must_use]
    pub fn with_health(mut self, health: HealthView) -> Self {
        self.health = Some(health);
        self
    }

    /// Passes the endpoint over while `breaker` is open or isolated. The set only reads the
    /// breaker: requests count towards it when `transport` records them (a `BreakerTransport`
    /// over the same breaker, as in [`from_resilient`](Self::from_resilient)).
    #[must_use]
    pub fn with_breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.breaker = Some(breaker);
        self
    }

    /// The name given at construction.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The endpoint's transport.
    pub fn transport(&self) -> &SharedTransport {
        &self.transport
    }

    /// Requests in flight through the set on this endpoint.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Whether the endpoint may serve: its health (if watched) is healthy or degraded, and its
    /// breaker (if any) is closed or half-open.
    pub fn is_available(&self) -> bool {
        let healthy = self
            .health
            .as_ref()
            .is_none_or(|health| health.status().is_available());
        let closed = self.breaker.as_ref().is_none_or(|breaker| {
            matches!(
                breaker.state(),
                CircuitState::Closed | CircuitState::HalfOpen
            )
        });
        healthy && closed
    }
}

/// Several endpoints and a choice among them: of two available endpoints drawn at random, the
/// one with fewer requests in flight (power of two choices, as tower's `p2c` with
/// `PendingRequests`). Endpoints whose health is down or whose breaker is open are passed over
/// until they recover.
///
/// Cheap to clone; clones share the endpoints and their counts. It is also a
/// [`Transport`](foundry_transport::Transport): a request (with a relative target) goes to the
/// chosen endpoint, and counts as in flight there until its body has been read or dropped.
#[derive(Clone)]
pub struct EndpointSet {
    endpoints: Arc<[Arc<Endpoint>]>,
    rng: Arc<JitterRng>,
}

impl EndpointSet {
    /// A set of `endpoints`, choosing with entropy-seeded randomness.
    pub fn new(endpoints: impl IntoIterator<Item = Endpoint>) -> Self {
        Self {
            endpoints: endpoints.into_iter().map(Arc::new).collect(),
            rng: Arc::new(JitterRng::from_entropy()),
        }
    }

    /// Chooses with `rng` instead (a seeded one for repeatable tests).
    #[must_use]
    pub fn with_rng(mut self, rng: JitterRng) -> Self {
        self.rng = Arc::new(rng);
        self
    }

    /// The endpoints, in the order given.
    pub fn endpoints(&self) -> impl ExactSizeIterator<Item = &Endpoint> {
        self.endpoints.iter().map(|endpoint| &**endpoint)
    }

    /// Chooses an endpoint for one request; the lease counts it as in flight until dropped.
    pub fn choose(&self) -> Result<EndpointLease, NoEndpointAvailable> {
        let available: Vec<&Arc<Endpoint>> = self
            .endpoints
            .iter()
            .filter(|endpoint| endpoint.is_available())
            .collect();
        let chosen = match available.as_slice() {
            [] => {
                return Err(NoEndpointAvailable {
                    endpoints: self.endpoints.len(),
                });
            }
            [only] => *only,
            _ => {
                let (a, b) = self.two_distinct(available.len());
                let (a, b) = (available[a], available[b]);
                if b.in_flight() < a.in_flight() { b } else { a }
            }
        };
        chosen.in_flight.fetch_add(1, Ordering::Relaxed);
        Ok(EndpointLease {
            endpoint: Arc::clone(chosen),
        })
    }

    /// Two distinct indices below `n` (n ≥ 2), uniformly.
    fn two_distinct(&self, n: usize) -> (usize, usize) {
        let draw = |below: usize| ((self.rng.next_f64() * below as f64) as usize).min(below - 1);
        let a = draw(n);
        let b = draw(n - 1);
        (a, if b >= a { b + 1 } else { b })
    }
}

impl fmt::Debug for EndpointSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.endpoints.iter().map(|endpoint| {
                (
                    endpoint.name(),
                    endpoint.in_flight(),
                    endpoint.is_available(),
                )
            }))
            .finish()
    }
}

/// An endpoint chosen for one request; it counts as in flight there until the lease is dropped.
#[derive(Debug)]
pub struct EndpointLease {
    endpoint: Arc<Endpoint>,
}

impl EndpointLease {
    /// The chosen endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Its transport.
    pub fn transport(&self) -> &SharedTransport {
        &self.endpoint.transport
    }
}

impl Drop for EndpointLease {
    fn drop(&mut self) {
        self.endpoint.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Every endpoint of the set is down or has its breaker open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("none of the {endpoints} endpoints is available")]
#[non_exhaustive]
pub struct NoEndpointAvailable {
    /// How many endpoints the set has.
    pub endpoints: usize,
}
