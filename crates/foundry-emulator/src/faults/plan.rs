//! Fault plans: which rules decide, for each request, whether and which fault is injected.

use serde::{Deserialize, Serialize};

use super::Fault;

/// When a fault is injected: a route filter and either a probability or a sequence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FaultRule {
    /// The route it applies to (absent or `"*"`: every route).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The fault, for a probability rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// Chance that `fault` fires on a matching request (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Faults for the next matching requests, in order (`None`: no fault for that request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<Vec<Option<Fault>>>,
}

impl FaultRule {
    /// A rule that injects `fault` into every matching request.
    pub fn always(fault: Fault) -> Self {
        Self {
            fault: Some(fault),
            ..Self::default()
        }
    }

    /// A rule that injects `fault` with this probability (0 to 1).
    pub fn with_probability(probability: f64, fault: Fault) -> Self {
        Self {
            fault: Some(fault),
            probability: Some(probability),
            ..Self::default()
        }
    }

    /// A rule that applies these faults to the next matching requests, one each.
    pub fn sequence(faults: impl IntoIterator<Item = Option<Fault>>) -> Self {
        Self {
            sequence: Some(faults.into_iter().collect()),
            ..Self::default()
        }
    }

    /// Restricts the rule to a route: its key (`"POST /v1/chat/completions"`), its template
    /// (`"/v1/chat/completions"`) or an exact path.
    pub fn on_route(mut self, route: impl Into<String>) -> Self {
        self.route = Some(route.into());
        self
    }

    /// Checks that the rule says what to inject, and only one way.
    pub(crate) fn validate(&self) -> Result<(), String> {
        match (&self.fault, &self.sequence) {
            (Some(_), Some(_)) => Err("a rule has either `fault` or `sequence`, not both".into()),
            (None, None) => Err("a rule needs `fault` or `sequence`".into()),
            (None, Some(_)) if self.probability.is_some() => {
                Err("`probability` goes with `fault`, not with `sequence`".into())
            }
            _ => match self.probability {
                Some(p) if !(0.0..=1.0).contains(&p) => {
                    Err(format!("probability {p} is not between 0 and 1"))
                }
                _ => Ok(()),
            },
        }
    }
}

/// Every fault rule of an emulator, and the seed of its probability draws.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FaultPlan {
    /// Seed of the probability draws (default: the emulator's seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The rules, checked in order.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// A plan with these rules.
    pub fn new(rules: impl IntoIterator<Item = FaultRule>) -> Self {
        Self {
            seed: None,
            rules: rules.into_iter().collect(),
        }
    }

    /// Sets the seed of the probability draws.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        self.rules.iter().try_for_each(FaultRule::validate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_json_form_round_trips() {
        let text = json!({
            "seed": 7,
            "rules": [
                {"route": "/v1/chat/completions", "probability": 0.5,
                 "fault": {"kind": "status", "status": 503, "retry_after": 2}},
                {"sequence": [{"kind": "close_before_headers"}, null, {"kind": "stall", "ms": 100}]},
                {"fault": {"kind": "structured_output", "defect": "schema_violation"}}
            ]
        });
        let plan: FaultPlan = serde_json::from_value(text.clone()).unwrap();
        assert_eq!(plan.rules.len(), 3);
        assert_eq!(
            plan.rules[2].fault,
            Some(Fault::structured(
                super::super::StructuredDefect::SchemaViolation
            ))
        );
        assert!(plan.validate().is_ok());
        assert_eq!(serde_json::to_value(&plan).unwrap(), text);
    }

    #[test]
    fn invalid_rules_are_refused() {
        assert!(FaultRule::default().validate().is_err());
        assert!(
            FaultRule::with_probability(2.0, Fault::status(500))
                .validate()
                .is_err()
        );
        let mut both = FaultRule::always(Fault::CloseBeforeHeaders);
        both.sequence = Some(vec![None]);
        assert!(both.validate().is_err());
        assert!(
            serde_json::from_value::<FaultPlan>(json!({"rules": [{"kind": "stall"}]})).is_err()
        );
    }
}
