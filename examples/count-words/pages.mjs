// A small HTTP server on loopback, so the example needs no network: each page is some text.
import { createServer } from "node:http";

const PAGES = {
  "/dramatiq":
    "Dramatiq is a background task processing library for Python with a focus on simplicity, reliability and performance.",
  "/taskq":
    "taskq brings the same model to Node.js: actors, messages, brokers, workers and middleware, written in TypeScript.",
  "/haiku": "an old silent pond a frog jumps into the pond splash silence again",
};

export async function startPageServer() {
  const server = createServer((req, res) => {
    const body = PAGES[req.url ?? ""];
    if (body === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": "text/plain" }).end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    urls: Object.keys(PAGES).map((path) => `http://127.0.0.1:${port}${path}`),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
