// An in-process stand-in for the gateway, built on `ws`: enough of the
// protocol (Connect/Welcome, Join with history and resume, Publish with
// dedupe, ephemeral events, presence queries and events, pings, bans, the
// upgrade probe GET /ws?probe=1) to test the client's reconnection logic,
// plus knobs to misbehave on purpose.
import { create } from '@bufbuild/protobuf';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { decodeClientFrame, encodeServerFrame, type Format, proto } from '../dist/index.js';

type ClientFrame = proto.ClientFrame;
type ServerFrame = proto.ServerFrame;
type Message = proto.Message;

export interface FakeConn {
  ws: WebSocket;
  format: Format;
  userId: string;
  connectionId: string;
  connected: boolean;
  /** The WebSocket closed and its LEAVEs were announced. */
  closed: boolean;
  rooms: Set<string>;
  /** Rooms joined with presence: true (this connection receives their presence events). */
  presenceRooms: Set<string>;
  /** Room -> when this connection joined it. */
  joinedAt: Map<string, Date>;
  /** Frames received on this connection, in order. */
  frames: ClientFrame[];
  send(frame: ServerFrame): void;
}

interface FakeRoom {
  messages: Message[];
  /** Offsets below this were trimmed (retention). */
  retainedFrom: bigint;
}

export interface FakeGatewayOptions {
  /** Token -> user id; any other token is refused with 4001. Default: every token is user "u-<token>". */
  users?: Map<string, string>;
  tokenTtlMs?: number;
  /** A repeated message id is a duplicate only this long after it was stored (default: forever). */
  dedupeWindowMs?: number;
  /** Tell clients dedupeWindowMs in Welcome.dedupe_window (default true). */
  announceDedupeWindow?: boolean;
}

export class FakeGateway {
  private http!: Server;
  private wss!: WebSocketServer;
  readonly conns: FakeConn[] = [];
  readonly rooms = new Map<string, FakeRoom>();
  /** room|messageId -> offset and when it was stored. */
  private readonly dedupe = new Map<string, { offset: bigint; at: number }>();
  private seq = 0n;
  private serial = 0;
  port = 0;

  // Knobs.
  /** Answer publishes (false: swallow them, as if acks were lost). */
  ackPublishes = true;
  /** Close the connection right after storing a publish, before acking (once per message id). */
  closeBeforeAck?: { code: number; ids: Set<string> };
  /** Refuse WebSocket upgrades (HTTP 503), as a gateway that is down would. */
  refusing = false;
  /** Refuse WebSocket upgrades with this status (e.g. 403 "origin not allowed"); wins over `refusing`. */
  refusal?: { status: number; reason: string };
  /** Answer GET /ws?probe=1 (false: 404 "not found", as a gateway without the probe). */
  probeEnabled = true;
  /** URLs of the probe requests received. */
  readonly probes: URL[] = [];
  /** Upgrade requests received (accepted or refused). */
  upgrades = 0;
  /** Refuse every Connect of a user: PERMISSION_DENIED, then close 4006 with this reason. */
  banReason?: string;
  /** Ignore every frame (a stalled connection). */
  stalled = false;
  /** Resume replays start this many offsets early (an overlap the client must drop). */
  replayOverlap = 0n;
  /** Extra handler: return true to skip the default handling. */
  onFrame?: (conn: FakeConn, frame: ClientFrame) => boolean | void;
  /** Error to answer the next publish with (then normal). */
  publishErrors: proto.Error[] = [];
  /** Every frame received on every connection, in order. */
  readonly frames: ClientFrame[] = [];
  /** Publish presence JOIN/LEAVE events (false: drop them, as a slow connection would miss them). */
  presenceEvents = true;
  /** Presence entries held by other gateways, by room: listed in snapshots. */
  readonly remotePresence = new Map<string, proto.PresenceInfo[]>();
  /** This gateway's id (Welcome.gatewayId and PresenceInfo.gatewayId). */
  gatewayId = 'fake';

  constructor(private readonly options: FakeGatewayOptions = {}) {}

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  async start(port = 0): Promise<void> {
    this.http = createServer((req, res) => this.onHttp(req, res));
    this.wss = new WebSocketServer({
      server: this.http,
      verifyClient: (_info: unknown, done: (ok: boolean, code?: number, message?: string) => void) => {
        this.upgrades++;
        if (this.refusal) return done(false, this.refusal.status, this.refusal.reason);
        done(!this.refusing, 503);
      },
      handleProtocols: (protocols) => {
        if (protocols.has('switchboard.v1.proto')) return 'switchboard.v1.proto';
        if (protocols.has('switchboard.v1.json')) return 'switchboard.v1.json';
        return false;
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
    this.wss.on('connection', (ws) => this.accept(ws));
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await closed;
  }

  /** Plain HTTP: the upgrade probe, as the gateway answers it; everything else 404. */
  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    if (url.pathname !== '/ws' || url.searchParams.get('probe') !== '1' || !this.probeEnabled) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    this.probes.push(url);
    const { status, reason } = this.refusal ?? (this.refusing ? { status: 503, reason: 'down' } : { status: 200, reason: 'ok' });
    res
      .writeHead(status, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
        'cache-control': 'no-store',
      })
      .end(JSON.stringify({ status, reason }));
  }

  /** Connections that got a Welcome, newest last. */
  connected(): FakeConn[] {
    return this.conns.filter((c) => c.connected && c.ws.readyState === WebSocket.OPEN);
  }

  /** Closes every open connection with `code`. */
  closeAll(code: number, reason = ''): void {
    for (const c of this.conns) {
      if (c.ws.readyState === WebSocket.OPEN) c.ws.close(code, reason);
    }
  }

  /** Kills every connection without a close frame (a crash or a cut cable). */
  terminateAll(): void {
    for (const c of this.conns) c.ws.terminate();
  }

  /** Kills every connection and refuses new ones until `refusing` is cleared. */
  goDown(): void {
    this.refusing = true;
    this.terminateAll();
  }

  /** Stores a message as if another user had published it, and delivers it live. */
  inject(room: string, text: string, messageId = `srv-${this.seq + 1n}`): Message {
    return this.store(room, messageId, create(proto.PayloadSchema, { data: { case: 'text', value: text } }), {
      userId: 'server-user',
      connectionId: 'server-conn',
    });
  }

  /** Drops a room's messages with offsets up to `offset` (retention). */
  trim(room: string, offset: bigint): void {
    const r = this.room(room);
    r.messages = r.messages.filter((m) => m.offset > offset);
    r.retainedFrom = offset + 1n;
  }

  latest(room: string): bigint {
    const r = this.rooms.get(room);
    return r && r.messages.length > 0 ? r.messages[r.messages.length - 1].offset : 0n;
  }

  private room(name: string): FakeRoom {
    let r = this.rooms.get(name);
    if (!r) {
      r = { messages: [], retainedFrom: 1n };
      this.rooms.set(name, r);
    }
    return r;
  }

  private accept(ws: WebSocket): void {
    const format: Format = ws.protocol === 'switchboard.v1.json' ? 'json' : 'protobuf';
    const conn: FakeConn = {
      ws,
      format,
      userId: '',
      connectionId: `fake-${++this.serial}`,
      connected: false,
      closed: false,
      rooms: new Set(),
      presenceRooms: new Set(),
      joinedAt: new Map(),
      frames: [],
      send: (frame) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(encodeServerFrame(frame, format));
      },
    };
    this.conns.push(conn);
    ws.on('close', () => {
      if (conn.connected) {
        for (const room of conn.rooms) this.announce(room, proto.PresenceChange.LEAVE, this.presenceInfo(conn, room));
      }
      conn.rooms.clear();
      conn.closed = true;
    });
    ws.on('message', (data, isBinary) => {
      if (this.stalled) return;
      let frame: ClientFrame;
      try {
        frame = decodeClientFrame(isBinary ? new Uint8Array(data as Buffer) : data.toString(), format);
      } catch {
        ws.close(1002, 'undecodable');
        return;
      }
      conn.frames.push(frame);
      this.frames.push(frame);
      if (this.onFrame?.(conn, frame)) return;
      this.handle(conn, frame);
    });
  }

  private reply(conn: FakeConn, id: bigint, kind: ServerFrame['kind']): void {
    conn.send(create(proto.ServerFrameSchema, { id, kind }));
  }

  private error(conn: FakeConn, id: bigint, code: proto.ErrorCode, message: string, room = ''): void {
    this.reply(conn, id, { case: 'error', value: create(proto.ErrorSchema, { code, message, room }) });
  }

  private handle(conn: FakeConn, frame: ClientFrame): void {
    const k = frame.kind;
    if (!conn.connected && k.case !== 'connect' && k.case !== 'ping') {
      return this.error(conn, frame.id, proto.ErrorCode.NOT_CONNECTED, 'send Connect first');
    }
    switch (k.case) {
      case 'connect': {
        const token = k.value.token;
        const user = this.options.users ? this.options.users.get(token) : `u-${token}`;
        if (!user || token.startsWith('expired')) {
          const expired = token.startsWith('expired');
          this.error(conn, frame.id, proto.ErrorCode.UNAUTHENTICATED, expired ? 'token expired' : 'bad token');
          conn.ws.close(expired ? proto.CloseCode.TOKEN_EXPIRED : proto.CloseCode.UNAUTHENTICATED, 'refused');
          return;
        }
        if (this.banReason !== undefined) {
          this.error(conn, frame.id, proto.ErrorCode.PERMISSION_DENIED, this.banReason);
          conn.ws.close(proto.CloseCode.KICKED, this.banReason);
          return;
        }
        conn.userId = user;
        conn.connected = true;
        const ttl = BigInt(Math.floor((Date.now() + (this.options.tokenTtlMs ?? 3_600_000)) / 1000));
        this.reply(conn, frame.id, {
          case: 'welcome',
          value: create(proto.WelcomeSchema, {
            connectionId: conn.connectionId,
            sessionId: k.value.sessionId || `session-${conn.connectionId}`,
            userId: user,
            gatewayId: this.gatewayId,
            tokenExpiresAt: { seconds: ttl, nanos: 0 },
            dedupeWindow:
              this.options.dedupeWindowMs !== undefined && this.options.announceDedupeWindow !== false
                ? {
                    seconds: BigInt(Math.floor(this.options.dedupeWindowMs / 1000)),
                    nanos: (this.options.dedupeWindowMs % 1000) * 1e6,
                  }
                : undefined,
          }),
        });
        for (const join of k.value.joins) this.join(conn, frame.id, join);
        return;
      }
      case 'join':
        return this.join(conn, frame.id, k.value);
      case 'leave': {
        const info = conn.rooms.has(k.value.room) ? this.presenceInfo(conn, k.value.room) : undefined;
        if (!conn.rooms.delete(k.value.room)) {
          return this.error(conn, frame.id, proto.ErrorCode.NOT_JOINED, 'not joined', k.value.room);
        }
        conn.presenceRooms.delete(k.value.room);
        this.reply(conn, frame.id, { case: 'left', value: create(proto.LeftSchema, { room: k.value.room }) });
        return this.announce(k.value.room, proto.PresenceChange.LEAVE, info!);
      }
      case 'publish': {
        const p = k.value;
        const err = this.publishErrors.shift();
        if (err) return this.reply(conn, frame.id, { case: 'error', value: err });
        const key = `${p.room}|${p.messageId}`;
        const existing = this.dedupe.get(key);
        const window = this.options.dedupeWindowMs ?? Infinity;
        if (existing !== undefined && Date.now() - existing.at <= window) {
          if (!this.ackPublishes) return;
          return this.reply(conn, frame.id, {
            case: 'publishAck',
            value: create(proto.PublishAckSchema, {
              room: p.room,
              offset: existing.offset,
              messageId: p.messageId,
              duplicate: true,
            }),
          });
        }
        const m = this.store(p.room, p.messageId, p.payload ?? create(proto.PayloadSchema), {
          userId: conn.userId,
          connectionId: conn.connectionId,
        });
        if (this.closeBeforeAck?.ids.delete(p.messageId)) {
          conn.ws.close(this.closeBeforeAck.code, 'closing before the ack');
          return;
        }
        if (!this.ackPublishes) return;
        return this.reply(conn, frame.id, {
          case: 'publishAck',
          value: create(proto.PublishAckSchema, { room: p.room, offset: m.offset, messageId: p.messageId }),
        });
      }
      case 'ephemeral': {
        const e = k.value;
        if (!conn.rooms.has(e.room)) return this.error(conn, frame.id, proto.ErrorCode.NOT_JOINED, 'join first', e.room);
        for (const other of this.connected()) {
          if (other === conn || !other.rooms.has(e.room)) continue;
          this.reply(other, 0n, {
            case: 'ephemeral',
            value: create(proto.EphemeralEventSchema, {
              room: e.room,
              type: e.type,
              name: e.name,
              payload: e.payload,
              sender: { userId: conn.userId, connectionId: conn.connectionId },
            }),
          });
        }
        return;
      }
      case 'ping':
        return this.reply(conn, frame.id, { case: 'pong', value: create(proto.PongSchema) });
      case 'presenceQuery': {
        if (!conn.rooms.has(k.value.room)) {
          return this.error(conn, frame.id, proto.ErrorCode.NOT_JOINED, 'join first', k.value.room);
        }
        const all = [
          ...this.connected()
            .filter((c) => c.rooms.has(k.value.room))
            .map((c) => this.presenceInfo(c, k.value.room)),
          ...(this.remotePresence.get(k.value.room) ?? []),
        ];
        const limit = k.value.limit || 100;
        const members = all.slice(0, limit);
        return this.reply(conn, frame.id, {
          case: 'presenceSnapshot',
          value: create(proto.PresenceSnapshotSchema, {
            room: k.value.room,
            members,
            connections: BigInt(all.length),
            users: BigInt(new Set(all.map((m) => m.userId)).size),
          }),
        });
      }
      case 'refresh': {
        const ttl = BigInt(Math.floor((Date.now() + 3_600_000) / 1000));
        return this.reply(conn, frame.id, {
          case: 'tokenRefreshed',
          value: create(proto.TokenRefreshedSchema, { tokenExpiresAt: { seconds: ttl, nanos: 0 } }),
        });
      }
      default:
        return this.error(conn, frame.id, proto.ErrorCode.UNSUPPORTED, 'unsupported');
    }
  }

  private join(conn: FakeConn, id: bigint, join: proto.Join): void {
    if (join.room.startsWith('forbidden')) {
      return this.error(conn, id, proto.ErrorCode.PERMISSION_DENIED, 'the token does not allow this room', join.room);
    }
    if (conn.rooms.has(join.room)) {
      return this.error(conn, id, proto.ErrorCode.ALREADY_JOINED, 'already joined', join.room);
    }
    conn.rooms.add(join.room);
    conn.joinedAt.set(join.room, new Date());
    if (join.presence) conn.presenceRooms.add(join.room);
    const r = this.room(join.room);
    const latest = this.latest(join.room);
    let replay: Message[] = [];
    let recovered = true;
    if (join.position.case === 'sinceOffset') {
      const since = join.position.value;
      recovered = since <= latest && since + 1n >= r.retainedFrom;
      const from = since - this.replayOverlap;
      replay = r.messages.filter((m) => m.offset > from);
    } else if (join.historyLimit > 0) {
      replay = r.messages.slice(-join.historyLimit);
    }
    this.reply(conn, id, {
      case: 'joined',
      value: create(proto.JoinedSchema, {
        room: join.room,
        offset: latest,
        recovered,
        kind: proto.RoomKind.PERSISTED,
      }),
    });
    if (replay.length > 0) {
      this.reply(conn, 0n, { case: 'batch', value: create(proto.MessageBatchSchema, { messages: replay }) });
    }
    this.announce(join.room, proto.PresenceChange.JOIN, this.presenceInfo(conn, join.room));
  }

  /** The presence entry of `conn` in `room`. */
  presenceInfo(conn: FakeConn, room: string): proto.PresenceInfo {
    const at = conn.joinedAt.get(room)?.getTime() ?? 0;
    return create(proto.PresenceInfoSchema, {
      userId: conn.userId,
      connectionId: conn.connectionId,
      gatewayId: this.gatewayId,
      joinedAt: { seconds: BigInt(Math.floor(at / 1000)), nanos: (at % 1000) * 1_000_000 },
    });
  }

  /** Sends a presence event to every connection that joined `room` with presence (unless presenceEvents is off). */
  announce(room: string, change: proto.PresenceChange, info: proto.PresenceInfo, force = false): void {
    if (!this.presenceEvents && !force) return;
    for (const c of this.connected()) {
      if (!c.presenceRooms.has(room) || !c.rooms.has(room)) continue;
      this.reply(c, 0n, { case: 'presence', value: create(proto.PresenceEventSchema, { room, change, info }) });
    }
  }

  private store(room: string, messageId: string, payload: proto.Payload, sender: { userId: string; connectionId: string }): Message {
    const m = create(proto.MessageSchema, {
      room,
      offset: ++this.seq,
      messageId,
      sender,
      payload,
      time: { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 },
    });
    this.room(room).messages.push(m);
    this.dedupe.set(`${room}|${messageId}`, { offset: m.offset, at: Date.now() });
    for (const c of this.connected()) {
      if (c.rooms.has(room)) this.reply(c, 0n, { case: 'message', value: m });
    }
    return m;
  }
}

/** Polls `condition` until it holds or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
