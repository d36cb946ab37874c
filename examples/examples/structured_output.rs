//! Structured output: ask for a Rust type, get a value validated against its JSON Schema — whole,
//! streamed, with a check of your own — and see what a typed failure tells you.
//!
//! `cargo run -p examples --example structured_output` (set `FOUNDRY_ENDPOINT` and
//! `FOUNDRY_MODEL` to use your own server).

use std::io::Write;
use std::process::ExitCode;

use examples::{ExampleResult, connect, run};
use foundry_client::{ChatRequest, ErrorKind, Message, StructuredEvent};
use foundry_emulator::Dialect;
use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::Deserialize;

/// What the model is asked for: the schema sent to the server is derived from this type.
#[derive(Debug, Deserialize, JsonSchema)]
struct City {
    /// The city's name.
    #[schemars(length(min = 1, max = 60))]
    name: String,
    /// The country it is in.
    country: String,
    /// Inhabitants.
    population: u64,
    /// Its climate.
    climate: Climate,
    /// A few sights worth a visit.
    #[schemars(length(min = 1, max = 3))]
    sights: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Climate {
    Oceanic,
    Continental,
    Mediterranean,
    Tropical,
    Arid,
}

#[tokio::main]
async fn main() -> ExitCode {
    run(structured_output).await
}

/// A model too small to produce the structure (the tiny test models of a real Foundry Local) is a
/// typed error worth showing, not a reason to stop; any other error is.
fn unfit(error: foundry_client::Error) -> ExampleResult {
    if error.kind() != ErrorKind::InvalidStructuredOutput {
        return Err(error.into());
    }
    println!("\nThe model's answer did not fit the structure: {error}");
    println!("raw text: {:?}", error.raw_output().unwrap_or_default());
    Ok(())
}

async fn structured_output() -> ExampleResult {
    let connection = connect(Dialect::Core2).await?;
    let client = &connection.client;
    let model = client.config().model.clone();
    let ready = client.ensure_ready(&model).await?;
    let ask = |question: &str| {
        ChatRequest::new(
            &ready.id,
            [
                Message::system("You answer with facts, as JSON."),
                Message::user(question),
            ],
        )
        .max_tokens(256)
        .temperature(0.0)
    };

    println!("\n1. A typed answer:");
    match client
        .chat_json::<City>(ask("Describe the capital of France."))
        .await
    {
        Ok(city) => {
            println!("{:#?}", city.value);
            println!("(asked with {:?}, {} attempt)", city.mode, city.attempts);
        }
        Err(error) => unfit(error)?,
    }

    println!("\n2. Streamed: the text as it comes, then the value:");
    let mut stream = client
        .chat_json_stream::<City>(ask("Describe the capital of Japan."))
        .await?;
    while let Some(event) = stream.next().await {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                unfit(error)?;
                break;
            }
        };
        match event {
            StructuredEvent::Text(piece) => {
                print!("{piece}");
                std::io::stdout().flush()?;
            }
            StructuredEvent::Done(city) => println!(
                "\n-> {} ({}), {} inhabitants, {:?} climate, to see: {}",
                city.value.name,
                city.value.country,
                city.value.population,
                city.value.climate,
                city.value.sights.join(", ")
            ),
            _ => {}
        }
    }

    println!("\n3. With a check of your own, and one repair if the answer does not fit:");
    let checked = client
        .structured::<City>()
        .check(|city| match city.population {
            0 => Err("a capital has inhabitants".to_owned()),
            _ => Ok(()),
        })
        .repair(true)
        .chat(ask("Describe the capital of Italy."))
        .await;
    match checked {
        Ok(city) => println!("{:?} passed the check", city.value),
        Err(error) => println!("still not right after a repair: {error}"),
    }

    println!("\n4. A failure is typed: too few tokens cut the value short:");
    let cut = client
        .chat_json::<City>(ask("Describe the capital of Spain.").max_tokens(8))
        .await;
    match cut {
        Err(error) if error.kind() == ErrorKind::InvalidStructuredOutput => {
            println!("error: {error}");
            println!("cut by the token limit: {}", error.is_truncated());
            println!("raw text: {:?}", error.raw_output().unwrap_or_default());
            for problem in error.problems() {
                println!("problem: {problem}");
            }
        }
        Err(other) => return Err(other.into()),
        Ok(city) => println!("8 tokens were enough for {:?}", city.value),
    }
    Ok(())
}
