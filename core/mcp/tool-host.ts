/**
 * What the space's MCP tools need from the replica they run at, and who is calling. The
 * SpaceDO implements ToolHost at the edge; a local node implements it for `commons mcp`.
 * Tools never see transports, tokens or storage: only a verified caller and this host.
 */
import type { Did } from "../identity/did.js";
import type { Ed25519Signer } from "../identity/signer.js";
import type { EnvelopeId } from "../log/ids.js";
import type { EnvelopeStatus, LogReplica } from "../log/replica.js";
import type { BodyOf, EnvelopeType } from "../log/types/index.js";
import type { PresenceSummary } from "../space/presence.js";
import type { SpaceState } from "../views/state.js";
import type * as Y from "yjs";

/** The verified MCP caller: the subject of a verified capability token. */
export interface Caller {
  did: Did;
  /** The token's id (jti): spends are charged to it. */
  grant: string;
  /** Tools the token allows ("*" for all). */
  tools: readonly string[];
  /** Highest tier of action the token may trigger (1–4). */
  tierCeiling: number;
  /** Whether the token carries a budget (then every run spends from it). */
  budgeted: boolean;
}

export interface Written {
  id: EnvelopeId;
  status: EnvelopeStatus;
}

export interface ToolHost {
  readonly space: string;
  readonly replica: LogReplica;
  /** The tool host's own did: envelopes it writes on a caller's behalf are signed by it. */
  readonly hostDid: Did;
  /** The committed state: what authority is judged against. */
  committed(): SpaceState;
  /** Writes one envelope signed by the host (sequenced at once when the host is the sequencer). */
  write<T extends EnvelopeType>(type: T, body: BodyOf<T>): Promise<Written>;
  presence(): PresenceSummary;
  /** The replica's Yjs document, where branch texts live (core/yjs/branch-text.ts); absent where tools run without one. */
  ydoc?: () => Y.Doc;
  now(): number;
  locks: LockTable;
  /**
   * Runs a synchronous replica read that may reach sealed history, loading its segments
   * first (core/log/segment-history.ts `read`); absent where nothing is sealed (a node's copy).
   */
  readSealed?: <T>(work: (limit: number | undefined) => T, options: { limit: number }) => Promise<T>;
  /** Keeps a new coalition's key with its actor (the edge's CoalitionDO), which signs with it; absent on a node's copy. */
  keepCoalitionKey?(coalition: EnvelopeId, key: Ed25519Signer): Promise<void>;
}

/** Tool-level locks for resource contention, with lease expiry (held in the host's memory). */
export class LockTable {
  private readonly held = new Map<string, { holder: Did; until: number }>();
  /** Bumped by every acquire and release: the read model's ETag follows it. */
  version = 0;

  /** The leases in force at `now` (expired ones are dropped, which is a change too). */
  current(now: number): { resource: string; holder: Did; until: number }[] {
    for (const [resource, lock] of this.held) {
      if (lock.until > now) continue;
      this.held.delete(resource);
      this.version++;
    }
    return [...this.held].map(([resource, lock]) => ({ resource, ...lock }));
  }

  acquire(resource: string, holder: Did, leaseMs: number, now: number): { ok: true; until: number } | { ok: false; holder: Did; until: number } {
    const current = this.held.get(resource);
    if (current && current.until > now && current.holder !== holder) return { ok: false, ...current };
    const until = now + leaseMs;
    this.held.set(resource, { holder, until });
    this.version++;
    return { ok: true, until };
  }

  release(resource: string, holder: Did, now: number): { ok: true } | { ok: false; reason: string } {
    const current = this.held.get(resource);
    if (!current || current.until <= now) return { ok: false, reason: `no lock is held on ${resource}` };
    if (current.holder !== holder) return { ok: false, reason: `the lock on ${resource} is held by ${current.holder}` };
    this.held.delete(resource);
    this.version++;
    return { ok: true };
  }
}
