//! An escape hatch for requests the typed API does not cover (server-specific routes, extras).

use foundry_transport::TransportRequest;
use serde_json::Value;

use crate::client::FoundryClient;
use crate::error::Error;
use crate::pipeline::Operation;

impl FoundryClient {
    /// POSTs `body` as JSON to `path` (e.g. llama.cpp's `/tokenize`) through the same retries,
    /// breaker and limit as every call, and returns the JSON answer. An error status is a typed
    /// error as everywhere else. The request counts as idempotent, like inference.
    pub async fn post_raw(&self, path: &str, body: &Value) -> Result<Value, Error> {
        let request = Self::post_json(path, body)?;
        self.run(Operation::other("raw_request"), None, None, |_| {
            self.execute_json(request.clone(), "raw request")
        })
        .await
    }

    /// GETs `path` and returns the JSON answer.
    pub async fn get_raw(&self, path: &str) -> Result<Value, Error> {
        self.run(Operation::other("raw_request"), None, None, |_| {
            self.execute_json(TransportRequest::get(path), "raw request")
        })
        .await
    }
}
