/**
 * The browser as a node of one space: its signed log over the space socket (`log.hello`
 * live, catch-up and pushes, docs/PROTOCOL.md "The signed log on the socket"), commit status
 * from the sequencer's receipts (core/log/commits.ts, the same rule every replica runs),
 * envelopes written here with core/log/writer.ts and this browser's key, and the read model
 * (`GET /view`, asked again on every `view.changed`).
 *
 * Offline: what is written while the socket is down is kept in the outbox (IndexedDB) and
 * shown tentative; it is pushed, in order, after the next catch-up. The browser's
 * `offline` event closes the socket on purpose (a lost network does not always close one).
 */
import { signal } from "@preact/signals";
import * as decoding from "lib0/decoding";
import type { Did } from "../../core/identity/did.js";
import type { Signer } from "../../core/identity/signer.js";
import { CommitResolver, type CommitStatus } from "../../core/log/commits.js";
import type { EnvelopeId, VersionVector } from "../../core/log/ids.js";
import type { IngestResult, WireEnvelope } from "../../core/log/replica.js";
import { decodeLogServerMessage, encodeLogMessage } from "../../core/log/sync-protocol.js";
import type { BodyOf, EnvelopeType } from "../../core/log/types/index.js";
import { createEnvelope } from "../../core/log/writer.js";
import { MessageType } from "../../core/yjs/frames.js";
import { doorToken, read } from "./edge.js";
import { dropOutbox, outboxOf, putOutbox } from "./keystore.js";

/** Tokens live an hour (edge.ts); one is reused for 50 minutes. */
const TOKEN_REUSE_MS = 50 * 60_000;

export type Connection = "offline" | "connecting" | "syncing" | "synced";

/** The parts of `GET /view` the app shows. */
export interface View {
  frontier: number;
  epoch: number;
  visibility: string;
  members: Array<{ did: Did; role: string; name?: string; domains: string[] }>;
  work: Array<{ id: EnvelopeId; title: string; status: string; claimant?: Did; domains: string[]; createdBy: Did; changes: number; result?: string }>;
  approvals: Array<{ id: EnvelopeId; requestedBy: Did; action: { tool: string; params: Record<string, unknown>; summary: string }; approver: string; status: string; decidedBy?: Did; expiresAt: string; executedBy?: EnvelopeId }>;
  invites: Array<{ id: EnvelopeId; role: string; used: number; uses: number; expiresAt: string; revoked: boolean }>;
}

export class SpaceNode {
  /** Every envelope held, in arrival order (catch-up order is causal). */
  readonly held = new Map<EnvelopeId, WireEnvelope>();
  readonly commits = new CommitResolver();
  /** Bumped whenever `held` or a commit status changes: what views re-render on. */
  readonly version = signal(0);
  readonly connection = signal<Connection>("connecting");
  readonly view = signal<View | null>(null);
  /** Envelopes written here that the edge has not acknowledged yet. */
  readonly unsent = signal(0);
  /** The last refusal of something written here (its code and message). */
  readonly refusal = signal<{ code: string; message: string } | null>(null);
  /** When the newest envelope arrived, per id (for "new since you looked" and benchmarks). */
  readonly arrivedAt = new Map<EnvelopeId, number>();

  private ws: WebSocket | null = null;
  private sentWaiters = new Map<string, Array<() => void>>();
  private outbox: WireEnvelope[] = [];
  private outboxN = 0;
  private tips = new Map<Did, { seq: number; id: EnvelopeId; hlc: string }>();
  private received: VersionVector = {};
  private writing: Promise<unknown> = Promise.resolve();
  private retry = 250;
  private stopped = false;
  private token: Promise<string> | null = null;
  private tokenAt = 0;

  constructor(readonly space: string, readonly signer: Signer) {}

  async start(): Promise<void> {
    this.outbox = (await outboxOf(this.space)).map((item) => item.envelope);
    this.outboxN = this.outbox.length;
    for (const envelope of this.outbox) this.hold(envelope, false);
    this.unsent.value = this.outbox.length;
    addEventListener("offline", () => this.ws?.close(4000, "offline"));
    addEventListener("online", () => this.connect());
    // The socket's catch-up and the view load together; a refusal of the view stops both.
    void this.connect();
    try {
      await this.refreshView();
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close(1000, "done");
  }

  /** The status the sequencer gave `id`, or undefined while it is tentative. */
  statusOf(id: EnvelopeId): CommitStatus | undefined {
    return this.commits.statusOf(id);
  }

  /** Resolves once the edge acknowledged `id` (accepted, or already held). */
  sent(id: EnvelopeId): Promise<void> {
    if (!this.isUnsent(id)) return Promise.resolve();
    return new Promise((resolve) => this.sentWaiters.set(id, [...(this.sentWaiters.get(id) ?? []), resolve]));
  }

  isUnsent(id: EnvelopeId): boolean {
    return this.outbox.some((envelope) => envelope.id === id);
  }

  /** A member's shown name: the committed membership's, else the end of the did. */
  nameOf(did: string): string {
    const member = this.view.value?.members.find((m) => m.did === did);
    return member?.name ?? `…${did.slice(-6)}`;
  }

  /** Signs `type`/`body` at the tip of this browser's chain and sends it (or keeps it until online). */
  write<T extends EnvelopeType>(type: T, body: BodyOf<T>): Promise<WireEnvelope> {
    const next = this.writing.then(async () => {
      const me = this.signer.did;
      const heads = [...this.tips.entries()].filter(([author]) => author !== me).map(([, tip]) => ({ id: tip.id, hlc: tip.hlc }));
      const { id, envelope } = await createEnvelope(this.signer, { space: this.space as never, last: this.tips.get(me) ?? null, heads }, type, body, Date.now());
      const wire = { ...envelope, id } as WireEnvelope;
      this.outbox.push(wire);
      // Shown at once; pushed once it is in the outbox, so a reload never loses what was sent.
      this.hold(wire, false);
      this.unsent.value = this.outbox.length;
      this.bump();
      await putOutbox({ id, space: this.space, envelope: wire, n: this.outboxN++ });
      if (this.connection.value === "synced") this.send({ t: "log.push", batch: [wire] });
      return wire;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  private hold(envelope: WireEnvelope, fromEdge: boolean): void {
    if (fromEdge) this.received[envelope.author] = Math.max(this.received[envelope.author] ?? 0, envelope.seq);
    const tip = this.tips.get(envelope.author as Did);
    if (tip === undefined || tip.seq < envelope.seq) this.tips.set(envelope.author as Did, { seq: envelope.seq, id: envelope.id, hlc: envelope.hlc });
    if (this.held.has(envelope.id)) return;
    this.held.set(envelope.id, envelope);
    this.arrivedAt.set(envelope.id, performance.now());
    this.commits.add(envelope.id, envelope);
  }

  private send(message: Parameters<typeof encodeLogMessage>[0]): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encodeLogMessage(message));
  }

  private async connect(): Promise<void> {
    if (this.stopped || (this.ws !== null && this.ws.readyState <= WebSocket.OPEN) || !navigator.onLine) return;
    this.connection.value = "connecting";
    let token: string;
    try {
      token = await this.doorToken();
    } catch {
      return this.offline();
    }
    if (this.stopped) return;
    const url = new URL(`/s/${this.space}`, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", token);
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 250;
      this.connection.value = "syncing";
      this.send({ t: "log.hello", vv: this.received, live: true });
    };
    ws.onmessage = (event) => this.onFrame(new Uint8Array(event.data as ArrayBuffer));
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      this.offline();
    };
  }

  private offline(): void {
    this.connection.value = "offline";
    if (this.stopped || !navigator.onLine) return;
    // Back off while the edge is away; the `online` event reconnects at once.
    setTimeout(() => void this.connect(), this.retry);
    this.retry = Math.min(this.retry * 2, 5_000);
  }

  private onFrame(bytes: Uint8Array): void {
    const decoder = decoding.createDecoder(bytes);
    // Yjs frames on this socket are ignored: the document has its own provider (yjs-link.ts).
    if (decoding.readVarUint(decoder) !== MessageType.log) return;
    const decoded = decodeLogServerMessage(decoding.readVarString(decoder));
    if (!decoded.ok) return;
    const message = decoded.message;
    switch (message.t) {
      case "log.batch":
        for (const envelope of message.envelopes) this.hold(envelope, true);
        this.bump();
        return;
      case "log.synced":
        this.connection.value = "synced";
        if (this.outbox.length > 0) for (let i = 0; i < this.outbox.length; i += 256) this.send({ t: "log.push", batch: this.outbox.slice(i, i + 256) });
        return;
      case "log.ack":
        void this.acked(message.results);
        return;
      case "view.changed":
        void this.refreshView();
        return;
      case "log.error":
        this.refusal.value = { code: message.code, message: message.message };
        return;
      default:
        return;
    }
  }

  private async acked(results: IngestResult[]): Promise<void> {
    for (const result of results) {
      if (result.id === undefined) continue;
      const envelope = this.outbox.find((e) => e.id === result.id);
      if (envelope === undefined) continue;
      if (result.status === "rejected") this.refusal.value = { code: result.code ?? "rejected", message: result.message ?? "the edge refused it" };
      else this.received[envelope.author] = Math.max(this.received[envelope.author] ?? 0, envelope.seq);
      this.outbox = this.outbox.filter((e) => e.id !== result.id);
      await dropOutbox(result.id);
      for (const resolve of this.sentWaiters.get(result.id) ?? []) resolve();
      this.sentWaiters.delete(result.id);
    }
    this.unsent.value = this.outbox.length;
    this.bump();
  }

  /**
   * The door token of this page's connections: minted when first needed and again when it is
   * within ten minutes of its hour (a reconnect after a long absence), not per connection.
   */
  async doorToken(): Promise<string> {
    if (this.token === null || Date.now() > this.tokenAt + TOKEN_REUSE_MS) {
      this.tokenAt = Date.now();
      this.token = doorToken(this.signer, this.space);
      // A failed mint (the edge unreachable) is not kept: the next call tries again.
      this.token.catch(() => (this.token = null));
    }
    return this.token;
  }

  async refreshView(): Promise<void> {
    this.view.value = await read<View>(`/s/${this.space}/view`, await this.doorToken());
    this.bump();
  }

  private bump(): void {
    this.version.value++;
  }
}
