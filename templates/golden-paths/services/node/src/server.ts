// The HTTP application: its routes on node:http, without a framework.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

const started = Date.now() / 1000;

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** Liveness and readiness: the process answers. */
const health: Handler = (_request, response) => {
  send(response, 200, "application/json", JSON.stringify({ status: "ok" }));
};

/** Prometheus' text format; the chart's pod annotations tell Prometheus to scrape it. */
const metrics: Handler = (_request, response) => {
  const body = [
    "# HELP process_start_time_seconds Start time of the process since the Unix epoch.",
    "# TYPE process_start_time_seconds gauge",
    `process_start_time_seconds ${started}`,
    "",
  ].join("\n");
  send(response, 200, "text/plain; version=0.0.4", body);
};

const routes: Record<string, Handler> = {
  "GET /health": health,
  "GET /metrics": metrics,
};

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  response.end(body);
}

/** The service's HTTP server, not yet listening. */
export function createApp(): Server {
  return createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const handler = routes[`${request.method} ${path}`];
    if (handler) {
      handler(request, response);
    } else {
      send(response, 404, "application/json", JSON.stringify({ error: "not found" }));
    }
  });
}
