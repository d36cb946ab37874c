//! Structured output: typed JSON answers validated against their schema — derivation, the
//! emulator's answers and faults, repair, streaming, the fallback for servers without
//! `json_schema`, and a property test of the emulator's schema instances.

#[path = "structured_output/emulated.rs"]
mod emulated;
#[path = "structured_output/fallback.rs"]
mod fallback;
#[path = "structured_output/faults.rs"]
mod faults;
#[path = "structured_output/property.rs"]
mod property;
#[path = "structured_output/streamed.rs"]
mod streamed;

use foundry_client::{ChatRequest, FoundryClient, Message};
use foundry_emulator::{Catalog, Dialect, Emulator, EmulatorConfig, EmulatorHandle};
use schemars::JsonSchema;
use serde::Deserialize;

/// A model of the default catalog, loaded from the start.
const MODEL: &str = "Phi-4-mini-instruct-generic-cpu:4";

/// How a trip is made.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Transport {
    Train,
    Plane,
    Bicycle,
}

/// A stop on the way, nested twice.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
struct Stop {
    /// The city.
    #[schemars(length(min = 2, max = 30))]
    city: String,
    /// Nights spent there.
    #[schemars(range(min = 1, max = 14))]
    nights: u8,
    /// Where to sleep, if booked.
    hotel: Option<Hotel>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
struct Hotel {
    name: String,
    #[schemars(range(min = 1, max = 5))]
    stars: u8,
}

/// A payment: an enum with data, as serde tags it.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Payment {
    Card { last_digits: u16 },
    Cash,
}

/// The answer asked for in most tests: nested structs, enums, bounds, arrays.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
struct Trip {
    /// A short title.
    #[schemars(length(min = 3, max = 40))]
    title: String,
    transport: Transport,
    #[schemars(length(min = 1, max = 4))]
    stops: Vec<Stop>,
    #[schemars(range(min = 0.0, max = 10000.0))]
    budget_eur: f64,
    payment: Payment,
}

async fn emulator(dialect: Dialect) -> EmulatorHandle {
    Emulator::start(
        EmulatorConfig::new(dialect)
            .catalog(Catalog::default())
            .loaded([MODEL]),
    )
    .await
    .expect("the emulator starts")
}

fn client_of(emulator: &EmulatorHandle) -> FoundryClient {
    FoundryClient::builder()
        .endpoint(emulator.url())
        .build()
        .expect("a valid endpoint")
}

fn plan_a_trip() -> ChatRequest {
    ChatRequest::new(
        MODEL,
        [Message::user("Plan a week by train through Italy.")],
    )
}
