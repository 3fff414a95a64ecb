/**
 * A throwaway redis-server on a free loopback port (no persistence, its files in `dir`), for the fleet's tests and
 * benchmark; and the small waits they share.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createConnection } from "node:net";
import { freePort } from "../testing/ports.js";

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
    socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
    socket.on("data", (data) => (socket.destroy(), resolve(data.toString().startsWith("+PONG"))));
    socket.on("error", () => resolve(false));
  });

export interface LocalRedis {
  port: number;
  process: ChildProcess;
  stop(): void;
}

/** Starts redis-server (on `port`, or a free one) and waits (up to 10 s) until it answers PING. */
export async function startLocalRedis(dir: string, port?: number): Promise<LocalRedis> {
  port ??= await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: "ignore",
  });
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
