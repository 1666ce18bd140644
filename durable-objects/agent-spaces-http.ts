/**
 * The agent's membership routes (issue 12 item 2), beside its A2A bindings and, like them,
 * for verified callers only (a capability token the caller signs for the agent's did):
 *
 *   POST   /agents/:name/spaces            {invite, keywords?, handoffs?, options?}  join a space by invite
 *                                           (options: brain, unclaimedAfterMs, gapAfterMs, presenceCheckMs)
 *   GET    /agents/:name/spaces            the spaces it is in: cursor, domains, rules
 *   GET    /agents/:name/spaces/:space     one of them, with the decisions it acted on and the
 *                                           requests it made to the space since its object started
 *   DELETE /agents/:name/spaces/:space     stop watching it (an owner of that space only)
 *
 * The invite is the authority to join (whoever holds it may hand it to the agent), so any
 * verified caller may post one; `commons agent add` does. The token's `tools` name the
 * methods `JoinSpace`, `ListSpaces`, `LeaveSpace` (or `*`).
 */
import type { Hono } from "hono";
import { z } from "zod";
import { authenticateCaller, requireMethod } from "../core/a2a/caller.js";
import { CommonsError, isCommonsError } from "../core/errors.js";
import type { Ed25519Signer } from "../core/identity/signer.js";
import type { AgentSpaces, SpaceOptions } from "./agent-spaces.js";

const word = z.string().min(1).max(64);
/** Timeouts from 100 ms (tests) to a day. */
const ms = z.number().int().min(100).max(86_400_000);
const joinBody = z.strictObject({
  invite: z.string().min(1).max(4096),
  keywords: z.array(word).max(32).optional(),
  handoffs: z.array(z.strictObject({ from: word, to: word })).max(16).optional(),
  options: z.strictObject({
    brain: z.enum(["rules", "llm"]).optional(),
    unclaimedAfterMs: ms.optional(),
    gapAfterMs: ms.optional(),
    presenceCheckMs: ms.optional(),
  }).optional(),
});

export function spacesRoutes(app: Hono, signer: Ed25519Signer, spaces: () => AgentSpaces): void {
  const guard = async (request: Request, method: string) => {
    const caller = await authenticateCaller(request, signer.did);
    requireMethod(caller, method);
    return caller;
  };
  const answer = async (work: () => Promise<Response>) => {
    try {
      return await work();
    } catch (error) {
      if (!isCommonsError(error)) throw error;
      return Response.json(error.toJSON(), { status: error.status });
    }
  };
  app.post("/agents/:name/spaces", (c) => answer(async () => {
    await guard(c.req.raw, "JoinSpace");
    const parsed = joinBody.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new CommonsError("invalid-request", `body: ${parsed.error.issues[0]?.path.join(".") || "body"} ${parsed.error.issues[0]?.message}: send {"invite": "<invite url>"}`, { status: 400 });
    const data = parsed.data;
    return Response.json(await spaces().join({
      invite: data.invite, ...(data.keywords ? { keywords: data.keywords } : {}), ...(data.handoffs ? { handoffs: data.handoffs } : {}),
      ...(data.options ? { options: data.options as SpaceOptions } : {}),
    }), { status: 201 });
  }));
  app.get("/agents/:name/spaces", (c) => answer(async () => {
    await guard(c.req.raw, "ListSpaces");
    return Response.json({ did: signer.did, spaces: spaces().list() });
  }));
  app.get("/agents/:name/spaces/:space", (c) => answer(async () => {
    await guard(c.req.raw, "ListSpaces");
    const row = spaces().list().find((r) => r.space === c.req.param("space"));
    if (row === undefined) throw new CommonsError("not-found", `this agent is not in ${c.req.param("space")}`, { status: 404 });
    return Response.json({ ...row, acted: spaces().acted(row.space), requests: spaces().requestsTo(row.space) });
  }));
  app.delete("/agents/:name/spaces/:space", (c) => answer(async () => {
    const caller = await guard(c.req.raw, "LeaveSpace");
    const space = c.req.param("space");
    if (!(await spaces().isOwner(space, caller.did))) throw new CommonsError("not-an-owner", `only an owner of ${space} takes this agent out of it`, { status: 403 });
    await spaces().leave(space);
    return Response.json({ left: space });
  }));
}
