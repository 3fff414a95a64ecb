/**
 * `npm run studio [-- --port N]`: serves the dialogue graph with the pinned LangGraph CLI (`langgraphjs dev`),
 * on this machine only, analytics off, and says how to open it in LangGraph Studio.
 */
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";

const root = fileURLToPath(new URL("..", import.meta.url));
const FlagsSchema = z.object({
  port: z
    .string()
    .regex(/^\d+$/, "--port takes a number")
    .transform(Number)
    .refine((p) => p > 0 && p < 65536, "--port must be 1-65535")
    .default(process.env.STUDIO_PORT ?? "2024"),
  host: z.string().default("127.0.0.1"),
});

function fail(message: string): never {
  console.error(`polyglot-personachat studio: ${message}`);
  process.exit(2);
}

let values: Record<string, unknown>;
try {
  ({ values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { port: { type: "string" }, host: { type: "string" } } }));
} catch (error) {
  fail((error as Error).message.split("\n")[0]!);
}
const parsed = FlagsSchema.safeParse(values);
if (!parsed.success) fail(parsed.error.issues[0]!.message);
const { port, host } = parsed.data;

// langgraph.json names an env file; the dev server wants it to exist
if (!existsSync(join(root, ".env"))) writeFileSync(join(root, ".env"), "");

const cliPackage = createRequire(import.meta.url).resolve("@langchain/langgraph-cli/package.json");
const cli = join(dirname(cliPackage), "dist", "cli", "cli.mjs");
console.log(`LangGraph dev server on http://${host}:${port} (graph "dialogue")`);
console.log(`Open it in LangGraph Studio: https://smith.langchain.com/studio/?baseUrl=http://${host}:${port}`);
const child = spawn(process.execPath, [cli, "dev", "--port", String(port), "--host", host, "--no-browser", "--config", join(root, "langgraph.json")], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, LANGGRAPH_CLI_NO_ANALYTICS: "1" },
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
