/**
 * SpaceDO: one interchangeable replica of a space and its presence relay.
 *
 * A thin actor: partyserver gives hibernatable WebSockets and the `on*` hooks; the space's
 * behaviour lives in core/ (YjsRoom for the Yjs replica and presence, YUpdateStore for
 * durable history). Per-connection state (read-only flag, owned awareness) is kept in the
 * socket attachment so it survives hibernation and eviction.
 */
import { Server, type Connection, type ConnectionContext, type WSMessage } from "partyserver";
import { CommonsError } from "../core/errors.js";
import { YjsRoom, type OwnedAwareness, type RoomPeer } from "../core/space/yjs-room.js";
import { YUpdateStore } from "../core/yjs/update-store.js";
import { DurableObjectSql } from "./sql-storage.js";

/** What a socket remembers across hibernation. */
interface ConnectionMemo {
  readOnly: boolean;
  awareness: OwnedAwareness;
}

/** `?role=observer` on the socket URL opens a read-only connection. */
export const OBSERVER_ROLE = "observer";

export class SpaceDO extends Server<Env> {
  static override options = { hibernate: true };

  private room!: YjsRoom;

  override onStart(): void {
    const sql = new DurableObjectSql(this.ctx.storage);
    this.room = new YjsRoom(new YUpdateStore(sql), {
      peers: () => [...this.getConnections<ConnectionMemo>()].map((c) => this.peer(c)),
      rememberAwareness: (peer, owned) => {
        const conn = this.getConnection<ConnectionMemo>(peer.id);
        conn?.setState((prev) => ({ readOnly: prev?.readOnly ?? true, awareness: owned }));
      },
    });
    this.room.load();
  }

  override onConnect(conn: Connection<ConnectionMemo>, ctx: ConnectionContext): void {
    const role = new URL(ctx.request.url).searchParams.get("role");
    conn.setState({ readOnly: role === OBSERVER_ROLE, awareness: {} });
    this.room.onOpen(this.peer(conn));
  }

  override onMessage(conn: Connection<ConnectionMemo>, message: WSMessage): void {
    const data =
      typeof message === "string"
        ? message
        : message instanceof ArrayBuffer
          ? new Uint8Array(message)
          : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    this.room.onFrame(this.peer(conn), data);
  }

  override onClose(conn: Connection<ConnectionMemo>): void {
    this.room.onClose(this.peer(conn));
  }

  override onError(conn: Connection<ConnectionMemo>): void {
    this.room.onClose(this.peer(conn));
  }

  override onRequest(request: Request): Response {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname.endsWith("/presence")) {
      return Response.json({ space: this.name, ...this.room.presence() });
    }
    const error = new CommonsError("not-found", `no route ${request.method} ${url.pathname} on a space`, { status: 404 });
    return Response.json(error.toJSON(), { status: error.status });
  }

  private peer(conn: Connection<ConnectionMemo>): RoomPeer {
    return {
      id: conn.id,
      readOnly: conn.state?.readOnly ?? true,
      send: (frame) => {
        try {
          conn.send(frame);
        } catch {
          // The socket closed between the broadcast's start and this send; its onClose cleans up.
        }
      },
      close: (code, reason) => conn.close(code, reason),
      ownedAwareness: () => (conn.state?.awareness ?? {}) as OwnedAwareness,
    };
  }
}
