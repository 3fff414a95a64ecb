import { PersonaFileError } from "../records/personas.js";
import { ModelConfigError } from "../models/factory.js";
import { PromptError } from "../prompts/loader.js";
import { RecordFileError } from "../run/record-file.js";

/** A mistake in how the command was called: one line on stderr, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Errors that are the user's to fix (flags, files, settings), as opposed to failures of a model or server. */
export function isUserError(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    error instanceof PersonaFileError ||
    error instanceof PromptError ||
    error instanceof ModelConfigError ||
    error instanceof RecordFileError
  );
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.trim();
}

/**
 * Runs a command's main: exit code it returns, or one line on stderr and exit 2 for a user's mistake,
 * exit 1 for anything else (the stack only with DEBUG set).
 */
export function runMain(program: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const hint = error instanceof UsageError ? " (see --help)" : "";
      console.error(`${program}: ${firstLine(error)}${hint}`);
      if (process.env.DEBUG && error instanceof Error) console.error(error.stack);
      process.exit(isUserError(error) ? 2 : 1);
    },
  );
}
