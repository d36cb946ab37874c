//! The live fault plan of a running emulator, shared by the server and its handle.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Fault, FaultPlan, FaultRule};
use crate::model::SplitMix;
use crate::routes::Route;

/// Changes an emulator's faults while it runs (cheap to clone; every clone controls the same plan).
#[derive(Debug, Clone)]
pub struct FaultControl {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Lets the request path skip the lock entirely while no rule is set.
    active: AtomicBool,
    default_seed: u64,
    live: Mutex<Live>,
}

#[derive(Debug)]
struct Live {
    plan: FaultPlan,
    rng: SplitMix,
}

impl FaultControl {
    pub(crate) fn new(plan: FaultPlan, default_seed: u64) -> Result<Self, String> {
        plan.validate()?;
        let control = Self {
            inner: Arc::new(Inner {
                active: AtomicBool::new(false),
                default_seed,
                live: Mutex::new(Live {
                    plan: FaultPlan::default(),
                    rng: SplitMix(default_seed),
                }),
            }),
        };
        control.install(plan);
        Ok(control)
    }

    fn live(&self) -> MutexGuard<'_, Live> {
        // A panic while holding the lock cannot leave the plan half-changed: recover it.
        self.inner
            .live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn install(&self, plan: FaultPlan) {
        let mut live = self.live();
        live.rng = SplitMix(plan.seed.unwrap_or(self.inner.default_seed));
        self.inner
            .active
            .store(!plan.rules.is_empty(), Ordering::Release);
        live.plan = plan;
    }

    /// Replaces the plan (the probability draws restart from its seed).
    pub fn set(&self, plan: FaultPlan) -> Result<(), InvalidFaultPlan> {
        plan.validate().map_err(InvalidFaultPlan)?;
        self.install(plan);
        Ok(())
    }

    /// Adds a rule at the end of the plan.
    pub fn push(&self, rule: FaultRule) -> Result<(), InvalidFaultPlan> {
        rule.validate().map_err(InvalidFaultPlan)?;
        let mut live = self.live();
        live.plan.rules.push(rule);
        self.inner.active.store(true, Ordering::Release);
        Ok(())
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.install(FaultPlan::default());
    }

    /// The plan as it is now: sequences show only the entries not yet used.
    pub fn plan(&self) -> FaultPlan {
        self.live().plan.clone()
    }

    /// The fault for the next request of `route` at `path`, if any; consumes sequence entries.
    pub(crate) fn pick(&self, route: Route, path: &str) -> Option<Fault> {
        if !self.inner.active.load(Ordering::Acquire) {
            return None;
        }
        let mut live = self.live();
        let Live { plan, rng } = &mut *live;
        for rule in &mut plan.rules {
            if !matches(rule.route.as_deref(), route, path) {
                continue;
            }
            if let Some(sequence) = &mut rule.sequence {
                if sequence.is_empty() {
                    continue;
                }
                match sequence.remove(0) {
                    Some(fault) => return Some(fault),
                    None => continue,
                }
            }
            if let Some(fault) = &rule.fault {
                let probability = rule.probability.unwrap_or(1.0);
                if probability >= 1.0 || rng.unit() < probability {
                    return Some(fault.clone());
                }
            }
        }
        None
    }
}

fn matches(filter: Option<&str>, route: Route, path: &str) -> bool {
    match filter {
        None | Some("*") | Some("") => true,
        Some(filter) => filter == route.key() || filter == route.template() || filter == path,
    }
}

/// A fault plan that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault plan: {0}")]
pub struct InvalidFaultPlan(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_apply_in_order_and_null_lets_later_rules_try() {
        let control = FaultControl::new(
            FaultPlan::new([
                FaultRule::sequence([Some(Fault::status(503)), None])
                    .on_route("/v1/chat/completions"),
                FaultRule::always(Fault::CloseBeforeHeaders).on_route("POST /v1/chat/completions"),
            ]),
            0,
        )
        .unwrap();
        let chat = Route::ChatCompletions;
        assert_eq!(
            control.pick(chat, "/v1/chat/completions"),
            Some(Fault::status(503))
        );
        assert_eq!(
            control.pick(chat, "/v1/chat/completions"),
            Some(Fault::CloseBeforeHeaders)
        );
        assert_eq!(control.pick(Route::Status, "/status"), None);
        control.clear();
        assert_eq!(control.pick(chat, "/v1/chat/completions"), None);
    }

    #[test]
    fn probabilities_are_seeded() {
        let draws = |seed| {
            let control = FaultControl::new(
                FaultPlan::new([FaultRule::with_probability(0.5, Fault::status(500))]).seed(seed),
                0,
            )
            .unwrap();
            (0..64)
                .map(|_| control.pick(Route::Status, "/status").is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        let hits = draws(1).iter().filter(|hit| **hit).count();
        assert!((16..48).contains(&hits), "{hits}");
    }
}
