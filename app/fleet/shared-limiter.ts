import { setTimeout as sleep } from "node:timers/promises";
import { RateLimiter } from "../run/rate-limit.js";

export type RedisLike = { eval(script: string, keys: number, ...args: (string | number)[]): Promise<unknown> };

/** INCR the window's counter (expiring with the window); returns ms to wait when over `max`, else 0. */
const WINDOW_SCRIPT = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
if n > tonumber(ARGV[2]) and tonumber(ARGV[1]) <= tonumber(ARGV[2]) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then ttl = tonumber(ARGV[3]) end
  return ttl
end
return 0`;

/**
 * A RateLimiter whose budget is shared through Redis by every worker calling the same provider + base URL:
 * fixed one-minute windows (a burst of up to 2× the limit can straddle a window boundary; steady state holds
 * the limit). Local pacing still spreads this worker's calls.
 */
export class SharedLimiter extends RateLimiter {
  constructor(
    private readonly redis: RedisLike,
    private readonly key: string,
    private readonly shared: { rpm?: number | undefined; tpm?: number | undefined },
  ) {
    super({});
  }
  override get active(): boolean {
    return Boolean(this.shared.rpm || this.shared.tpm);
  }
  override async acquire(estimatedTokens: number, signal?: AbortSignal): Promise<void> {
    for (const [kind, limit, amount] of [
      ["rpm", this.shared.rpm, 1],
      ["tpm", this.shared.tpm, estimatedTokens],
    ] as const) {
      if (!limit) continue;
      for (;;) {
        signal?.throwIfAborted();
        const windowKey = `${this.key}:${kind}:${Math.floor(Date.now() / 60_000)}`;
        const wait = Number(await this.redis.eval(WINDOW_SCRIPT, 1, windowKey, Math.min(amount, limit), limit, 61_000));
        if (wait <= 0) break;
        this.waitedMs += wait;
        // abortable: an abandoned dialogue does not sit out the window
        await sleep(Math.min(wait + 5, 60_000), undefined, signal ? { signal } : {});
      }
    }
  }
  override settle(): void {}
}
