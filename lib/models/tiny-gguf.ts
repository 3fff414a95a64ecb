// A minimal GGUF v3 writer that produces a tiny, deterministic, random-weight llama model.
// It is used by the integration tests (and `npm run model:tiny`) to exercise the real llama.cpp
// engine without downloading any weights: 2 layers, n_embd 64, 4 heads, ~560-token SPM vocab
// (byte fallback + ChatML control tokens + a few hundred ASCII pieces), F32 tensors, < 1 MB.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createRng } from "../random.js";

/** Word lists the word models are built from: data/tiny-words/<language>.txt, one word a line. */
export const TINY_WORDS_DIR = fileURLToPath(new URL("../../data/tiny-words/", import.meta.url));

const N_EMBD = 64;
const N_HEAD = 4;
const N_LAYER = 2;
const N_FF = 128;
const ALIGNMENT = 32;

// GGUF metadata value types
const T_U32 = 4,
  T_I32 = 5,
  T_F32 = 6,
  T_BOOL = 7,
  T_STRING = 8,
  T_ARRAY = 9;
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

/** What a vocabulary piece is for: the word model samples its words and the bare quote that ends a string. */
type PieceRole = "piece" | "word" | "quote";

interface Vocab {
  tokens: string[];
  scores: number[];
  types: number[];
  roles: PieceRole[];
}

/** Most words a word model takes (each word and its prefixes become vocabulary pieces). */
export const MAX_TINY_WORDS = 2000;

function buildVocab(words: readonly string[] = [], extraControl: readonly string[] = []): Vocab {
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
  const englishWords = [
    "▁the",
    "▁and",
    "▁you",
    "▁to",
    "▁of",
    "▁is",
    "▁in",
    "▁that",
    "▁it",
    "▁for",
    "▁are",
    "▁with",
    "▁what",
    "▁your",
    "▁have",
    "▁like",
    "▁do",
    "▁my",
    "▁me",
    "▁hello",
    "▁hi",
    "ing",
    "ion",
    "ent",
    "▁true",
    "▁false",
    "▁null",
    "true",
    "false",
    "null",
    "text",
    "ends",
  ];
  for (const w of englishWords) for (let i = 2; i <= w.length; i++) pieces.push(w.slice(0, i));
  // JSON-ish pieces
  pieces.push(
    '{"',
    '":',
    '",',
    '"}',
    '":▁',
    '▁"',
    "▁{",
    "▁}",
    "▁[",
    "▁]",
    "[]",
    "{}",
    '",▁"',
    "▁:",
    "▁,",
    "▁.",
    "▁!",
    "▁?",
    "..",
    "00",
    "10",
    "20",
    "▁-",
    "--",
  );
  // the language's words, as "▁word" pieces (what a word model writes), and the prefixes SPM merges go through
  const targetWords = new Set(words.map((w) => `▁${w}`));
  for (const w of targetWords) {
    const chars = Array.from(w);
    for (let i = 2; i <= chars.length; i++) pieces.push(chars.slice(0, i).join(""));
  }
  const seen = new Set(tokens);
  let n = 0;
  const scores: number[] = tokens.map(() => 0);
  const roles: PieceRole[] = tokens.map(() => "piece");
  for (const p of pieces) {
    if (seen.has(p)) continue;
    seen.add(p);
    tokens.push(p);
    types.push(1);
    // the bare quote only: pieces that open a string with punctuation in it ('":▁', '",') must stay unlikely
    roles.push(targetWords.has(p) ? "word" : p === '"' ? "quote" : "piece");
    // SPM merges by score: longer pieces first, then earlier-listed pieces
    scores.push(-1000 + Array.from(p).length * 100 - n++ * 0.01);
  }
  if (tokens.length - special < 200) throw new Error("tiny vocab unexpectedly small");
  // control tokens of a model family (Qwen3's <think> and </think>), after every piece so the ids above hold
  for (const c of extraControl) {
    tokens.push(c);
    types.push(3);
    scores.push(0);
    roles.push("piece");
  }
  return { tokens, scores, types, roles };
}

/**
 * The words a word model writes, from any text in the language (XPersona's JSON, a word list, prose): its
 * lower-case letter words (apostrophes inside kept) of 2-20 characters, most frequent first, at most `max`.
 * Words holding digits, quotes or backslashes never make it, so a word is always safe inside a JSON string.
 */
export function wordsFromText(text: string, max = 600): string[] {
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/\p{L}+(?:['’]\p{L}+)*/gu)) {
    const word = match[0];
    // lower case only (names and sentence starts out); no astral letters (2 UTF-16 units, see the bias note below)
    if (word !== word.toLowerCase() || word.length !== Array.from(word).length) continue;
    const length = Array.from(word).length;
    if (length < 2 || length > 20) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, Math.min(max, MAX_TINY_WORDS))
    .map(([word]) => word);
}

class ByteSink {
  private chunks: Buffer[] = [];
  length = 0;
  push(buf: Buffer): void {
    this.chunks.push(buf);
    this.length += buf.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.push(b);
  }
  pad(align: number): void {
    const r = this.length % align;
    if (r !== 0) this.push(Buffer.alloc(align - r));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function writeKV(out: ByteSink, key: string, kv: KV): void {
  out.str(key);
  switch (kv.type) {
    case "u32":
      out.u32(T_U32);
      out.u32(kv.value);
      break;
    case "f32":
      out.u32(T_F32);
      out.f32(kv.value);
      break;
    case "bool":
      out.u32(T_BOOL);
      out.push(Buffer.from([kv.value ? 1 : 0]));
      break;
    case "string":
      out.u32(T_STRING);
      out.str(kv.value);
      break;
    case "string[]":
      out.u32(T_ARRAY);
      out.u32(T_STRING);
      out.u64(kv.value.length);
      kv.value.forEach((s) => out.str(s));
      break;
    case "f32[]":
      out.u32(T_ARRAY);
      out.u32(T_F32);
      out.u64(kv.value.length);
      kv.value.forEach((v) => out.f32(v));
      break;
    case "i32[]":
      out.u32(T_ARRAY);
      out.u32(T_I32);
      out.u64(kv.value.length);
      kv.value.forEach((v) => out.i32(v));
      break;
  }
}

/** Builds the GGUF bytes in memory (exported for tests). */
export interface TinyGgufOptions {
  seed?: number | undefined;
  contextLength?: number | undefined;
  /**
   * A word model: the words of one language (wordsFromText). Random weights then write word salad of these
   * words inside JSON strings (language identification reads it as that language), and strings end after a
   * dozen words or so. Without words: the default model, which writes ASCII gibberish.
   */
  words?: readonly string[] | undefined;
  /** the model's name in its metadata */
  name?: string | undefined;
  /**
   * The llama.cpp architecture: "llama" (default) or "qwen3" — the default model's family, with its per-head
   * query/key norms and the `<think>`/`</think>` control tokens, so the engine's handling of a thinking model's
   * chat format runs on the real engine.
   */
  architecture?: TinyArchitecture | undefined;
}

export type TinyArchitecture = "llama" | "qwen3";
/** Qwen3's reasoning delimiters, control tokens of its vocabulary */
export const QWEN3_THINK_TOKENS = ["<think>", "</think>"] as const;

/** The languages a word list ships for (data/tiny-words). */
export function tinyWordLanguages(dir = TINY_WORDS_DIR): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".txt"))
        .map((f) => f.slice(0, -4))
        .sort()
    : [];
}

/** The shipped word list of a language; an Error of one line when there is none. */
export function tinyWordsFor(language: string, dir = TINY_WORDS_DIR): string[] {
  const available = tinyWordLanguages(dir);
  if (!available.includes(language)) {
    throw new Error(
      `no word list for "${language}" (data/tiny-words has: ${available.join(", ") || "none"}; or give --words FILE)`,
    );
  }
  return readFileSync(`${dir}/${language}.txt`, "utf8")
    .split("\n")
    .map((w) => w.trim())
    .filter(Boolean);
}

/** Mean words per JSON string the word model writes: sets how likely a closing quote is next. */
const WORDS_PER_STRING = 12;
/** h[0] after the final RMSNorm (see the bias feature below): output.weight[t][0] × this is token t's logit bias */
const BIAS_FEATURE = 8;

/** Builds the GGUF bytes in memory (exported for tests). */
export function buildTinyGguf(opts: TinyGgufOptions = {}): Buffer {
  const generator = createRng(opts.seed ?? 42);
  const rand = () => generator.next();
  const words = opts.words ?? [];
  if (words.length > MAX_TINY_WORDS)
    throw new Error(`a tiny word model takes at most ${MAX_TINY_WORDS} words, got ${words.length}`);
  for (const word of words) {
    if (!/^\p{L}+(?:['’]\p{L}+)*$/u.test(word) || word.length !== Array.from(word).length)
      throw new Error(`not a word for the tiny model: ${JSON.stringify(word)}`);
  }
  const arch = opts.architecture ?? "llama";
  const { tokens, scores, types, roles } = buildVocab(words, arch === "qwen3" ? QWEN3_THINK_TOKENS : []);
  const wordModel = words.length > 0;
  const nVocab = tokens.length;
  const headDim = N_EMBD / N_HEAD;

  const metadata: Array<[string, KV]> = [
    ["general.architecture", { type: "string", value: arch }],
    ["general.name", { type: "string", value: opts.name ?? `tiny-random-${arch}${wordModel ? "-words" : ""}` }],
    ["general.file_type", { type: "u32", value: 0 }],
    ["general.alignment", { type: "u32", value: ALIGNMENT }],
    [`${arch}.context_length`, { type: "u32", value: opts.contextLength ?? 8192 }],
    [`${arch}.embedding_length`, { type: "u32", value: N_EMBD }],
    [`${arch}.block_count`, { type: "u32", value: N_LAYER }],
    [`${arch}.feed_forward_length`, { type: "u32", value: N_FF }],
    [`${arch}.attention.head_count`, { type: "u32", value: N_HEAD }],
    [`${arch}.attention.head_count_kv`, { type: "u32", value: N_HEAD }],
    [`${arch}.rope.dimension_count`, { type: "u32", value: headDim }],
    [`${arch}.rope.freq_base`, { type: "f32", value: 10000 }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: "f32", value: 1e-5 }],
    [`${arch}.vocab_size`, { type: "u32", value: nVocab }],
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
  //
  // A word model biases further: its words at 0, every other piece at -1 (wherever the grammar leaves a choice
  // — inside a JSON string — a word is picked, uniformly at random), and the pieces with a quote so that a
  // string closes after WORDS_PER_STRING words on average. Where the grammar forces JSON structure, only the
  // structural pieces are allowed and their (equal) biases do not matter.
  // Samplers keep the top 40 tokens (top_k 40, the default of llama.cpp's server and of node-llama-cpp): the
  // quote and 39 words, so a quote logit of T·ln(39 / (WORDS_PER_STRING − 1)) at temperature T = 0.8 closes a string
  // after WORDS_PER_STRING words on average; the words keep a quarter of the quote's probability (above min_p 0.05).
  const quoteBias = wordModel ? (0.8 * Math.log(39 / (WORDS_PER_STRING - 1))) / BIAS_FEATURE : 0;
  for (let t = 0; t < nVocab; t++) {
    tokenEmbd[t * N_EMBD] = 1;
    const isByte = types[t] === 6;
    if (t === TINY_TOKENS.imEnd) output[t * N_EMBD] = 0.05;
    else if (types[t] === 2 || types[t] === 3 || (isByte && tokens[t] !== "<0x0A>")) output[t * N_EMBD] = -1;
    else if (wordModel) output[t * N_EMBD] = roles[t] === "word" ? 0 : roles[t] === "quote" ? quoteBias : -1;
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
      ...(arch === "qwen3"
        ? [
            { name: `${p}attn_q_norm.weight`, ne: [headDim], data: ones(headDim) },
            { name: `${p}attn_k_norm.weight`, ne: [headDim], data: ones(headDim) },
          ]
        : []),
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

/** Writes a deterministic random-weight tiny GGUF (llama or qwen3; ChatML template, SPM byte-fallback vocab) to `path`. */
export async function writeTinyGguf(path: string, opts?: TinyGgufOptions): Promise<void> {
  await writeFile(path, buildTinyGguf(opts));
}
