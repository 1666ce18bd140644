/**
 * The space's door end to end, tried as an attacker would, against a real `wrangler dev`
 * and a real `commons serve`: stock y-websocket providers with and without a token, tokens
 * that must not open anything, a public-read space's anonymous readers, presence that names
 * someone else, the HTTP reads. After each refusal the space keeps working for its members.
 */
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { issueCapability } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { encodeAwarenessEntries } from "../../core/space/presence.js";
import { decodePermissionDenied, encodeAwareness } from "../../core/yjs/frames.js";
import { cliNode, type CliNode } from "../support/cli.js";
import { removeDir, useEdge } from "../support/edge.js";
import { ownedSpace } from "../support/owned-space.js";

const edgeOf = useEdge();
const nodes: CliNode[] = [];
afterAll(() => {
  for (const n of nodes) {
    n.killAll();
    removeDir(n.home);
  }
});

type Provider = WebsocketProvider;
const providers: Provider[] = [];
afterAll(() => {
  for (const p of providers) p.destroy();
});

/** A stock provider on the edge; `params` is what y-websocket puts on the URL. */
function provider(space: string, params: Record<string, string> = {}, doc = new Y.Doc()): Provider {
  const p = new WebsocketProvider(`${edgeOf().ws}/s`, space, doc, { disableBc: true, params });
  providers.push(p);
  return p;
}
const synced = (p: Provider) => new Promise<void>((resolve) => (p.synced ? resolve() : p.on("sync", (s: boolean) => s && resolve())));
/** Resolves on the provider's first closed connection attempt (a refused upgrade closes without opening). */
const firstClose = (p: Provider) => new Promise<void>((resolve) => p.once("connection-close", () => resolve()));
const docUntil = (doc: Y.Doc, predicate: () => boolean) =>
  new Promise<void>((resolve) => {
    if (predicate()) return resolve();
    const check = () => predicate() && (doc.off("update", check), resolve());
    doc.on("update", check);
  });

/** What the door answers a raw upgrade: the HTTP status and the error code, or "open". */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; code: string } | "open"> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => (ws.close(), resolve("open")));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(body) as { error: { code: string } }).error.code }));
    });
    ws.once("error", (error) => ws.readyState === WebSocket.CLOSED || reject(error));
  });
}
const errorOf = async (res: Response) => [res.status, ((await res.json()) as { error: { code: string } }).error.code] as const;

/** A private space with the owner's notes in it and Andy (human) as a member, both connected. */
async function privateSpace(name: string) {
  const s = await ownedSpace(edgeOf().http, name, { members: { Andy: "human" } });
  const ownerDoc = new Y.Doc();
  const owner = provider(name, { token: await s.token(s.owner) }, ownerDoc);
  await synced(owner);
  ownerDoc.getText("notes").insert(0, "root cause: expired cert");
  const andyDoc = new Y.Doc();
  const andy = provider(name, { token: await s.token(s.members.Andy!) }, andyDoc);
  await docUntil(andyDoc, () => andyDoc.getText("notes").toString() === "root cause: expired cert");
  /** The members still work: the owner's next edit reaches Andy. */
  const stillWorks = async (mark: string) => {
    ownerDoc.getText("notes").insert(ownerDoc.getText("notes").length, mark);
    await docUntil(andyDoc, () => andyDoc.getText("notes").toString().endsWith(mark));
  };
  return { s, owner, ownerDoc, andy, andyDoc, stillWorks };
}

describe("stock y-websocket at the door of a private space", () => {
  it("with params: { token } it syncs; without a token, or with a stranger's, it gets nothing of it", async () => {
    const { s, stillWorks } = await privateSpace("door-private");
    for (const params of [{}, { token: await s.token(await Ed25519Signer.generate()) }] as Array<Record<string, string>>) {
      const doc = new Y.Doc();
      const outsider = provider(s.space, params, doc);
      await firstClose(outsider);
      expect(outsider.synced).toBe(false);
      expect(doc.getText("notes").toString()).toBe("");
      expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(new Y.Doc()));
      outsider.destroy();
    }
    await stillWorks(" (1)");
  });

  it("refused upgrades answer HTTP with the code: no token 401, a stranger 403, forged 401, another space 401, expired 401", async () => {
    const { s, stillWorks } = await privateSpace("door-codes");
    const url = `${edgeOf().ws}/s/${s.space}`;
    const stranger = await Ed25519Signer.generate();
    const good = await s.token(s.owner);
    const forged = `${good.split(".").slice(0, 2).join(".")}.${(await s.token(stranger)).split(".")[2]}`;
    const elsewhere = await issueCapability(s.owner, { sub: s.owner.did, space: "somewhere-else", tools: ["*"], tier: 4, epoch: 1 });
    const expired = await s.token(s.owner, { now: Date.now() - 7_200_000, ttlSeconds: 60 });
    expect(await upgrade(url)).toEqual({ status: 401, code: "token-missing" });
    expect(await upgrade(`${url}?token=${await s.token(stranger)}`)).toEqual({ status: 403, code: "not-a-member" });
    expect(await upgrade(url, { Authorization: `Bearer ${forged}` })).toEqual({ status: 401, code: "token-bad-signature" });
    expect(await upgrade(`${url}?token=${elsewhere}`)).toEqual({ status: 401, code: "token-wrong-audience" });
    expect(await upgrade(`${url}?token=${expired}`)).toEqual({ status: 401, code: "token-expired" });
    expect(await upgrade(`${url}?token=${good}`)).toBe("open");
    await stillWorks(" (2)");
  });

  it("?role=observer with the owner's token reads but cannot write", async () => {
    const { s, andyDoc, stillWorks } = await privateSpace("door-observer");
    const doc = new Y.Doc();
    const lowered = provider(s.space, { token: await s.token(s.owner), role: "observer" }, doc);
    await synced(lowered);
    expect(doc.getText("notes").toString()).toBe("root cause: expired cert");
    doc.getText("notes").insert(0, "FORGED ");
    await stillWorks(" (3)");
    // The edit was refused: a fresh member's copy has the owner's mark and no forgery.
    const check = new Y.Doc();
    await synced(provider(s.space, { token: await s.token(s.members.Andy!) }, check));
    expect(check.getText("notes").toString()).toBe("root cause: expired cert (3)");
    expect(andyDoc.getText("notes").toString()).toBe("root cause: expired cert (3)");
  });

  it("GET /log and /presence refuse without a token and serve a member with one", async () => {
    const { s, stillWorks } = await privateSpace("door-http");
    for (const path of ["log", "presence"]) {
      const url = `${edgeOf().http}/s/${s.space}/${path}`;
      expect(await errorOf(await fetch(url))).toEqual([401, "token-missing"]);
      expect(await errorOf(await fetch(url, await s.as(await Ed25519Signer.generate())))).toEqual([403, "not-a-member"]);
      expect((await fetch(url, await s.as(s.members.Andy!))).status).toBe(200);
      expect((await fetch(`${url}?token=${await s.token(s.members.Andy!)}`)).status).toBe(200);
    }
    expect(await (await fetch(`${edgeOf().http}/s/${s.space}/log/state`)).json()).toEqual({ space: s.space, exists: true, sequencer: expect.any(String), epoch: 2 });
    await stillWorks(" (4)");
  });
});

describe("presence through the door", () => {
  it("a state claiming the owner's did from another identity is refused and never listed", async () => {
    const { s, owner, andy, andyDoc, stillWorks } = await privateSpace("door-presence");
    andy.awareness.setLocalState({ id: s.owner.did, name: "Owner", kind: "human", mode: "active" });
    // Frames of one socket are handled in order: once Andy's next edit reaches the owner, the
    // awareness frame before it was judged (and, had it passed, relayed first).
    andyDoc.getText("notes").insert(0, "» ");
    await docUntil(owner.doc, () => owner.doc.getText("notes").toString().startsWith("» "));
    expect(owner.awareness.getStates().has(andyDoc.clientID)).toBe(false);
    const here = (await (await fetch(`${edgeOf().http}/s/${s.space}/presence`, await s.as(s.owner))).json()) as { participants: unknown[] };
    expect(here.participants).toEqual([]);
    // Andy as Andy is listed, named by the membership.
    andy.awareness.setLocalState({ id: s.members.Andy!.did, name: "Owner", kind: "agent", mode: "active" });
    await new Promise<void>((resolve) => {
      const check = () => owner.awareness.getStates().get(andyDoc.clientID)?.id === s.members.Andy!.did && resolve();
      owner.awareness.on("change", check);
      check();
    });
    const listed = (await (await fetch(`${edgeOf().http}/s/${s.space}/presence`, await s.as(s.owner))).json()) as { participants: unknown[] };
    expect(listed.participants).toEqual([{ clientId: andyDoc.clientID, id: s.members.Andy!.did, name: "Andy", kind: "human", mode: "active" }]);
    await stillWorks(" (5)");
  });

  it("1,000 states in one frame list nobody", async () => {
    const { s, stillWorks } = await privateSpace("door-flood");
    const ws = new WebSocket(`${edgeOf().ws}/s/${s.space}?token=${await s.token(s.members.Andy!)}`);
    ws.binaryType = "arraybuffer";
    const denied = new Promise<string>((resolve) =>
      ws.on("message", (data: ArrayBuffer) => {
        const reason = decodePermissionDenied(new Uint8Array(data));
        if (reason !== null) resolve(reason);
      }),
    );
    await new Promise((resolve) => ws.once("open", resolve));
    const state = { id: s.members.Andy!.did, mode: "active" };
    ws.send(encodeAwareness(encodeAwarenessEntries(Array.from({ length: 1000 }, (_, i) => ({ clientId: 50_000 + i, clock: 1, state })))));
    expect(await denied).toMatch(/^presence-too-many:/);
    const here = (await (await fetch(`${edgeOf().http}/s/${s.space}/presence`, await s.as(s.owner))).json()) as { participants: unknown[] };
    expect(here.participants).toEqual([]);
    ws.close();
    await stillWorks(" (6)");
  });
});

describe("a public-read space", () => {
  it("an anonymous stock provider reads it, but its edit is refused and changes nothing", async () => {
    const s = await ownedSpace(edgeOf().http, "door-public", { visibility: "public-read" });
    const ownerDoc = new Y.Doc();
    await synced(provider(s.space, { token: await s.token(s.owner) }, ownerDoc));
    ownerDoc.getText("notes").insert(0, "status: investigating");
    const anonDoc = new Y.Doc();
    const anonymous = provider(s.space, {}, anonDoc);
    await docUntil(anonDoc, () => anonDoc.getText("notes").toString() === "status: investigating");
    anonDoc.getText("notes").insert(0, "VANDAL ");
    ownerDoc.getText("notes").insert(ownerDoc.getText("notes").length, " (1)");
    // The anonymous reader still reads; its own edit exists only in its own copy.
    await docUntil(anonDoc, () => anonDoc.getText("notes").toString() === "VANDAL status: investigating (1)");
    const check = new Y.Doc();
    await synced(provider(s.space, { token: await s.token(s.owner) }, check));
    expect(check.getText("notes").toString()).toBe("status: investigating (1)");
    expect(ownerDoc.getText("notes").toString()).toBe("status: investigating (1)");
    expect((await fetch(`${edgeOf().http}/s/${s.space}/log`)).status).toBe(200);
    anonymous.destroy();
  });
});

describe("commons serve at its door", () => {
  it("refuses an unauthenticated or non-member peer, serves a member", async () => {
    const a = cliNode("door-a");
    const b = cliNode("door-b");
    nodes.push(a, b);
    const space = "door-served";
    await a.ok(["create", `${edgeOf().http}/s/${space}`]);
    await a.ok(["doc", space, "append", "served notes"]);
    const served = a.start(["serve", "--port", "0"]);
    const port = /127\.0\.0\.1:(\d+)/.exec(await served.line(/^serving/))![1];
    const url = `ws://127.0.0.1:${port}/s/${space}`;

    expect(await upgrade(url)).toEqual({ status: 401, code: "token-missing" });
    expect(await errorOf(await fetch(`http://127.0.0.1:${port}/s/${space}/log`))).toEqual([401, "token-missing"]);
    const stranger = await b.run(["peer", url]);
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toMatch(/not-a-member|is not a member/);

    // Once A makes B a member (committed at the edge, synced home), B peers with A directly.
    // (serve holds the copy's write lock, so A stops serving to write.)
    expect(await served.stop()).toBe(0);
    const bDid = (await b.json<{ did: string }>(["id"])).did;
    await a.ok(["members", space, "add", bDid, "--role", "human"]);
    await a.ok(["sync", space]);
    const again = a.start(["serve", "--port", "0"]);
    const port2 = /127\.0\.0\.1:(\d+)/.exec(await again.line(/^serving/))![1];
    expect(await b.ok(["peer", `ws://127.0.0.1:${port2}/s/${space}`])).toMatch(/synced door-served/);
    expect((await b.ok(["doc", space, "cat"])).trim()).toBe("served notes");
    expect(await again.stop()).toBe(0);
  });
});
