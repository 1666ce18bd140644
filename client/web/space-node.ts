/**
 * The browser as a node of one space: its signed log over the space socket (`log.hello`
 * live, catch-up and pushes, docs/PROTOCOL.md "The signed log on the socket"), commit status
 * from the sequencer's receipts (core/log/commits.ts, the same rule every replica runs),
 * envelopes written here with core/log/writer.ts and this browser's key, and the read model
 * (`GET /view`, asked again on every `view.changed`). The same socket carries the document's
 * Yjs frames (yjs-link.ts attaches to it): one socket per page.
 *
 * What it holds is verified here first (verify.ts) and kept in IndexedDB (keystore.ts), so a
 * reload reads its copy and says `log.hello` with the copy's version vector: only the new
 * tail crosses the socket. A first visit (an empty copy) fetches the newest page of the log
 * (`GET /log?since=count-TAIL`) beside the view and shows it while the catch-up fills the
 * rest behind it (docs/WEB.md, "First meaningful paint").
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
import type { EnvelopeId } from "../../core/log/ids.js";
import type { IngestResult, WireEnvelope } from "../../core/log/replica.js";
import { decodeLogServerMessage, encodeLogMessage } from "../../core/log/sync-protocol.js";
import type { BodyOf, EnvelopeType } from "../../core/log/types/index.js";
import { createEnvelope } from "../../core/log/writer.js";
import { MessageType } from "../../core/yjs/frames.js";
import { DoorTokens, read, type LogState, type View } from "./edge.js";
import { dropOutbox, outboxOf, putOutbox } from "./keystore.js";
import { LogCopy } from "./log-copy.js";
import { verifyBatch, type Unverified } from "./verify.js";

/** The read model's shape (edge.ts), for the views that draw it. */
export type { View } from "./edge.js";

/** A first visit's newest page: enough envelopes for the channel's newest threads and their receipts. */
const TAIL = 300;

/** The document's side of the shared socket (yjs-link.ts). */
export interface DocumentPort {
  open(): void;
  close(): void;
  frame(bytes: Uint8Array): void;
}

export type Connection = "offline" | "connecting" | "syncing" | "synced";

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
  /** What the edge sent that failed verification: never held, never shown as committed. */
  readonly unverified = signal<Unverified[]>([]);

  private ws: WebSocket | null = null;
  private sentWaiters = new Map<string, Array<() => void>>();
  private outbox: WireEnvelope[] = [];
  private outboxN = 0;
  private tips = new Map<Did, { seq: number; id: EnvelopeId; hlc: string }>();
  private copy: LogCopy | null = null;
  /** Log frames are handled in order (verification is async; a batch must land before `log.synced`). */
  private frames: Promise<unknown> = Promise.resolve();
  /** While a first visit's catch-up fills in behind the newest page: what it brought, in causal order. */
  private filling: WireEnvelope[] | null = null;
  private document: DocumentPort | null = null;
  private tokens: DoorTokens;
  private writing: Promise<unknown> = Promise.resolve();
  private retry = 250;
  private stopped = false;

  /** `state` is the `GET /log/state` the gate already read, if any (its epoch goes into the token). */
  constructor(readonly space: string, readonly signer: Signer, state?: LogState) {
    this.tokens = new DoorTokens(signer, space, state);
  }

  /** The document's frames ride on this node's socket; attach before `start`. */
  attachDocument(port: DocumentPort): void {
    this.document = port;
    if (this.ws?.readyState === WebSocket.OPEN) port.open();
  }

  sendFrame(bytes: Uint8Array): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  /**
   * Resolves once what a first paint shows is here: the view and the newest page (from the
   * copy, or on a first visit from the edge). The rest — the whole copy, then the socket and
   * its catch-up — starts after that paint, so it does not compete with it.
   */
  async start(): Promise<void> {
    const [{ copy, newest }, outbox] = await Promise.all([LogCopy.open(this.space, TAIL), outboxOf(this.space)]);
    this.copy = copy;
    for (const envelope of newest) this.hold(envelope);
    this.outbox = outbox.map((item) => item.envelope);
    this.outboxN = outbox.length === 0 ? 0 : outbox.at(-1)!.n + 1;
    for (const envelope of this.outbox) this.hold(envelope);
    this.unsent.value = this.outbox.length;
    addEventListener("offline", () => this.ws?.close(4000, "offline"));
    addEventListener("online", () => this.connect());
    const firstVisit = newest.length === 0;
    // The view and the newest page load together; a refusal of either stops the page.
    try {
      await Promise.all([this.refreshView(), firstVisit ? this.newestPage() : null]);
    } catch (error) {
      this.stop();
      throw error;
    }
    // After the caller's first render (a macrotask later; not a frame callback, which a
    // background tab would hold back): the copy in full, then the socket.
    setTimeout(() => void this.fill(firstVisit), 0);
  }

  /** Holds the whole copy in its order (or, on a first visit, lets the catch-up bring it), then connects. */
  private async fill(firstVisit: boolean): Promise<void> {
    this.filling = [];
    if (!firstVisit) {
      this.filling = await this.copy!.all();
      for (const envelope of this.filling) this.hold(envelope);
      // The copy is the log's order up to here: the held map takes it at once, before any catch-up.
      this.filled();
      this.bump();
    }
    void this.connect();
  }

  /** A first visit's newest page of the log, verified like everything else, shown before the catch-up ends. */
  private async newestPage(): Promise<void> {
    const token = await this.doorToken();
    // A reader's `/log/state` has the count (arrival positions run 1..count); a newcomer's does not.
    const { count } = await read<{ count: number }>(`/s/${this.space}/log/state`, token);
    const page = await read<{ envelopes: Array<{ id: EnvelopeId; envelope: Omit<WireEnvelope, "id"> }> }>(
      `/s/${this.space}/log?since=${Math.max(0, count - TAIL)}&limit=${TAIL}`, token);
    await this.admit(page.envelopes.map(({ id, envelope }) => ({ ...envelope, id }) as WireEnvelope), false);
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
      this.hold(wire);
      this.unsent.value = this.outbox.length;
      // Sent before the outbox's write lands (that write costs a disk flush, on the latency path): the
      // outbox keeps it until acknowledged either way, so a reload re-pushes it if the send was lost.
      if (this.connection.value === "synced") this.send({ t: "log.push", batch: [wire] });
      this.bump();
      await putOutbox({ id, space: this.space, envelope: wire, n: this.outboxN++ });
      return wire;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  private hold(envelope: WireEnvelope): void {
    const tip = this.tips.get(envelope.author as Did);
    if (tip === undefined || tip.seq < envelope.seq) this.tips.set(envelope.author as Did, { seq: envelope.seq, id: envelope.id, hlc: envelope.hlc });
    if (this.held.has(envelope.id)) return;
    this.held.set(envelope.id, envelope);
    this.arrivedAt.set(envelope.id, performance.now());
    this.commits.add(envelope.id, envelope);
  }

  /**
   * Verifies a batch from the edge, holds what passed and keeps it in the copy (`socket`: in
   * the log's causal order; the newest page is kept only when the catch-up brings it again).
   * What failed is listed in `unverified` with its code and held nowhere.
   */
  private async admit(batch: WireEnvelope[], socket: boolean): Promise<void> {
    const { good, bad } = await verifyBatch(this.space, batch, this.held);
    if (bad.length > 0) this.unverified.value = [...this.unverified.value, ...bad];
    if (socket && this.filling !== null) this.filling.push(...good);
    for (const envelope of good) this.hold(envelope);
    if (socket) this.copy?.keep(good);
    this.bump();
  }

  /** The catch-up behind a newest page ended: the held map takes the log's order (the channel draws in it). */
  private filled(): void {
    if (this.filling === null) return;
    const before = [...this.held.values()];
    this.held.clear();
    for (const envelope of this.filling) this.held.set(envelope.id, envelope);
    for (const envelope of before) if (!this.held.has(envelope.id)) this.held.set(envelope.id, envelope);
    this.filling = null;
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
      this.send({ t: "log.hello", vv: this.copy?.vector() ?? {}, live: true });
      this.document?.open();
    };
    ws.onmessage = (event) => this.onFrame(new Uint8Array(event.data as ArrayBuffer));
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      this.document?.close();
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
    if (decoding.readVarUint(decoder) !== MessageType.log) return this.document?.frame(bytes);
    const decoded = decodeLogServerMessage(decoding.readVarString(decoder));
    if (!decoded.ok) return;
    const message = decoded.message;
    // Acks settle writes at once; everything else waits for the batches before it to be verified.
    if (message.t === "log.ack") return void this.acked(message.results);
    this.frames = this.frames.then(() => this.onLogMessage(message)).catch(() => undefined);
  }

  private async onLogMessage(message: Exclude<ReturnType<typeof decodeLogServerMessage>, { ok: false }>["message"]): Promise<void> {
    switch (message.t) {
      case "log.batch":
        return this.admit(message.envelopes, true);
      case "log.synced":
        this.filled();
        this.bump();
        this.connection.value = "synced";
        if (this.outbox.length > 0) for (let i = 0; i < this.outbox.length; i += 256) this.send({ t: "log.push", batch: this.outbox.slice(i, i + 256) });
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
      else this.copy?.keep([envelope]);
      this.outbox = this.outbox.filter((e) => e.id !== result.id);
      await dropOutbox(result.id);
      for (const resolve of this.sentWaiters.get(result.id) ?? []) resolve();
      this.sentWaiters.delete(result.id);
    }
    this.unsent.value = this.outbox.length;
    this.bump();
  }

  /** The door token of this page's connections and reads (edge.ts: minted once, reused for most of its hour). */
  doorToken(): Promise<string> {
    return this.tokens.get();
  }

  async refreshView(): Promise<void> {
    this.view.value = await read<View>(`/s/${this.space}/view`, await this.doorToken());
    this.bump();
  }

  private bump(): void {
    this.version.value++;
  }
}
