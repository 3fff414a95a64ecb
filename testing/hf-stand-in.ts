// A local stand-in for the Hugging Face Hub's file downloads (point HF_ENDPOINT at it), for the tests of
// `npm run model:pull` and of the first-run download. It speaks what node-llama-cpp's downloader (ipull) and our
// probe use: `HEAD …/resolve/BRANCH/FILE` with the LFS headers the Hub sends (x-linked-etag = the SHA-256,
// x-linked-size), `GET` with or without `Range` (206 + content-range). Every GET is recorded with its range and
// the bytes actually sent; the body can be throttled (a slow link, so a test can interrupt a download midway),
// and a file can be served with a checksum that does not match its bytes.
//
// ipull's quirk, seen against this server: it first asks for the file's size with a plain GET (no Range) whose
// body it never uses, then downloads the file in 5 MB chunks with ranged GETs (one per chunk, several at once),
// writing a chunk to disk only once it is complete. The bytes of a download are those of the ranged GETs.
import { createHash } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface HubFile {
  bytes: Buffer;
  /** publish this SHA-256 instead of the real one (a corrupt upload / mirror) */
  wrongSha256?: boolean;
  /** publish this size (x-linked-size, content-length of HEAD) instead of the real one (a file too big for the disk) */
  publishedSize?: number;
}

export interface HubGet {
  path: string;
  /** the range's first byte (0 without a Range header) */
  start: number;
  /** asked with a Range header (a chunk of the download, not ipull's size probe) */
  ranged: boolean;
  /** bytes written to the socket so far */
  sent: number;
}

export interface HubStandIn {
  /** the HF_ENDPOINT value (ends in /) */
  endpoint: string;
  /** repo path + file → file, e.g. "ggml-org/Qwen3-1.7B-GGUF/Qwen3-1.7B-Q4_K_M.gguf" */
  files: Map<string, HubFile>;
  gets: HubGet[];
  /** bytes sent by ranged GETs (the download itself) since the last reset */
  downloadedBytes(): number;
  reset(): void;
  /** a pause of this many ms after each `chunkBytes` of a body (0: full speed) */
  throttle: { delayMs: number; chunkBytes: number };
  close(): Promise<void>;
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function send(res: ServerResponse, body: Buffer, get: HubGet, throttle: HubStandIn["throttle"]): Promise<void> {
  const step = throttle.delayMs > 0 ? Math.max(1, throttle.chunkBytes) : body.length || 1;
  for (let offset = 0; offset < body.length; offset += step) {
    if (res.destroyed) return;
    const piece = body.subarray(offset, offset + step);
    res.write(piece);
    get.sent += piece.length;
    if (throttle.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, throttle.delayMs));
  }
  res.end();
}

/** Starts the stand-in on 127.0.0.1 (a free port). */
export async function startHubStandIn(files: Record<string, HubFile> = {}): Promise<HubStandIn> {
  const hub: Omit<HubStandIn, "endpoint" | "close"> = {
    files: new Map(Object.entries(files)),
    gets: [],
    downloadedBytes: () => hub.gets.reduce((sum, get) => sum + (get.ranged ? get.sent : 0), 0),
    reset: () => {
      hub.gets.length = 0;
    },
    throttle: { delayMs: 0, chunkBytes: 16 * 1024 },
  };
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "").split("?")[0]!);
    const match = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(path);
    const file = match ? hub.files.get(`${match[1]}/${match[2]}`) : undefined;
    if (!file) {
      res.writeHead(404, { "x-error-code": "EntryNotFound" }).end();
      return;
    }
    const { bytes } = file;
    const etag = file.wrongSha256 ? "0".repeat(64) : sha256(bytes);
    const published = String(file.publishedSize ?? bytes.length);
    const headers = {
      "accept-ranges": "bytes",
      "x-linked-etag": `"${etag}"`,
      "x-linked-size": published,
      "content-type": "application/octet-stream",
    };
    if (req.method === "HEAD") {
      res.writeHead(200, { ...headers, "content-length": published }).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
    const get: HubGet = { path, start, ranged: Boolean(range), sent: 0 };
    hub.gets.push(get);
    if (range)
      res.writeHead(206, {
        ...headers,
        "content-length": String(end - start + 1),
        "content-range": `bytes ${start}-${end}/${bytes.length}`,
      });
    else res.writeHead(200, { ...headers, "content-length": String(bytes.length) });
    void send(res, bytes.subarray(start, end + 1), get, hub.throttle);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    ...hub,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
