// npm run llama-server:build
// Builds llama.cpp's llama-server from the source node-llama-cpp ships, once per machine (cached by the source's
// hash under ${XDG_CACHE_HOME:-~/.cache}/polyglot-personachat/llama-server), and prints the binary's path. The
// tests and `npm run bench -- server` use it against the tiny models; a second run finds the cached binary.
import { buildLlamaServer } from "../lib/models/llama-server-build.js";

try {
  const binary = await buildLlamaServer({ onProgress: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${binary}\n`);
} catch (error) {
  process.stderr.write(`llama-server:build: ${(error as Error).message.split("\n")[0]}\n`);
  process.exit(1);
}
