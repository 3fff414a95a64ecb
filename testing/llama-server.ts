// llama.cpp's own OpenAI-compatible server (`llama-server`) for the tests and the server benchmark: started on a free
// port with a GGUF, waited for, stopped. Built by lib/models/llama-server-build.ts (`npm run llama-server:build`).
import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "./ports.js";

export interface LlamaServerOptions {
  binary: string;
  model: string;
  /** the name requests give as `model` (--alias) */
  alias?: string;
  /** server slots (--parallel) */
  parallel?: number;
  /** context per slot, in tokens (the server gets parallel × this) */
  slotContext?: number;
  threads?: number;
  extraArgs?: string[];
  /** how long loading may take */
  readyTimeoutMs?: number;
  /** a port to listen on (default: a free one), e.g. to restart a server where its clients expect it */
  port?: number;
}

export interface LlamaServer {
  port: number;
  url: string;
  /** the OpenAI-compatible base URL, …/v1 */
  baseUrl: string;
  alias: string;
  parallel: number;
  child: ChildProcess;
  /** the server's output so far */
  output(): string;
  /** Prometheus counters of /metrics (llamacpp:prompt_tokens_total, llamacpp:tokens_predicted_total, …) */
  metrics(): Promise<Record<string, number>>;
  /** SIGKILL, as a crash would */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Prometheus text → { name: value } for the unlabelled samples. */
export function parseMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)\s+(\S+)$/.exec(line.trim());
    if (match) out[match[1]!] = Number(match[2]);
  }
  return out;
}

/**
 * Starts llama-server on a free port of 127.0.0.1 and waits until /health says ok: a 503 (the model is still
 * loading) or a refused connection (not listening yet) is a wait; the process exiting first is an error that
 * quotes its last output line.
 */
export async function startLlamaServer(options: LlamaServerOptions): Promise<LlamaServer> {
  const port = options.port ?? (await freePort());
  const parallel = options.parallel ?? 1;
  const alias = options.alias ?? "tiny";
  const args = [
    "--model",
    options.model,
    "--alias",
    alias,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--parallel",
    String(parallel),
    "--ctx-size",
    String(parallel * (options.slotContext ?? 4096)),
    "--threads",
    String(options.threads ?? 1),
    "--metrics",
    "--no-webui",
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(options.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const state = { gone: false };
  void exited.then(() => (state.gone = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const lastLine = () => output.trim().split("\n").at(-1) ?? "";
  for (;;) {
    if (state.gone)
      throw new Error(
        `llama-server exited before it was ready (code ${child.exitCode ?? child.signalCode}): ${lastLine()}`,
      );
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`llama-server was not ready within ${options.readyTimeoutMs ?? 60_000} ms: ${lastLine()}`);
    }
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      await response.text();
      if (response.ok) break;
      if (response.status !== 503) throw new Error(`llama-server /health answered ${response.status}`);
    } catch (error) {
      if ((error as Error).message.startsWith("llama-server")) throw error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stopWith = async (signal: NodeJS.Signals) => {
    if (!state.gone) child.kill(signal);
    await exited;
  };
  return {
    port,
    url,
    baseUrl: `${url}/v1`,
    alias,
    parallel,
    child,
    output: () => output,
    metrics: async () => parseMetrics(await (await fetch(`${url}/metrics`)).text()),
    kill: () => stopWith("SIGKILL"),
    stop: () => stopWith("SIGTERM"),
  };
}
