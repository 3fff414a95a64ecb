/**
 * Benchmark dispatcher: `npm run bench -- NAME [args]`. Add a benchmark with one row in BENCHES; each module
 * exports `run(argv): Promise<number>` returning the exit code.
 */

interface Bench {
  describe: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const BENCHES: Readonly<Record<string, Bench>> = {
  gates: {
    describe: "deterministic gates on XPersona: human rejection, injected-fault recall, throughput",
    load: () => import("./bench/gates.js"),
  },
  batch: {
    describe: "worker pool: efficiency at concurrency 1/8/64 with a 200 ms model, orchestration overhead per turn",
    load: () => import("./bench/batch.js"),
  },
  fleet: {
    describe: "fleet on a Redis queue: throughput of 1/2/4 worker processes with a 200 ms model, ratio to ideal",
    load: () => import("./bench/fleet.js"),
  },
  server: {
    describe: "real llama-server through --provider openai: server prompt-eval ratio at concurrency 1 and 4",
    load: () => import("./bench/server.js"),
  },
  engine: {
    describe: "embedded llama.cpp engine on a dialogue: prompt-eval ratio (sequence reuse), tok/s",
    load: () => import("./bench/engine.js"),
  },
};

function usage(): string {
  const rows = Object.entries(BENCHES).map(([name, b]) => `  ${name.padEnd(12)} ${b.describe}`);
  return `usage: npm run bench -- NAME [args]\n\nbenchmarks:\n${rows.join("\n")}`;
}

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || name === "--help" || name === "-h") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`bench: unknown benchmark "${name}" (available: ${Object.keys(BENCHES).join(", ")})`);
    return 2;
  }
  return (await bench.load()).run(rest);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
