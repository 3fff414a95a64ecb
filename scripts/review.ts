/**
 * `npm run review -- DATA.jsonl [--sample N] [--seed S] [--port P] …`: a local web page where native speakers
 * rate a sample of a dataset (evals/review/). Ratings go to SQLite next to the data; `--export FILE` writes
 * them as CSV or JSONL. A user's mistake ends with one line on stderr and exit code 2.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { runMain, UsageError } from "../app/cli/errors.js";
import { writeFileSafely } from "../lib/security/safe-write.js";
import { isLoopback } from "../lib/security/studio-guard.js";
import { parseReviewFlags, REVIEW_HELP } from "../evals/review/flags.js";

async function main(argv: string[]): Promise<number> {
  const flags = parseReviewFlags(argv);
  if (!flags) {
    console.log(REVIEW_HELP);
    return 0;
  }
  if (!existsSync(flags.data)) throw new UsageError(`${flags.data} does not exist`);
  const { readRecords } = await import("../app/run/record-file.js");
  const { sampleItems, studyFingerprint } = await import("../evals/review/study.js");
  const { ReviewStore } = await import("../evals/review/store.js");
  const { records } = readRecords(flags.data);
  let items;
  try {
    items = sampleItems(records, { size: flags.sample, seed: flags.seed, status: flags.status });
  } catch (error) {
    throw new UsageError(`${flags.data}: ${(error as Error).message}`);
  }
  if (items.length === 0)
    throw new UsageError(
      `${flags.data} has no ${flags.status === "accepted" ? "accepted " : ""}dialogue with turns to review${flags.status === "accepted" ? " (--status all includes rejected ones)" : ""}`,
    );
  const dbPath = flags.db ?? `${flags.data.replace(/\.jsonl$/i, "")}.reviews.sqlite`;

  if (flags.export) {
    if (!existsSync(dbPath)) throw new UsageError(`no ratings yet: ${dbPath} does not exist`);
    const { ratingFromKey, ratingsCsv, ratingsJsonl } = await import("../evals/review/export.js");
    const store = await ReviewStore.open(dbPath, { readOnly: true });
    const ratings = store.currentRatings().map(ratingFromKey);
    store.close();
    writeFileSafely(
      flags.export,
      flags.export.toLowerCase().endsWith(".csv") ? ratingsCsv(ratings) : ratingsJsonl(ratings),
    );
    console.log(`review: ${ratings.length} ratings → ${flags.export}`);
    return 0;
  }

  const loopback = isLoopback(flags.host);
  const token = flags.token ?? (loopback ? undefined : randomBytes(18).toString("base64url"));
  const store = await ReviewStore.open(dbPath);
  store.bindStudy({ fingerprint: studyFingerprint(items), source: flags.data, seed: flags.seed, size: items.length });
  const { createReviewServer } = await import("../evals/review/server.js");
  const server = createReviewServer({ items, store, seed: flags.seed, token, loopback });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new UsageError(`port ${flags.port} is taken: choose another with --port`)
          : error.code === "EADDRNOTAVAIL"
            ? new UsageError(`--host ${flags.host} is not an interface of this machine`)
            : error,
      ),
    );
    server.listen(flags.port, flags.host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : flags.port;
  const shownHost = flags.host.includes(":") ? `[${flags.host}]` : flags.host;
  console.log(
    `review: ${items.length} dialogues of ${flags.data}; ratings in ${dbPath} (${store.savedCount()} saved so far)`,
  );
  if (!loopback) console.log(`review: serving on ${flags.host}, not only this machine: every request needs the token`);
  console.log(`review: open http://${shownHost}:${port}/${token ? `?token=${token}` : ""}  (Ctrl-C to stop)`);

  return new Promise<number>((resolve) => {
    const stop = (code: number) => {
      server.close();
      server.closeAllConnections();
      store.close();
      resolve(code);
    };
    process.once("SIGINT", () => stop(130));
    process.once("SIGTERM", () => stop(143));
  });
}

runMain("review", () => main(process.argv.slice(2)));
