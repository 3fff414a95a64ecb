import { PersonaFileError } from "../../lib/records/personas.js";
import { DownloadInterruptedError } from "../../lib/models/auto-pull.js";
import { ModelConfigError } from "../../lib/models/errors.js";
import { PromptError } from "../../lib/prompts/loader.js";
import { RecordFileError } from "../run/record-file.js";
import { redactSecrets } from "../../lib/security/redact.js";

/** A mistake in how the command was called: one line on stderr, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Errors that are the user's to fix (flags, files, settings — a bad key, an unknown model, an unreachable
 * server: ModelConfigError), as opposed to failures of a model or server. Looks through wrappers that keep the
 * original as `cause` (a dialogue that failed on a 401 is still the user's to fix).
 */
export function isUserError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (
      current instanceof UsageError ||
      current instanceof PersonaFileError ||
      current instanceof PromptError ||
      current instanceof ModelConfigError ||
      current instanceof RecordFileError
    )
      return true;
  }
  return false;
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.trim();
}

/**
 * Runs a command's main: exit code it returns, or one line on stderr and exit 2 for a user's mistake, 130 for a
 * first-run model download stopped with Ctrl-C, exit 1 for anything else (the stack only with DEBUG set).
 */
export function runMain(program: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const hint = error instanceof UsageError ? " (see --help)" : "";
      // a URL's password or a key in an error (a refused --base-url, a Redis error) is not printed
      console.error(redactSecrets(`${program}: ${firstLine(error)}${hint}`));
      if (process.env.DEBUG && error instanceof Error) console.error(redactSecrets(error.stack ?? ""));
      process.exit(error instanceof DownloadInterruptedError ? 130 : isUserError(error) ? 2 : 1);
    },
  );
}
