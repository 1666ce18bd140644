/**
 * What a browser keeps between visits, in IndexedDB: its identity (an Ed25519 key pair whose
 * private key is not extractable: IndexedDB stores the CryptoKey itself, never its bytes),
 * the spaces it belongs to (the landing page's list), its outbox (envelopes signed but
 * not yet acknowledged by the edge, so offline work survives a reload), and its copy of each
 * space's log (envelopes the page verified, client/web/verify.ts), so a reload reads them
 * here and asks its edge only for what is missing.
 */
import { CryptoKeySigner } from "../../core/identity/crypto-key-signer.js";
import type { WireEnvelope } from "../../core/log/replica.js";

const DB = "commons";
const KEYS = "keys";
const SPACES = "spaces";
const OUTBOX = "outbox";
const COPY = "envelopes";

export interface KnownSpace {
  space: string;
  /** What this browser is there: "owner" after creating it, else "member" until the view says more. */
  role: string;
  title?: string;
  at: string;
}

let opened: Promise<IDBDatabase> | undefined;
function db(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 2);
    request.onupgradeneeded = (event) => {
      // Version 1 had the key, the spaces and the outbox; version 2 adds the log's copy.
      if (event.oldVersion < 1) {
        request.result.createObjectStore(KEYS);
        request.result.createObjectStore(SPACES, { keyPath: "space" });
        request.result.createObjectStore(OUTBOX, { keyPath: "id" });
      }
      // Keyed by [space, arrival here], so one space's copy reads back in the order it came.
      if (event.oldVersion < 2) request.result.createObjectStore(COPY);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function run<T>(store: string, mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const tx = (await db()).transaction(store, mode);
  const request = op(tx.objectStore(store));
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

let self: Promise<CryptoKeySigner> | undefined;
/** This browser's key: made once (WebCrypto, non-extractable) and kept in IndexedDB. */
export function identity(): Promise<CryptoKeySigner> {
  self ??= (async () => {
    const stored = await run<CryptoKeyPair | undefined>(KEYS, "readonly", (s) => s.get("self") as IDBRequest<CryptoKeyPair | undefined>);
    if (stored !== undefined) return CryptoKeySigner.fromKeyPair(stored);
    const fresh = await CryptoKeySigner.generate();
    await run(KEYS, "readwrite", (s) => s.put(fresh.keys, "self"));
    return fresh;
  })();
  return self;
}

export const knownSpaces = () => run<KnownSpace[]>(SPACES, "readonly", (s) => s.getAll() as IDBRequest<KnownSpace[]>);
export const rememberSpace = (entry: KnownSpace) => run(SPACES, "readwrite", (s) => s.put(entry));

export interface OutboxItem {
  id: string;
  space: string;
  envelope: WireEnvelope;
  /** Order of signing: the outbox is pushed in this order (one author's chain). */
  n: number;
}
export const outboxOf = async (space: string) =>
  (await run<OutboxItem[]>(OUTBOX, "readonly", (s) => s.getAll() as IDBRequest<OutboxItem[]>)).filter((item) => item.space === space).sort((a, b) => a.n - b.n);
export const putOutbox = (item: OutboxItem) => run(OUTBOX, "readwrite", (s) => s.put(item));
export const dropOutbox = (id: string) => run(OUTBOX, "readwrite", (s) => s.delete(id));

/**
 * The log's copy: verified envelopes by space, in the order they arrived here (catch-up order
 * is causal, live pushes follow it). `newest` reads only the last `n` (what a first paint
 * shows) and the next key; `copyOf` reads them all.
 */
export async function newestInCopy(space: string, n: number): Promise<{ envelopes: WireEnvelope[]; next: number }> {
  const tx = (await db()).transaction(COPY, "readonly");
  const cursor = tx.objectStore(COPY).openCursor(IDBKeyRange.bound([space, 0], [space, Number.MAX_SAFE_INTEGER]), "prev");
  const envelopes: WireEnvelope[] = [];
  let next = 0;
  cursor.onsuccess = () => {
    const at = cursor.result;
    if (at === null) return;
    if (envelopes.length === 0) next = Number((at.key as [string, number])[1]) + 1;
    envelopes.push(at.value as WireEnvelope);
    if (envelopes.length < n) at.continue();
  };
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve({ envelopes: envelopes.reverse(), next });
    tx.onerror = () => reject(tx.error);
  });
}

export const copyOf = (space: string) =>
  run<WireEnvelope[]>(COPY, "readonly", (s) => s.getAll(IDBKeyRange.bound([space, 0], [space, Number.MAX_SAFE_INTEGER])) as IDBRequest<WireEnvelope[]>);

/** Appends verified envelopes to the copy in one transaction (all kept, or none). */
export async function keepInCopy(space: string, from: number, envelopes: readonly WireEnvelope[]): Promise<void> {
  const tx = (await db()).transaction(COPY, "readwrite");
  const store = tx.objectStore(COPY);
  envelopes.forEach((envelope, i) => store.put(envelope, [space, from + i]));
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}
