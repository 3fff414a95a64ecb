import { createServer } from "node:net";

/**
 * A port on 127.0.0.1 that nothing listens on: bound to port 0, then released. For a test server to listen on,
 * or, left alone, for a connection that is refused.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
