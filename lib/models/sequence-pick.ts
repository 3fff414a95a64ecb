/**
 * Which context sequence of the embedded engine serves a call.
 *
 * A dialogue re-sends a growing prompt every turn, and its callers interleave: speaker A, speaker B (each with
 * its own system prompt), the checks and the critique, and with --concurrency several dialogues. The engine
 * keeps N sequences (each its own KV cache) and sends each call to the sequence whose cached tokens share the
 * longest prefix with the prompt, so A's turns land on A's sequence and only the new tail is evaluated — with no
 * notion of speakers in the engine, and the same for every caller (persona retries, the critique's retries,
 * a repair after the critique).
 *
 * The rule (llama.cpp server's slot choice, with its similarity threshold):
 * 1. the idle sequence with the longest common prefix, if that prefix is at least `threshold` of the prompt;
 * 2. else a busy sequence whose queued prompt shares that much (wait for it rather than evaluate it all again);
 * 3. else the least recently used idle sequence (an unrelated prompt overwrites the coldest cache, never a
 *    speaker's that shares only the chat template's first tokens);
 * 4. else (all busy) the one with the shortest queue, least recently used among ties.
 */

export interface SlotView {
  /** calls queued or running on it */
  pending: number;
  /** when a call was last assigned to it (larger is more recent; 0: never) */
  lastUsed: number;
  /** the tokens it holds (idle) or will hold when its queue drains (busy: the last queued prompt) */
  tokens: readonly number[];
}

export const DEFAULT_SIMILARITY_THRESHOLD = 0.5;

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function better(a: { prefix: number; slot: SlotView }, b: { prefix: number; slot: SlotView } | undefined): boolean {
  if (!b) return true;
  if (a.prefix !== b.prefix) return a.prefix > b.prefix;
  return a.slot.lastUsed < b.slot.lastUsed;
}

export function pickSequence(
  slots: readonly SlotView[],
  prompt: readonly number[],
  threshold = DEFAULT_SIMILARITY_THRESHOLD,
): number {
  if (slots.length === 0) throw new Error("pickSequence: no sequences");
  const need = Math.max(1, Math.ceil(prompt.length * threshold));
  let bestIdle: { index: number; prefix: number; slot: SlotView } | undefined;
  let bestBusy: { index: number; prefix: number; slot: SlotView } | undefined;
  let coldestIdle: number | undefined;
  let leastBusy: number | undefined;
  slots.forEach((slot, index) => {
    const candidate = { index, prefix: commonPrefixLength(slot.tokens, prompt), slot };
    if (slot.pending === 0) {
      if (better(candidate, bestIdle)) bestIdle = candidate;
      if (coldestIdle === undefined || slot.lastUsed < slots[coldestIdle]!.lastUsed) coldestIdle = index;
    } else {
      if (better(candidate, bestBusy)) bestBusy = candidate;
      const current = leastBusy === undefined ? undefined : slots[leastBusy]!;
      if (
        !current ||
        slot.pending < current.pending ||
        (slot.pending === current.pending && slot.lastUsed < current.lastUsed)
      )
        leastBusy = index;
    }
  });
  if (bestIdle && bestIdle.prefix >= need) return bestIdle.index;
  if (bestBusy && bestBusy.prefix >= need) return bestBusy.index;
  if (coldestIdle !== undefined) return coldestIdle;
  return leastBusy!;
}
