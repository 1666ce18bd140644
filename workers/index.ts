/**
 * The edge Worker: Hono routes only. Each route validates what it is given, then hands the
 * request to the actor that owns it. Errors leave as `{ error: { code, message } }` JSON.
 *
 *   GET /                      health / service description (200 once ready); a browser
 *                              (Accept: text/html) gets the web app's landing page
 *   GET /s/:space              the web app (client/web/); with `Upgrade: websocket`, its sync socket
 *   GET /s/:space/presence     who is here, in which mode (JSON)
 *   GET|POST /s/:space/log     query the channel / push envelopes; GET /s/:space/log/state
 *   GET /s/:space/view         the read model: members, work, approvals, grants, locks (ETag)
 *   POST /s/:space/mcp         the space's MCP tools (Streamable HTTP, bearer capability token)
 *   POST /s/:space/coalition-keys  a key the space keeps for a coalition the caller forms on its copy
 *   /agents/:name[/…]          an agent (AgentDO): A2A card, JSON-RPC and HTTP+JSON (docs/AGENTS.md)
 *   /coalitions/:id[/…]        a coalition (CoalitionDO, id `<space>~<hash>`): the same A2A bindings
 *                              for the team (docs/COORDINATION.md "CoalitionDO")
 *   GET /.well-known/agent-card.json   the card of the agent COMMONS_ROOT_AGENT names (404 unset)
 */
import { Hono } from "hono";
import { CommonsError, isCommonsError } from "../core/errors.js";
import { agentLocation } from "../core/a2a/location.js";
import { parseAgentName } from "../core/a2a/name.js";
import { coalitionName, parseCoalitionName } from "../durable-objects/coalition-address.js";
import { parseSpaceId, type SpaceId } from "../core/ids.js";
import { appShell } from "./space-page.js";

export { SpaceDO } from "../durable-objects/space.js";
export { AgentDO } from "../durable-objects/agent.js";
export { CoalitionDO } from "../durable-objects/coalition.js";

const app = new Hono<{ Bindings: Env; Variables: { space: SpaceId } }>();

/** A browser navigating (HTML before JSON in Accept); curl and clients asking for JSON get JSON. */
const wantsHtml = (accept: string | undefined) => {
  if (accept === undefined) return false;
  const html = accept.indexOf("text/html");
  const json = accept.indexOf("application/json");
  return html >= 0 && (json < 0 || html < json);
};

app.get("/", (c) =>
  wantsHtml(c.req.header("Accept")) ? c.html(appShell(null)) : c.json({
    service: "commons",
    status: "ok",
    routes: {
      space: "/s/:space",
      socket: "ws /s/:space",
      presence: "/s/:space/presence",
      log: "/s/:space/log",
      logState: "/s/:space/log/state",
      view: "/s/:space/view",
      mcp: "/s/:space/mcp",
      coalitionKeys: "/s/:space/coalition-keys",
      agent: "/agents/:name",
      agentCard: "/agents/:name/.well-known/agent-card.json",
      coalition: "/coalitions/:space~:hash",
      coalitionCard: "/coalitions/:space~:hash/.well-known/agent-card.json",
    },
  }),
);

// Every space route validates the name once, before anything reaches a Durable Object.
for (const path of ["/s/:space", "/s/:space/*"]) {
  app.use(path, async (c, next) => {
    c.set("space", parseSpaceId(c.req.param("space") ?? ""));
    await next();
  });
}

/**
 * Forwards to the space's object, addressed by name so the object knows its own name
 * (`ctx.id.name`). Not partyserver's `getServerByName`: that sends a `setName` RPC before
 * every request, a second round trip per call on the hot path.
 */
const toSpace = (c: { env: Env; req: { raw: Request }; get(key: "space"): SpaceId }) =>
  c.env.SPACES.get(c.env.SPACES.idFromName(c.get("space"))).fetch(c.req.raw);

app.get("/s/:space", async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() === "websocket") return toSpace(c);
  return c.html(appShell(c.get("space")));
});

app.get("/s/:space/presence", (c) => toSpace(c));
app.on(["GET", "POST"], "/s/:space/log", (c) => toSpace(c));
app.get("/s/:space/log/state", (c) => toSpace(c));
app.get("/s/:space/view", (c) => toSpace(c));
app.post("/s/:space/coalition-keys", (c) => toSpace(c));
app.on(["GET", "POST", "DELETE"], "/s/:space/mcp", (c) => toSpace(c));

// An agent's object answers every path beneath its name with its own router (durable-objects/agent-http.ts).
// Made near its creator: a locationHint from --near or the request's origin (used only when the object is created).
const toAgent = (c: { env: Env; req: { raw: Request; param(key: "name"): string } }) => {
  const id = c.env.AGENTS.idFromName(parseAgentName(c.req.param("name")));
  const locationHint = agentLocation(c.req.raw);
  return c.env.AGENTS.get(id, locationHint === undefined ? undefined : { locationHint }).fetch(c.req.raw);
};
app.all("/agents/:name", (c) => toAgent(c));
app.all("/agents/:name/*", (c) => toAgent(c));

// A coalition's object, by its address (validated here, so a bad name never makes an object).
const toCoalition = (c: { env: Env; req: { raw: Request; param(key: "id"): string } }) => {
  const { space, coalition } = parseCoalitionName(c.req.param("id"));
  return c.env.COALITIONS.get(c.env.COALITIONS.idFromName(coalitionName(space, coalition))).fetch(c.req.raw);
};
app.all("/coalitions/:id", (c) => toCoalition(c));
app.all("/coalitions/:id/*", (c) => toCoalition(c));

// A2A's well-known card at the origin root, for clients that look only there (the A2A TCK
// does): the card of one agent the deployment names, served by that agent unchanged (its
// interfaces and signature name /agents/<name>). Unset, the origin has no card of its own.
app.get("/.well-known/agent-card.json", (c) => {
  const root = c.env.COMMONS_ROOT_AGENT;
  if (!root) throw new CommonsError("not-found", "this edge names no root agent (set the COMMONS_ROOT_AGENT var); each agent's card is at /agents/:name/.well-known/agent-card.json", { status: 404 });
  const name = parseAgentName(root);
  const url = new URL(c.req.url);
  url.pathname = `/agents/${name}/.well-known/agent-card.json`;
  return c.env.AGENTS.get(c.env.AGENTS.idFromName(name)).fetch(new Request(url, c.req.raw));
});

app.notFound((c) => {
  const error = new CommonsError("not-found", `no route ${c.req.method} ${new URL(c.req.url).pathname}: see GET / for the routes`, { status: 404 });
  return c.json(error.toJSON(), 404);
});

app.onError((err, c) => {
  if (isCommonsError(err)) return c.json(err.toJSON(), err.status as 400);
  console.error("unhandled error", err);
  const error = new CommonsError("internal", "the edge failed to handle this request; it is logged, try again", { status: 500, cause: err });
  return c.json(error.toJSON(), 500);
});

export default app;
