//! The models an emulator knows: catalog entries with what the deterministic model needs.

use foundry_protocol::foundry::{ModelInfo, PromptTemplate, Runtime};

/// The answer of the real runtimes' tiny test model, word for word.
pub const TINY_ANSWER: &str = "Hello! I am a tiny test model served by Foundry Local: one two three four five six seven eight nine ten.";

/// What a model does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelKind {
    /// Chat completions.
    Chat,
    /// Embeddings (the current Cores answer chat on them too).
    Embeddings,
}

/// How prompt tokens are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tokenizer {
    /// Words and punctuation marks of the messages' text.
    Words,
    /// The real runtimes' tiny test tokenizer: every byte of a message is a token, plus a role
    /// marker and an end marker per message and one assistant marker.
    Bytes,
}

/// One model variant of the catalog.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CatalogEntry {
    /// The catalog data as Foundry Local publishes it (`name` is the id with its version).
    pub info: ModelInfo,
    /// Chat or embeddings.
    pub kind: ModelKind,
    /// Length of the embedding vectors.
    pub embedding_dimensions: usize,
    /// An answer given to every chat request instead of generated words.
    pub fixed_answer: Option<String>,
    /// The context window: prompt plus token budget must fit (the current Core checks it).
    pub context_length: u32,
    /// Whether the model starts downloaded.
    pub cached: bool,
    /// How prompt tokens are counted.
    pub tokenizer: Tokenizer,
}

impl CatalogEntry {
    fn new(id: &str, alias: &str, kind: ModelKind) -> Self {
        let mut info = ModelInfo::default();
        let (bare, version) = id.split_once(':').unwrap_or((id, "1"));
        info.name = id.to_owned();
        info.alias = alias.to_owned();
        info.display_name = Some(bare.to_owned());
        info.version = Some(version.to_owned());
        info.provider_type = Some("AzureFoundry".to_owned());
        info.uri = Some(format!(
            "azureml://registries/azureml/models/{bare}/versions/{version}"
        ));
        info.model_type = Some("ONNX".to_owned());
        info.publisher = Some("Microsoft".to_owned());
        info.task = Some(
            match kind {
                ModelKind::Chat => "chat-completion",
                ModelKind::Embeddings => "embeddings",
            }
            .to_owned(),
        );
        info.model_settings = Some(serde_json::json!({"parameters": []}));
        info.supports_tool_calling = Some(kind == ModelKind::Chat);
        info.license = Some("MIT".to_owned());
        info.license_description = Some(String::new());
        info.parent_model_uri = Some(format!(
            "azureml://registries/azureml/models/{alias}/versions/1"
        ));
        let mut entry = Self {
            info,
            kind,
            embedding_dimensions: 0,
            fixed_answer: None,
            context_length: 131_072,
            cached: false,
            tokenizer: Tokenizer::Words,
        };
        entry = entry.device("CPU", "CPUExecutionProvider");
        entry
    }

    /// A chat model `id` (`name:version`) answering to `alias`, on CPU, not downloaded.
    pub fn chat(id: &str, alias: &str) -> Self {
        let mut entry = Self::new(id, alias, ModelKind::Chat);
        entry.info.prompt_template = Some(phi_template());
        entry.info.max_output_tokens = Some(4096);
        entry
    }

    /// An embeddings model `id` answering to `alias` with vectors of `dimensions`.
    pub fn embeddings(id: &str, alias: &str, dimensions: usize) -> Self {
        let mut entry = Self::new(id, alias, ModelKind::Embeddings);
        entry.embedding_dimensions = dimensions;
        entry
    }

    /// Sets the device type (`CPU`, `GPU`, `NPU`) and execution provider.
    pub fn device(mut self, device_type: &str, execution_provider: &str) -> Self {
        let mut runtime = Runtime::default();
        runtime.device_type = Some(device_type.to_owned());
        runtime.execution_provider = Some(execution_provider.to_owned());
        self.info.runtime = Some(runtime);
        self
    }

    /// Makes every chat answer this text (cut by `max_tokens` and `stop` as usual).
    pub fn fixed_answer(mut self, answer: impl Into<String>) -> Self {
        self.fixed_answer = Some(answer.into());
        self
    }

    /// Marks the model as downloaded from the start.
    pub fn cached(mut self, cached: bool) -> Self {
        self.cached = cached;
        self
    }

    /// Sets the context window.
    pub fn context_length(mut self, tokens: u32) -> Self {
        self.context_length = tokens;
        self
    }

    /// Sets how prompt tokens are counted.
    pub fn tokenizer(mut self, tokenizer: Tokenizer) -> Self {
        self.tokenizer = tokenizer;
        self
    }

    /// Sets the download size reported by the catalog.
    pub fn file_size_mb(mut self, megabytes: u64) -> Self {
        self.info.file_size_mb = Some(megabytes);
        self
    }

    /// The variant id (`name:version`).
    pub fn id(&self) -> &str {
        &self.info.name
    }

    /// The alias users type.
    pub fn alias(&self) -> &str {
        &self.info.alias
    }

    /// The id without its `:version` suffix (the v1 Core's model name).
    pub fn bare_name(&self) -> &str {
        self.id()
            .split_once(':')
            .map_or(self.id(), |(bare, _)| bare)
    }

    /// The publisher (`owned_by` in model lists).
    pub fn publisher(&self) -> &str {
        self.info.publisher.as_deref().unwrap_or("system")
    }
}

fn phi_template() -> PromptTemplate {
    let mut template = PromptTemplate::default();
    template.system = Some("<|system|>{Content}<|end|>".to_owned());
    template.user = Some("<|user|>{Content}<|end|>".to_owned());
    template.assistant = Some("<|assistant|>{Content}<|end|>".to_owned());
    template.prompt = Some("<|user|>{Content}<|end|><|assistant|>".to_owned());
    template
}

/// The models an emulator serves, in priority order: when an alias has several variants, the
/// first downloaded one is the one that loads.
#[derive(Debug, Clone)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
}

impl Default for Catalog {
    /// Two chat aliases with CPU, GPU and NPU variants and an embeddings model; the CPU variants
    /// of `phi-4-mini` and `qwen2.5-0.5b` and the embeddings model start downloaded.
    fn default() -> Self {
        Self::new(vec![
            CatalogEntry::chat("Phi-4-mini-instruct-generic-gpu:4", "phi-4-mini")
                .device("GPU", "WebGpuExecutionProvider")
                .file_size_mb(3660),
            CatalogEntry::chat("Phi-4-mini-instruct-generic-cpu:4", "phi-4-mini")
                .file_size_mb(4980)
                .cached(true),
            CatalogEntry::chat("qwen2.5-0.5b-instruct-openvino-npu:2", "qwen2.5-0.5b")
                .device("NPU", "OpenVINOExecutionProvider")
                .file_size_mb(460),
            CatalogEntry::chat("qwen2.5-0.5b-instruct-generic-cpu:3", "qwen2.5-0.5b")
                .file_size_mb(822)
                .cached(true),
            CatalogEntry::chat("qwen2.5-1.5b-instruct-cuda-gpu:3", "qwen2.5-1.5b")
                .device("GPU", "CUDAExecutionProvider")
                .file_size_mb(1250),
            CatalogEntry::embeddings(
                "qwen3-embedding-0.6b-generic-cpu:1",
                "qwen3-embedding-0.6b",
                1024,
            )
            .file_size_mb(1190)
            .cached(true),
        ])
    }
}

impl Catalog {
    /// A catalog of these entries (ids must be unique; the first entry of an alias wins ties).
    pub fn new(entries: Vec<CatalogEntry>) -> Self {
        Self { entries }
    }

    /// The real runtimes' two test models, both downloaded and answering [`TINY_ANSWER`]:
    /// `tiny-chat-generic-cpu:1` (alias `tiny-chat`) and `tiny-embed-generic-cpu:1` (alias
    /// `tiny-embed`, 32 dimensions), with a 4,096-token context and the tiny byte tokenizer.
    /// Recorded exchanges with the real runtimes replay against it.
    pub fn tiny() -> Self {
        let tiny = |entry: CatalogEntry| {
            let mut entry = entry
                .fixed_answer(TINY_ANSWER)
                .cached(true)
                .context_length(4096)
                .tokenizer(Tokenizer::Bytes);
            entry.info.prompt_template = None;
            entry.info.supports_tool_calling = Some(false);
            entry.info.max_output_tokens = Some(256);
            entry
        };
        Self::new(vec![
            tiny(CatalogEntry::chat("tiny-chat-generic-cpu:1", "tiny-chat")),
            tiny(CatalogEntry::embeddings(
                "tiny-embed-generic-cpu:1",
                "tiny-embed",
                32,
            )),
        ])
    }

    /// Adds an entry.
    pub fn with_entry(mut self, entry: CatalogEntry) -> Self {
        self.entries.push(entry);
        self
    }

    /// The entries, in priority order.
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// The position of the entry with exactly this id.
    pub(crate) fn by_id(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|entry| entry.id() == id)
    }

    /// The position of the entry with this id, ignoring case.
    pub(crate) fn by_id_any_case(&self, id: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|entry| entry.id().eq_ignore_ascii_case(id))
    }

    /// Positions of the variants of an alias (exact match), in priority order.
    pub(crate) fn by_alias<'a>(&'a self, alias: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, entry)| entry.alias() == alias)
            .map(|(index, _)| index)
    }

    /// Positions of the entries a lenient server accepts for `name`: alias, id or bare name, any case.
    pub(crate) fn answering_to<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, entry)| entry.info.answers_to(name))
            .map(|(index, _)| index)
    }

    /// The entry at a position found by one of the lookups.
    pub(crate) fn entry(&self, index: usize) -> &CatalogEntry {
        &self.entries[index]
    }
}
