/**
 * The rules a chat fine-tuning example must follow to be taken by OpenAI fine-tuning, TRL's SFTTrainer and the
 * chat templates that check roles (Llama, Mistral, Qwen): written from those rules, not from our exporter, so a
 * test that runs the exporter's output through it can fail.
 *
 * - one JSON object with `messages` only, an array of {role, content} with no other keys;
 * - roles are system, user or assistant; exactly one system message, the first;
 * - after it, user and assistant alternate (never the same role twice in a row);
 * - every content is a non-empty string (not only whitespace);
 * - the last message is the assistant's (what the model learns to write);
 * - the system message names the speaker's persona: each of `persona`'s sentences appears in it.
 */
export function fineTuningProblems(example: unknown, persona: readonly string[] = []): string[] {
  const problems: string[] = [];
  if (typeof example !== "object" || example === null || Array.isArray(example)) return ["not a JSON object"];
  const keys = Object.keys(example);
  if (keys.length !== 1 || keys[0] !== "messages")
    problems.push(`keys ${JSON.stringify(keys)} instead of ["messages"]`);
  const messages = (example as { messages?: unknown }).messages;
  if (!Array.isArray(messages) || messages.length < 2)
    return [...problems, "messages is not an array of at least two messages"];
  messages.forEach((m: unknown, i) => {
    if (typeof m !== "object" || m === null) return problems.push(`message ${i} is not an object`);
    const { role, content, ...rest } = m as Record<string, unknown>;
    if (Object.keys(rest).length) problems.push(`message ${i} has extra keys ${Object.keys(rest).join(",")}`);
    if (role !== "system" && role !== "user" && role !== "assistant")
      problems.push(`message ${i} has role ${String(role)}`);
    if (typeof content !== "string" || content.trim() === "") problems.push(`message ${i} has empty content`);
    if (i === 0 && role !== "system") problems.push("the first message is not the system message");
    if (i > 0 && role === "system") problems.push(`message ${i} is a second system message`);
    if (i > 1 && role === (messages[i - 1] as { role?: unknown } | undefined)?.role)
      problems.push(`messages ${i - 1} and ${i} are both ${String(role)}`);
    return undefined;
  });
  if ((messages[messages.length - 1] as { role?: unknown } | undefined)?.role !== "assistant")
    problems.push("the last message is not the assistant's");
  const system = (messages[0] as { content?: unknown } | undefined)?.content;
  for (const sentence of persona) {
    if (typeof system !== "string" || !system.includes(sentence))
      problems.push(`the system message lacks the persona sentence "${sentence}"`);
  }
  return problems;
}
