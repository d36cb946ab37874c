#!/usr/bin/env python3
"""Writes the tiny, deterministic models the real Foundry Local runtimes serve in `cargo xtask e2e`.

usage: gen_models.py OUT_DIR

Needs only numpy and onnx: no network, no weights from a hub. OUT_DIR becomes a Foundry Local model
cache (`<publisher>/<name>-<version>/<variant dir>/`: the 1.x Core wants the extra directory level,
the 2.x Core accepts it) plus `models.json`, the manifest the launcher turns into a catalog. The
manifest is written last, so its presence means the whole cache is complete.

Each model is an ONNX Runtime GenAI decoder whose logits come from a token-to-next-token table, so
greedy decoding always produces the same words:
  tiny-chat        answers ANSWER (24 tokens), then end-of-text: finish_reason "stop"
  tiny-embed       the same answer, plus the `hidden_states` output the runtimes embed with (32-dim)
  tiny-long        the counting words repeat forever: it only stops at max_tokens (killed mid-stream)
  tiny-notemplate  tiny-chat without a chat template: the runtimes fail after the stream started
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ANSWER = "Hello! I am a tiny test model served by Foundry Local: one two three four five six seven eight nine ten."
PUBLISHER = "Microsoft"
VERSION = 1
HIDDEN, HEADS, HEAD_SIZE = 32, 2, 16  # HIDDEN = HEADS * HEAD_SIZE: the KV cache is the embedding, split.
CONTEXT = 4096  # the runtimes reserve 2,048 output tokens by default: prompt + 2,048 must fit.
LONG_CONTEXT = 65536  # room for a stream long enough to kill its server in the middle of it.
SPECIAL = ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
# Roles become <|role|> markers; the generation prompt ends with <|assistant|>, after which the
# table starts the answer.
CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>{% endif %}")
# A gap this large keeps the next token certain even when a request asks for sampling.
SURE = 40.0


def byte_symbols():
    """GPT-2's byte-level alphabet: printable bytes stand for themselves, the others are shifted
    past 255 so every byte has a visible symbol (a space is 'Ġ')."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    symbols, shifted = {}, 0
    for byte in range(256):
        if byte in printable:
            symbols[byte] = chr(byte)
        else:
            symbols[byte] = chr(256 + shifted)
            shifted += 1
    return symbols


def answer_tokens():
    """The answer as whole-word tokens in byte-level spelling: 'Hello', '!', 'ĠI', ..., '.'."""
    space = byte_symbols()[ord(" ")]
    tokens = []
    for i, word in enumerate(ANSWER.split(" ")):
        prefix = space if i else ""
        head = word.rstrip("!:.")
        tokens.append(prefix + head)
        tokens.extend(word[len(head):])  # trailing punctuation is a token of its own
    return tokens


def build_vocab():
    """Ids 0-255 are the 256 bytes (so any prompt tokenizes without merges), then the answer's
    words, then the special tokens."""
    symbols = byte_symbols()
    vocab = {symbols[b]: b for b in range(256)}
    for token in answer_tokens() + SPECIAL:
        vocab.setdefault(token, len(vocab))
    return vocab


def next_token_table(vocab, repeat):
    """Row t holds the logits of the token after t. Any token outside the answer (the prompt's last
    token above all) leads to 'Hello'; each answer token leads to the next; the end leads to
    end-of-text, or for `repeat` from 'ten' back to 'one' so the answer never ends."""
    words = answer_tokens()
    table = np.zeros((len(vocab), len(vocab)), np.float32)
    table[:, vocab[words[0]]] = SURE
    followers = words[1:] + ["<|endoftext|>"]
    if repeat:
        ten = words.index("Ġten")
        followers[ten] = "Ġone"
    for token, follower in zip(words, followers):
        table[vocab[token]] = 0.0
        table[vocab[token], vocab[follower]] = SURE
    return table


def decoder(vocab, repeat, with_hidden_states):
    """The decoder graph in the shape ONNX Runtime GenAI drives: input_ids and attention_mask, one
    layer of past/present keys and values, logits (and hidden_states for embeddings)."""
    vocab_size = len(vocab)
    rng = np.random.default_rng(11)  # fixed seed: the same embeddings on every machine
    inits = [
        numpy_helper.from_array(rng.standard_normal((vocab_size, HIDDEN)).astype(np.float32), "embed"),
        numpy_helper.from_array(next_token_table(vocab, repeat), "next"),
        numpy_helper.from_array(np.array([0, 0, HEADS, HEAD_SIZE], np.int64), "split_heads"),
        numpy_helper.from_array(np.array([0, 1, HIDDEN], np.int64), "join_heads"),
    ]
    node = helper.make_node
    nodes = [
        node("Gather", ["embed", "input_ids"], ["x"]),  # [batch, seq, hidden]
        node("Reshape", ["x", "split_heads"], ["x_heads"]),
        node("Transpose", ["x_heads"], ["kv"], perm=[0, 2, 1, 3]),  # [batch, heads, seq, head_size]
        node("Concat", ["past_key_values.0.key", "kv"], ["present.0.key"], axis=2),
        node("Concat", ["past_key_values.0.value", "kv"], ["present.0.value"], axis=2),
        node("Gather", ["next", "input_ids"], ["logits"]),  # [batch, seq, vocab]
    ]
    if with_hidden_states:
        # Each position's vector plus the mean of everything seen so far: depends on the whole text.
        nodes += [
            node("ReduceMean", ["present.0.value"], ["mean"], axes=[2], keepdims=1),
            node("Transpose", ["mean"], ["mean_t"], perm=[0, 2, 1, 3]),
            node("Reshape", ["mean_t", "join_heads"], ["context"]),
            node("Add", ["x", "context"], ["hidden_states"]),
        ]
    value = helper.make_tensor_value_info
    cache_shape = ["batch", HEADS, "past", HEAD_SIZE]
    present_shape = ["batch", HEADS, "total", HEAD_SIZE]
    inputs = [
        value("input_ids", TensorProto.INT64, ["batch", "seq"]),
        value("attention_mask", TensorProto.INT64, ["batch", "total"]),
        value("past_key_values.0.key", TensorProto.FLOAT, cache_shape),
        value("past_key_values.0.value", TensorProto.FLOAT, cache_shape),
    ]
    outputs = [
        value("logits", TensorProto.FLOAT, ["batch", "seq", vocab_size]),
        value("present.0.key", TensorProto.FLOAT, present_shape),
        value("present.0.value", TensorProto.FLOAT, present_shape),
    ]
    if with_hidden_states:
        outputs.append(value("hidden_states", TensorProto.FLOAT, ["batch", "seq", HIDDEN]))
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    return model


def genai_config(vocab, context, with_hidden_states):
    """ONNX Runtime GenAI's description of the model: ids, sizes, tensor names, greedy search."""
    eos = vocab["<|endoftext|>"]
    outputs = {"logits": "logits", "present_key_names": "present.%d.key",
               "present_value_names": "present.%d.value"}
    if with_hidden_states:
        outputs["hidden_states"] = "hidden_states"
    return {
        "model": {
            "type": "llama", "bos_token_id": eos, "eos_token_id": eos, "pad_token_id": eos,
            "vocab_size": len(vocab), "context_length": context,
            "decoder": {
                "filename": "model.onnx", "session_options": {"provider_options": []},
                "hidden_size": HIDDEN, "head_size": HEAD_SIZE, "num_attention_heads": HEADS,
                "num_key_value_heads": HEADS, "num_hidden_layers": 1,
                "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask",
                           "past_key_names": "past_key_values.%d.key",
                           "past_value_names": "past_key_values.%d.value"},
                "outputs": outputs,
            },
        },
        # past_present_share_buffer off: no cache of context_length is allocated up front.
        "search": {"max_length": context, "past_present_share_buffer": False, "do_sample": False,
                   "num_beams": 1, "top_k": 1, "top_p": 1.0, "temperature": 1.0},
    }


def tokenizer_files(vocab, with_template):
    """A byte-level BPE without merges (every prompt byte is one token) in the Hugging Face format
    the runtimes' tokenizer reads, and its config with the chat template."""
    specials = [{"id": vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True} for s in SPECIAL]
    byte_level = {"add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": specials,
        "normalizer": None, "post_processor": None,
        "pre_tokenizer": {"type": "ByteLevel", **byte_level},
        "decoder": {"type": "ByteLevel", **byte_level},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": []},
    }
    config = {
        "tokenizer_class": "GPT2Tokenizer", "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>", "add_bos_token": False, "model_max_length": CONTEXT,
        "added_tokens_decoder": {str(s["id"]): {k: v for k, v in s.items() if k != "id"} for s in specials},
    }
    if with_template:
        config["chat_template"] = CHAT_TEMPLATE
    return tokenizer, config


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1, ensure_ascii=False)


def write_model(out, vocab, alias, task, repeat=False, with_template=True, context=CONTEXT):
    """Writes one model variant and returns its manifest entry."""
    name = f"{alias}-generic-cpu"
    folder = os.path.join(out, PUBLISHER, f"{name}-{VERSION}", "v1")
    os.makedirs(folder, exist_ok=True)
    embeds = task == "embeddings"
    onnx.save(decoder(vocab, repeat, embeds), os.path.join(folder, "model.onnx"))
    write_json(os.path.join(folder, "genai_config.json"), genai_config(vocab, context, embeds))
    tokenizer, config = tokenizer_files(vocab, with_template)
    write_json(os.path.join(folder, "tokenizer.json"), tokenizer)
    write_json(os.path.join(folder, "tokenizer_config.json"), config)
    write_json(os.path.join(folder, "inference_model.json"), {"Name": f"{name}:{VERSION}", "PromptTemplate": None})
    return {"alias": alias, "name": name, "version": VERSION, "task": task, "publisher": PUBLISHER,
            "context": context, "bytes": os.path.getsize(os.path.join(folder, "model.onnx"))}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    vocab = build_vocab()
    manifest = [
        write_model(out, vocab, "tiny-chat", "chat-completion"),
        write_model(out, vocab, "tiny-embed", "embeddings"),
        write_model(out, vocab, "tiny-long", "chat-completion", repeat=True, context=LONG_CONTEXT),
        write_model(out, vocab, "tiny-notemplate", "chat-completion", with_template=False),
    ]
    write_json(os.path.join(out, "models.json.tmp"), manifest)
    os.replace(os.path.join(out, "models.json.tmp"), os.path.join(out, "models.json"))
    print(f"wrote {len(manifest)} models ({len(vocab)} tokens) to {out}")


if __name__ == "__main__":
    main()
