/**
 * kill -9 of the dev server in the middle of a stream of edits, then a restart on the same
 * state: every update any client had received is still there. The writer and the reader are
 * gone before the restart, so only what the edge stored can reach the new client.
 */
import { afterAll, describe, expect, it } from "vitest";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { removeDir, startEdge, tempDir, type Edge } from "../support/edge.js";
import { startEditor } from "../support/editor-process.js";
import { ownedSpace } from "../support/owned-space.js";

const persistTo = tempDir("crash");
const edges: Edge[] = [];
afterAll(async () => {
  for (const edge of edges) await edge.stop();
  removeDir(persistTo);
});

describe("crash safety", () => {
  it("kill -9 mid-stream loses nothing a client had received", async () => {
    const first = await startEdge({ persistTo });
    edges.push(first);
    const s = await ownedSpace(first.http, "crash");
    const readerDoc = new Y.Doc();
    const reader = new WebsocketProvider(`${first.ws}/s`, "crash", readerDoc, { disableBc: true, params: { token: await s.token(s.owner) } });
    const seen = readerDoc.getArray<string>("entries");
    const writer = startEditor(`${first.ws}/s`, "crash", "writer", await s.token(s.owner));
    await writer.synced;

    // The writer streams edits; once the reader has received 500 of them, pull the plug.
    const enough = new Promise<void>((resolve) => seen.observe(() => seen.length >= 500 && resolve()));
    void writer.request({ op: "edit", count: 5_000 }).catch(() => undefined);
    await enough;
    // Minted now, while the edge that knows the epoch is up; valid for the restarted one too.
    const afterToken = await s.token(s.owner);
    await first.kill9();
    const received = seen.toArray();
    reader.destroy();
    writer.kill();
    // (What the reader saw is the reference below: every entry of it must have survived.)

    const second = await startEdge({ persistTo });
    edges.push(second);
    const afterDoc = new Y.Doc();
    // The restarted edge has the same key and log: the owner's token still opens the door.
    const after = new WebsocketProvider(`${second.ws}/s`, "crash", afterDoc, { disableBc: true, params: { token: afterToken } });
    await new Promise<void>((resolve) => after.on("sync", (s: boolean) => s && resolve()));
    const stored = afterDoc.getArray<string>("entries").toArray();
    after.destroy();
    expect(stored.slice(0, received.length)).toEqual(received);
    // And what survived is the writer's own stream, in order, with nothing invented or lost in between.
    expect(stored).toEqual(stored.map((_, i) => `writer:${i}`));
  });
});
