/**
 * `npm run studio [-- --port N]` (or STUDIO_PORT=N): serves the dialogue graph with the pinned LangGraph CLI
 * (`langgraphjs dev`), on this machine only (another --host needs --allow-remote, and says so), analytics off,
 * and says how to open it in LangGraph Studio. The
 * server needs no network; Studio's form comes from the graph's schemas: the input (language, seed, speech
 * event, …) and the context (model / provider, turn budget, retries, prompt variant).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { ALLOW_REMOTE_ENV, isLoopback } from "../lib/security/studio-guard.js";
import { tracingSettings, withoutTracing } from "../app/tracing/settings.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const FlagsSchema = z.object({
  port: z
    .string()
    .regex(/^\d+$/, "--port takes a number")
    .transform(Number)
    .refine((p) => p > 0 && p < 65536, "--port must be 1-65535")
    .default(process.env.STUDIO_PORT || "2024"),
  host: z.string().min(1).default("127.0.0.1"),
  "allow-remote": z.boolean().default(false),
});

function fail(message: string): never {
  console.error(`polyglot-personachat studio: ${message}`);
  process.exit(2);
}

const HELP = `Usage: npm run studio [-- options]

Serves the dialogue graph with the pinned LangGraph CLI (langgraphjs dev) for LangGraph Studio, on this machine
only, analytics off; prints the link that opens it in Studio. Ctrl-C (or SIGTERM to npm) stops it and the server.

  --port N          the port                                  [$STUDIO_PORT, else 2024]
  --host HOST       the address to listen on                  [127.0.0.1]
  --allow-remote    let a non-loopback --host through (the dev server has no authentication)
  -h, --help        this help`;

let values: Record<string, unknown>;
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "allow-remote": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  fail((error as Error).message.split("\n")[0]!);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
delete values.help;
const parsed = FlagsSchema.safeParse(values);
if (!parsed.success) fail(parsed.error.issues[0]!.message);
const { port, host, "allow-remote": allowRemote } = parsed.data;
// the dev server has no authentication: anyone who reaches it runs dialogues with this machine's models
if (!isLoopback(host) && !allowRemote) {
  fail(
    `--host ${host} would let anyone on the network run the graph with this machine's models (the dev server has no authentication); add --allow-remote to do it anyway`,
  );
}

// a taken port: one line now, rather than the dev server's stack trace and a CLI left waiting
const taken = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
  const probe = createServer();
  probe.once("error", (error: NodeJS.ErrnoException) => resolve(error));
  probe.listen(port, host, () => probe.close(() => resolve(null)));
});
if (taken) {
  fail(
    taken.code === "EADDRINUSE"
      ? `port ${port} on ${host} is taken (another studio?): stop it or pass --port N`
      : `cannot listen on ${host}:${port}: ${taken.code ?? taken.message.split("\n")[0]}`,
  );
}

// langgraph.json names an env file; the dev server wants it to exist (created only if nothing is there: a link
// planted at .env is not followed)
if (!existsSync(join(root, ".env"))) {
  try {
    writeFileSync(join(root, ".env"), "", { flag: "wx" });
  } catch (error) {
    fail(`cannot create ${join(root, ".env")}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

// every process the CLI starts loads studio-server-setup.ts first: the dev server's preload is dropped from the flags
// its forked children inherit (node-llama-cpp's binary test). Node strips its types (a flag before Node 22.18).
const setup = `--import=${pathToFileURL(join(root, "scripts", "studio-server-setup.ts")).href}`;
const nodeOptions = [process.env.NODE_OPTIONS, process.features.typescript ? "" : "--experimental-strip-types", setup];
// the request guard (graphs/studio-http.ts) answers non-loopback Host names only when the operator opted in here
const asked: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_OPTIONS: nodeOptions.filter(Boolean).join(" "),
  LANGGRAPH_CLI_NO_ANALYTICS: "1",
  [ALLOW_REMOTE_ENV]: isLoopback(host) ? "0" : "1",
};
// tracing asked for but impossible (no key, bad URL): say so once and keep the server from trying
const tracing = tracingSettings(asked);
if (!tracing.enabled && tracing.problem) console.error(`tracing: ${tracing.problem}`);
const env = !tracing.enabled && tracing.problem ? withoutTracing(asked) : asked;

const cliPackage = createRequire(import.meta.url).resolve("@langchain/langgraph-cli/package.json");
const cli = join(dirname(cliPackage), "dist", "cli", "cli.mjs");
const base = `http://${host}:${port}`;
console.log(`LangGraph dev server on ${base} (graph "dialogue"; health check: ${base}/ok)`);
if (!isLoopback(host)) {
  console.log(
    `WARNING: --allow-remote: listening on ${host}, reachable from other machines, with no authentication; callers get only the servers and model files you allow (POLYGLOT_ALLOWED_BASE_URLS, POLYGLOT_ALLOWED_MODELS)`,
  );
}
console.log(`Open it in LangGraph Studio: https://smith.langchain.com/studio/?baseUrl=${base}`);
console.log(
  `  Manage Assistants / configuration: model (GGUF path), provider, turnsMin/turnsMax, promptVariant, retries`,
);
console.log(`  Input: language (es, fr, pt-BR, …), seed, speechEventId; Ctrl-C stops the server`);
// the CLI runs in a process group of its own (with the server and watcher it starts), and the whole group goes when
// this process does: by a signal (npm passes SIGINT / SIGTERM / SIGHUP on to us) or by exiting
const child = spawn(
  process.execPath,
  [cli, "dev", "--port", String(port), "--host", host, "--no-browser", "--config", join(root, "langgraph.json")],
  {
    cwd: root,
    stdio: "inherit",
    env,
    detached: true,
  },
);
const stopGroup = (signal: NodeJS.Signals) => {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => stopGroup(signal));
process.on("exit", () => stopGroup("SIGTERM"));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
