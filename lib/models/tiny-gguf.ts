// A minimal GGUF v3 writer that produces a tiny, deterministic, random-weight llama model.
// It is used by the integration tests (and `npm run model:tiny`) to exercise the real llama.cpp
// engine without downloading any weights: 2 layers, n_embd 64, 4 heads, ~560-token SPM vocab
// (byte fallback + ChatML control tokens + a few hundred ASCII pieces), F32 tensors, < 1 MB.
import { writeFile } from "node:fs/promises";
import { createRng } from "../random.js";

const N_EMBD = 64;
const N_HEAD = 4;
const N_LAYER = 2;
const N_FF = 128;
const ALIGNMENT = 32;

// GGUF metadata value types
const T_U32 = 4, T_I32 = 5, T_F32 = 6, T_BOOL = 7, T_STRING = 8, T_ARRAY = 9;
// ggml tensor type
const GGML_F32 = 0;

type KV =
  | { type: "u32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: string[] }
  | { type: "f32[]"; value: number[] }
  | { type: "i32[]"; value: number[] };

export const TINY_CHATML_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Token ids that matter to callers/tests. `</s>` (2) exists but the EOS is `<|im_end|>`, as in Qwen. */
export const TINY_TOKENS = { unk: 0, bos: 1, endOfSentence: 2, imStart: 259, imEnd: 260, eos: 260 } as const;

function buildVocab(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens: string[] = ["<unk>", "<s>", "</s>"];
  const types: number[] = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(6);
  }
  if (tokens.length !== TINY_TOKENS.imStart) throw new Error("tiny vocab layout changed");
  tokens.push("<|im_start|>", "<|im_end|>");
  types.push(3, 3);
  const special = tokens.length;

  const pieces: string[] = ["▁"];
  for (let c = 0x21; c <= 0x7e; c++) pieces.push(String.fromCharCode(c));
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (const l of letters) pieces.push(`▁${l}`);
  for (const d of "0123456789") pieces.push(`▁${d}`);
  const bigrams =
    "th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur";
  pieces.push(...bigrams.split(" "));
  // words (every prefix of a word is also present, so SPM merges can reach the whole word)
  const words = ["▁the", "▁and", "▁you", "▁to", "▁of", "▁is", "▁in", "▁that", "▁it", "▁for", "▁are", "▁with",
    "▁what", "▁your", "▁have", "▁like", "▁do", "▁my", "▁me", "▁hello", "▁hi", "ing", "ion", "ent",
    "▁true", "▁false", "▁null", "true", "false", "null", "text", "ends"];
  for (const w of words) for (let i = 2; i <= w.length; i++) pieces.push(w.slice(0, i));
  // JSON-ish pieces
  pieces.push('{"', '":', '",', '"}', '":▁', '▁"', '▁{', '▁}', "▁[", "▁]", "[]", "{}", '",▁"', "▁:", "▁,", "▁.", "▁!", "▁?",
    "..", "00", "10", "20", "▁-", "--");
  const seen = new Set(tokens);
  let n = 0;
  const scores: number[] = tokens.map(() => 0);
  for (const p of pieces) {
    if (seen.has(p)) continue;
    seen.add(p);
    tokens.push(p);
    types.push(1);
    // SPM merges by score: longer pieces first, then earlier-listed pieces
    scores.push(-1000 + [...p].length * 100 - n++ * 0.01);
  }
  if (tokens.length - special < 200) throw new Error("tiny vocab unexpectedly small");
  return { tokens, scores, types };
}

class ByteSink {
  private chunks: Buffer[] = [];
  length = 0;
  push(buf: Buffer): void {
    this.chunks.push(buf);
    this.length += buf.length;
  }
  u32(v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
  i32(v: number): void { const b = Buffer.alloc(4); b.writeInt32LE(v); this.push(b); }
  u64(v: number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
  f32(v: number): void { const b = Buffer.alloc(4); b.writeFloatLE(v); this.push(b); }
  str(s: string): void { const b = Buffer.from(s, "utf8"); this.u64(b.length); this.push(b); }
  pad(align: number): void { const r = this.length % align; if (r !== 0) this.push(Buffer.alloc(align - r)); }
  concat(): Buffer { return Buffer.concat(this.chunks, this.length); }
}

function writeKV(out: ByteSink, key: string, kv: KV): void {
  out.str(key);
  switch (kv.type) {
    case "u32": out.u32(T_U32); out.u32(kv.value); break;
    case "f32": out.u32(T_F32); out.f32(kv.value); break;
    case "bool": out.u32(T_BOOL); out.push(Buffer.from([kv.value ? 1 : 0])); break;
    case "string": out.u32(T_STRING); out.str(kv.value); break;
    case "string[]": out.u32(T_ARRAY); out.u32(T_STRING); out.u64(kv.value.length); kv.value.forEach((s) => out.str(s)); break;
    case "f32[]": out.u32(T_ARRAY); out.u32(T_F32); out.u64(kv.value.length); kv.value.forEach((v) => out.f32(v)); break;
    case "i32[]": out.u32(T_ARRAY); out.u32(T_I32); out.u64(kv.value.length); kv.value.forEach((v) => out.i32(v)); break;
  }
}

/** Builds the GGUF bytes in memory (exported for tests). */
export function buildTinyGguf(opts: { seed?: number; contextLength?: number } = {}): Buffer {
  const generator = createRng(opts.seed ?? 42);
  const rand = () => generator.next();
  const { tokens, scores, types } = buildVocab();
  const nVocab = tokens.length;

  const metadata: Array<[string, KV]> = [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: "tiny-random-llama" }],
    ["general.file_type", { type: "u32", value: 0 }],
    ["general.alignment", { type: "u32", value: ALIGNMENT }],
    ["llama.context_length", { type: "u32", value: opts.contextLength ?? 8192 }],
    ["llama.embedding_length", { type: "u32", value: N_EMBD }],
    ["llama.block_count", { type: "u32", value: N_LAYER }],
    ["llama.feed_forward_length", { type: "u32", value: N_FF }],
    ["llama.attention.head_count", { type: "u32", value: N_HEAD }],
    ["llama.attention.head_count_kv", { type: "u32", value: N_HEAD }],
    ["llama.rope.dimension_count", { type: "u32", value: N_EMBD / N_HEAD }],
    ["llama.rope.freq_base", { type: "f32", value: 10000 }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 }],
    ["llama.vocab_size", { type: "u32", value: nVocab }],
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: types }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: TINY_TOKENS.bos }],
    // <|im_end|> is the EOS (as in Qwen/ChatML models), so generation stops at the end of a turn
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: TINY_TOKENS.eos }],
    ["tokenizer.ggml.eot_token_id", { type: "u32", value: TINY_TOKENS.imEnd }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: TINY_TOKENS.unk }],
    ["tokenizer.ggml.padding_token_id", { type: "u32", value: TINY_TOKENS.endOfSentence }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    ["tokenizer.ggml.add_space_prefix", { type: "bool", value: false }],
    ["tokenizer.chat_template", { type: "string", value: TINY_CHATML_TEMPLATE }],
  ];

  const uniform = (n: number, scale = 0.02): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
    return a;
  };
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);

  // A constant "bias" feature in embedding dim 0 survives the (tiny) residual updates, so after the final
  // RMSNorm h[0] ≈ +8 for every position; output.weight[t][0] then acts as a per-token logit bias.
  // We use it to make control tokens and byte-fallback tokens (except "\n") very unlikely — random
  // output stays ASCII, so JSON strings never contain astral-plane characters (which count 2 UTF-16
  // units in zod's .max() but 1 character in the grammar's maxLength) — and to give <|im_end|> a small
  // positive bias so unconstrained replies end on their own after a few dozen tokens.
  const tokenEmbd = uniform(N_EMBD * nVocab);
  const output = uniform(N_EMBD * nVocab);
  for (let t = 0; t < nVocab; t++) {
    tokenEmbd[t * N_EMBD] = 1;
    const isByte = types[t] === 6;
    if (t === TINY_TOKENS.imEnd) output[t * N_EMBD] = 0.05;
    else if (types[t] === 2 || types[t] === 3 || (isByte && tokens[t] !== "<0x0A>")) output[t * N_EMBD] = -1;
  }
  // ne[0] is the innermost (input) dimension, as in ggml
  const tensors: Array<{ name: string; ne: number[]; data: Float32Array }> = [
    { name: "token_embd.weight", ne: [N_EMBD, nVocab], data: tokenEmbd },
    { name: "output_norm.weight", ne: [N_EMBD], data: ones(N_EMBD) },
    { name: "output.weight", ne: [N_EMBD, nVocab], data: output },
  ];
  for (let l = 0; l < N_LAYER; l++) {
    const p = `blk.${l}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, ne: [N_EMBD], data: ones(N_EMBD) },
      { name: `${p}attn_q.weight`, ne: [N_EMBD, N_EMBD], data: uniform(N_EMBD * N_EMBD) },
      { name: `${p}attn_k.weight`, ne: [N_EMBD, N_EMBD], data: uniform(N_EMBD * N_EMBD) },
      { name: `${p}attn_v.weight`, ne: [N_EMBD, N_EMBD], data: uniform(N_EMBD * N_EMBD) },
      { name: `${p}attn_output.weight`, ne: [N_EMBD, N_EMBD], data: uniform(N_EMBD * N_EMBD) },
      { name: `${p}ffn_norm.weight`, ne: [N_EMBD], data: ones(N_EMBD) },
      { name: `${p}ffn_gate.weight`, ne: [N_EMBD, N_FF], data: uniform(N_EMBD * N_FF) },
      { name: `${p}ffn_up.weight`, ne: [N_EMBD, N_FF], data: uniform(N_EMBD * N_FF) },
      { name: `${p}ffn_down.weight`, ne: [N_FF, N_EMBD], data: uniform(N_FF * N_EMBD) },
    );
  }

  const out = new ByteSink();
  out.push(Buffer.from("GGUF", "ascii"));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [k, v] of metadata) writeKV(out, k, v);
  let offset = 0;
  for (const t of tensors) {
    out.str(t.name);
    out.u32(t.ne.length);
    t.ne.forEach((d) => out.u64(d));
    out.u32(GGML_F32);
    out.u64(offset);
    offset += Math.ceil((t.data.length * 4) / ALIGNMENT) * ALIGNMENT;
  }
  out.pad(ALIGNMENT);
  for (const t of tensors) {
    out.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    out.pad(ALIGNMENT);
  }
  return out.concat();
}

/** Writes a deterministic random-weight tiny llama GGUF (ChatML template, SPM byte-fallback vocab) to `path`. */
export async function writeTinyGguf(path: string, opts?: { seed?: number; contextLength?: number }): Promise<void> {
  await writeFile(path, buildTinyGguf(opts));
}
