/**
 * A throwaway redis-server on a free loopback port (no persistence, its files in `dir`), for the fleet's tests and
 * benchmark; and the small waits they share.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createConnection } from "node:net";
import { freePort } from "./ports.js";

/** Whether `redis-server` is on PATH (CI installs it; tests that need it skip with the reason without it). */
export const hasRedisServer = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;

/** Polls `test` every 100 ms until it holds; throws after `timeoutMs`, naming `what` it waited for. */
export async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const answersPing = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => socket.write("PING\r\n"));
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    // a server with a password answers -NOAUTH: it is up all the same
    socket.on("data", (data) => {
      socket.destroy();
      resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
    });
    socket.on("error", () => resolve(false));
  });

export interface LocalRedis {
  port: number;
  process: ChildProcess;
  stop(): void;
}

/** Starts redis-server (on `port`, or a free one; with `password`, requirepass) and waits (up to 10 s) until it answers PING. */
export async function startLocalRedis(
  dir: string,
  port?: number,
  options: { password?: string } = {},
): Promise<LocalRedis> {
  port ??= await freePort();
  const auth = options.password ? ["--requirepass", options.password] : [];
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...auth],
    {
      stdio: "ignore",
    },
  );
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  try {
    await until("redis-server to answer PING", () => answersPing(port), 10_000);
  } catch (error) {
    stop();
    throw error;
  }
  return { port, process: child, stop };
}
