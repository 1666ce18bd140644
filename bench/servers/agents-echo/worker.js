/**
 * The anchor for the A2A round trip (bench only, not the product): the same hop an agent's
 * JSON-RPC call makes in this runtime — a Worker routing `POST /echo/:name` to a Durable
 * Object by name, which parses the JSON-RPC request and answers its params back — and
 * nothing else (no token, no A2A SDK, no task in SQLite). The gap between this and
 * `SendMessage` to an AgentDO is what the agent's own stack costs.
 */
import { DurableObject } from "cloudflare:workers";

export class EchoAgent extends DurableObject {
  async fetch(request) {
    let body;
    try {
      body = await request.json();
    } catch {
      return Response.json({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } });
    }
    return Response.json({ jsonrpc: "2.0", id: body.id ?? null, result: { echo: body.params ?? null } });
  }
}

export default {
  async fetch(request, env) {
    const match = /^\/echo\/([^/]+)$/.exec(new URL(request.url).pathname);
    if (request.method === "GET" && new URL(request.url).pathname === "/") return new Response("echo anchor");
    if (request.method !== "POST" || !match) return new Response("not found", { status: 404 });
    return env.ECHO.get(env.ECHO.idFromName(match[1])).fetch(request);
  },
};
