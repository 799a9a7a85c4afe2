import { create, type JsonObject } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  type ClientFrame,
  ClientFrameSchema,
  CloseCode,
  EphemeralType,
  type Error as ErrorFrame,
  type Join,
  type Message,
  JoinSchema,
  PresenceChange,
  RoomKind,
  type ServerFrame,
  type Welcome,
} from './gen/proto/switchboard/client/v1/client_pb.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { closeAction, isAuthClose, parseKickReason } from './close_policy.js';
import { decodeServerFrame, durationMs, encodeClientFrame, type Format, subprotocolOf, timestampMs } from './codec.js';
import { MESSAGE_ID, randomMessageId, toError, toMember, toRoomMessage, toSender } from './convert.js';
import { Emitter } from './emitter.js';
import { SwitchboardError } from './errors.js';
import { Outbox, type OutboxEntry, type PublishResult } from './outbox.js';
import { IndexedDbOutboxStore, type OutboxStore } from './outbox_store.js';
import { type Data, fromPayload, toPayload } from './payload.js';
import { type FetchLike, probeUpgrade } from './probe.js';
import { type JoinOptions, type JoinSpec, RoomTracker } from './rooms.js';
import { RoomPresence, type RoomPresenceOptions } from './room_presence.js';
import type {
  ClientEvents,
  ConnectionState,
  JoinResult,
  PresenceSnapshot,
  PresenceUpdate,
  StateChange,
  WelcomeInfo,
} from './types.js';
import { Waiters } from './waiters.js';

/** The subset of the WebSocket API the client uses (browsers' WebSocket, or `ws` in Node). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: any) => void) | null;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface ClientOptions {
  /** ws://HOST:PORT/ws or wss://… */
  url: string;
  /** Wire format (default 'protobuf'). */
  format?: Format;
  /** Called before every connection attempt and before the token expires. */
  getToken: () => Promise<string> | string;
  backoff?: BackoffOptions;
  /** Deadline of joins, leaves, presence queries and (by default) publishes (default 10000). */
  requestTimeoutMs?: number;
  /** Deadline of publishes, counted from publish() (default requestTimeoutMs). */
  publishTimeoutMs?: number;
  /** Keep unacknowledged publishes in IndexedDB (true) or in the given store. */
  persistOutbox?: boolean | OutboxStore;
  /** Key of the persisted outbox (default: the URL). Use one per user. */
  persistKey?: string;
  /** Send an application Ping after this much silence from the gateway (default 15000). */
  pingIntervalMs?: number;
  /** Consider the connection stalled when a Ping got no frame back this long (default 10000). */
  pingTimeoutMs?: number;
  /** Deadline from opening the WebSocket to Welcome (default 10000). */
  connectTimeoutMs?: number;
  /** Refresh the token this long before it expires (default 60000). */
  refreshBeforeMs?: number;
  /** WebSocket implementation (default globalThis.WebSocket; pass `ws`'s in Node 20). */
  WebSocket?: WebSocketConstructor;
  /** Client name and version, for the gateway's logs. */
  clientName?: string;
  /** Source of randomness for backoff jitter (tests). */
  random?: () => number;
  /**
   * After this many connection attempts in a row that closed before the
   * WebSocket opened (and after every further as many), ask the gateway
   * whether it refuses the upgrade (GET /ws?probe=1 over http(s)): a 4xx
   * answer (e.g. 403 "origin not allowed") stops reconnecting with an
   * UPGRADE_REFUSED error. 0: never probe. Default 3.
   */
  probeAfterFailures?: number;
  /** fetch() for the probe (default globalThis.fetch). */
  fetch?: FetchLike;
  /**
   * The stream's dedupe window to assume when the gateway's Welcome does not
   * carry one (default 120000, the gateway's default). Unacked publishes first
   * sent longer ago than the window (less a margin) are not resent: see the
   * 'fateUnknown' event.
   */
  dedupeWindowMs?: number;
}

export interface PublishOptions {
  /** 1-64 printable ASCII characters without '|' or space; default a random id. */
  messageId?: string;
  /** Overrides publishTimeoutMs for this message. */
  timeoutMs?: number;
}

/** One WebSocket and what belongs to it. */
interface Conn {
  ws: WebSocketLike;
  connectId: bigint;
  welcomed: boolean;
  lastRx: number;
  pingSentAt: number;
  /** The WebSocket opened (the upgrade was accepted). */
  opened: boolean;
  goingAwayAt?: number;
  /** Error the gateway sent for the Connect frame (explains the close that follows). */
  connectError?: SwitchboardError;
  timers: Set<ReturnType<typeof setTimeout>>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** The gateway's default --dedupe_window, assumed when Welcome does not say. */
const DEFAULT_DEDUPE_WINDOW_MS = 120_000;

/**
 * How long after its first send an unacked publish may still be resent with
 * its id: the dedupe window less a margin (a tenth of it, at most 10 s) for
 * the time between the first send and the gateway storing it.
 */
export function resendLimitMs(dedupeWindowMs: number): number {
  return dedupeWindowMs - Math.min(10_000, dedupeWindowMs / 10);
}

const PRESENCE_CHANGES = new Map<PresenceChange, PresenceUpdate['change']>([
  [PresenceChange.JOIN, 'join'],
  [PresenceChange.LEAVE, 'leave'],
  [PresenceChange.GATEWAY_LOST, 'gateway_lost'],
]);

/**
 * A Switchboard connection that survives network trouble: it reconnects with
 * exponential backoff and full jitter, honours GoingAway, resumes every joined
 * room from the last offset it delivered (no gap, no duplicate), resends
 * unacknowledged publishes with their original message ids, refreshes the
 * token, and notices stalled connections with application pings.
 *
 * All methods are meant for one thread (the page's or Node's event loop).
 * Listeners run synchronously inside the client's frame handling and may call
 * any method.
 */
export class SwitchboardClient {
  private readonly events = new Emitter<ClientEvents>();
  private readonly rooms = new RoomTracker();
  private readonly outbox: Outbox;
  private readonly backoff: Backoff;
  private readonly format: Format;
  private readonly requestTimeoutMs: number;
  private readonly pingIntervalMs: number;
  private readonly pingTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly refreshBeforeMs: number;
  private readonly WS: WebSocketConstructor;

  private currentState: ConnectionState = 'idle';
  private conn?: Conn;
  /** Bumped by every open() and close(), so that stale async steps give up. */
  private epoch = 0;
  private nextRequestId = 1n;
  private started = false;
  private restored?: Promise<unknown>;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private flushTimer?: ReturnType<typeof setTimeout>;
  private sessionId = '';
  private welcomeInfo?: WelcomeInfo;
  private authFailures = 0;
  private reconnects = 0;
  /** Connection attempts in a row that closed before the WebSocket opened. */
  private unopened = 0;
  /** WebSockets that opened, ever (a probe's answer is stale once another one opened). */
  private opens = 0;
  /** Bumped by shutdown(): a probe started before it has nothing left to stop. */
  private runs = 0;
  private readonly probeAfterFailures: number;
  /** Replies awaited by request id (leave, presence, refresh). */
  private readonly pending = new Waiters<bigint, ServerFrame>();
  /** Join request id -> room, to route join errors. */
  private readonly joinRequests = new Map<bigint, string>();
  /** Rooms with a Join on the wire (alone or in Connect.joins) and no answer yet. */
  private readonly joinsInFlight = new Set<string>();
  private readonly joinWaiters = new Waiters<string, JoinResult>();
  private readonly joinResults = new Map<string, JoinResult>();
  private welcomeWaiters: { resolve(w: WelcomeInfo): void; reject(e: SwitchboardError): void }[] = [];
  private readonly onlineListener = () => {
    if (this.currentState === 'reconnecting') void this.open();
  };

  constructor(private readonly options: ClientOptions) {
    if (!options.url) throw new TypeError('SwitchboardClient needs a url');
    if (typeof options.getToken !== 'function') throw new TypeError('SwitchboardClient needs getToken');
    this.format = options.format ?? 'protobuf';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.pingIntervalMs = options.pingIntervalMs ?? 15_000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 10_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.refreshBeforeMs = options.refreshBeforeMs ?? 60_000;
    this.probeAfterFailures = Math.max(0, Math.floor(options.probeAfterFailures ?? 3));
    this.backoff = new Backoff(options.backoff, options.random);
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) throw new TypeError('no WebSocket implementation: pass options.WebSocket');
    this.WS = WS;
    let store: OutboxStore | undefined;
    if (options.persistOutbox === true) {
      store = new IndexedDbOutboxStore(options.persistKey ?? options.url);
    } else if (options.persistOutbox) {
      store = options.persistOutbox;
    }
    this.outbox = new Outbox({
      timeoutMs: options.publishTimeoutMs ?? this.requestTimeoutMs,
      store,
      onChange: (pending) => this.events.emit('outbox', { pending }),
      onError: (error) => this.events.emit('error', error),
      onFateUnknown: (entry) =>
        this.events.emit('fateUnknown', {
          room: entry.room,
          messageId: entry.messageId,
          data: fromPayload(entry.payload),
          createdAt: new Date(entry.createdAt),
          firstSentAt: new Date(entry.firstSentAt ?? entry.createdAt),
          restored: entry.restored,
        }),
    });
  }

  // -------------------------------------------------------------------------
  // Public API
  // -------------------------------------------------------------------------

  get state(): ConnectionState {
    return this.currentState;
  }

  /** The last Welcome (user id, session, limits), once connected. */
  get welcome(): WelcomeInfo | undefined {
    return this.welcomeInfo;
  }

  /** Publishes not acknowledged yet. */
  get outboxSize(): number {
    return this.outbox.size;
  }

  get stats(): { duplicatesDropped: number; reconnects: number } {
    return { duplicatesDropped: this.rooms.duplicatesDropped, reconnects: this.reconnects };
  }

  /** Rooms the client is in or will join on the next connection. */
  joinedRooms(): string[] {
    return this.rooms.names();
  }

  on<K extends keyof ClientEvents>(name: K, listener: (value: ClientEvents[K]) => void): () => void {
    return this.events.on(name, listener);
  }

  off<K extends keyof ClientEvents>(name: K, listener: (value: ClientEvents[K]) => void): void {
    this.events.off(name, listener);
  }

  /**
   * Starts connecting (and keeps reconnecting until close()). Resolves on the
   * next Welcome; rejects only when the client closes for good (a final close
   * code, repeated authentication failures, or close()).
   */
  connect(): Promise<WelcomeInfo> {
    if (this.currentState === 'connected' && this.welcomeInfo) return Promise.resolve(this.welcomeInfo);
    const promise = new Promise<WelcomeInfo>((resolve, reject) => {
      this.welcomeWaiters.push({ resolve, reject });
    });
    if (!this.started) {
      this.started = true;
      this.authFailures = 0;
      this.unopened = 0;
      this.backoff.reset();
      this.setState('connecting');
      const g = globalThis as { addEventListener?: (n: string, l: () => void) => void };
      g.addEventListener?.('online', this.onlineListener);
      this.restored ??= this.outbox.restore();
      const epoch = this.epoch;
      void this.restored.then(() => {
        if (this.epoch === epoch && this.started) void this.open();
      });
    }
    return promise;
  }

  /**
   * Stops for good: closes the WebSocket, rejects whatever is pending (CLOSED).
   * Durable outbox copies stay for the next page. connect() starts again.
   */
  close(): void {
    this.shutdown(undefined);
  }

  /**
   * Joins `room` now or on the next connection, and on every reconnect after
   * that (resuming after the last offset delivered). Resolves with the first
   * Joined; rejects with the gateway's error (the room is then dropped), or with
   * TIMEOUT after requestTimeoutMs (the room stays wanted and is joined when
   * the connection allows).
   */
  join(room: string, options: JoinOptions = {}): Promise<JoinResult> {
    if (!this.canAccept()) return Promise.reject(this.closedError());
    if (!this.rooms.add(room, options)) {
      const joined = this.joinResults.get(room);
      if (joined && this.rooms.isJoined(room)) return Promise.resolve(joined);
    }
    const promise = this.joinWaiters.wait(
      room,
      this.requestTimeoutMs,
      () => new SwitchboardError('TIMEOUT', `not joined to ${room} within ${this.requestTimeoutMs} ms (still trying)`, { room }),
    );
    if (this.currentState === 'connected' && this.conn && !this.rooms.isJoined(room) && !this.joinsInFlight.has(room)) {
      this.sendJoin(this.conn, room);
    }
    return promise;
  }

  /** Leaves `room`: no more messages, no rejoin on reconnect. */
  async leave(room: string): Promise<void> {
    const wanted = this.rooms.remove(room);
    this.joinResults.delete(room);
    this.joinWaiters.reject(room, new SwitchboardError('LEFT', `left ${room} before it was joined`, { room }));
    if (!wanted || this.currentState !== 'connected') return;
    try {
      await this.request(create(ClientFrameSchema, { kind: { case: 'leave', value: { room } } }));
    } catch (err) {
      // Not joined on this connection (or disconnected): nothing left to undo.
      if (err instanceof SwitchboardError && ['NOT_JOINED', 'DISCONNECTED'].includes(err.code)) return;
      throw err;
    }
  }

  /**
   * Publishes `data` to `room` (joined or not). Queued in the outbox while
   * disconnected and resent after reconnecting with the same messageId, so it
   * is stored once. Resolves with the offset once stored; rejects with the
   * gateway's error, or TIMEOUT after publishTimeoutMs.
   */
  publish(room: string, data: Data, options: PublishOptions = {}): Promise<PublishResult> {
    if (!this.canAccept()) return Promise.reject(this.closedError());
    const messageId = options.messageId ?? randomMessageId();
    if (!MESSAGE_ID.test(messageId)) {
      return Promise.reject(
        new SwitchboardError('BAD_REQUEST', 'messageId must be 1-64 printable ASCII characters without "|" or space', {
          room,
        }),
      );
    }
    const promise = this.outbox.add(room, messageId, toPayload(data), options.timeoutMs);
    this.flushOutbox();
    return promise;
  }

  /** Tells the room's members that this user is typing (at most once; dropped when offline). */
  typing(room: string): boolean {
    return this.sendEphemeral(room, EphemeralType.TYPING, '', undefined);
  }

  /** Sends an ephemeral application event to a joined room (at most once; dropped when offline). */
  sendEvent(room: string, name: string, data?: Data): boolean {
    return this.sendEphemeral(room, EphemeralType.CUSTOM, name, data);
  }

  /** The room's current members (as far as the gateway knows them). */
  async presence(room: string, limit = 100): Promise<PresenceSnapshot> {
    const frame = await this.request(
      create(ClientFrameSchema, { kind: { case: 'presenceQuery', value: { room, limit } } }),
    );
    if (frame.kind.case !== 'presenceSnapshot') {
      throw new SwitchboardError('TRANSPORT', `unexpected reply ${frame.kind.case ?? 'empty'}`);
    }
    const s = frame.kind.value;
    return {
      room: s.room,
      members: s.members.map(toMember),
      connections: Number(s.connections),
      users: Number(s.users),
    };
  }

  /**
   * A live, user-level view of who is online in `room`, kept correct across
   * reconnects: it queries a snapshot (PresenceQuery) each time the room is
   * joined on a connection, applies the presence events in between, and
   * merges the two (see PresenceTracker). Join the room with
   * `{presence: true}` yourself (before or after this call); without presence
   * events the view only changes on snapshots. Call `stop()` on the result
   * when done.
   */
  trackPresence(room: string, options: RoomPresenceOptions = {}): RoomPresence {
    return new RoomPresence(
      room,
      {
        on: (name, listener) => this.on(name, listener),
        isJoined: (r) => this.currentState === 'connected' && this.rooms.isJoined(r),
        presence: (r, limit) => this.presence(r, limit),
      },
      options,
    );
  }

  // -------------------------------------------------------------------------
  // Connection lifecycle
  // -------------------------------------------------------------------------

  private canAccept(): boolean {
    return this.currentState !== 'closed';
  }

  private closedError(): SwitchboardError {
    return new SwitchboardError('CLOSED', 'the client is closed');
  }

  private setState(state: ConnectionState, extra: Partial<StateChange> = {}): void {
    const previous = this.currentState;
    this.currentState = state;
    this.events.emit('state', { state, previous, attempt: this.backoff.attempts, ...extra });
  }

  private async open(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const epoch = ++this.epoch;
    if (this.currentState !== 'connecting') this.setState('connecting');
    let token: string;
    try {
      token = await this.options.getToken();
    } catch (err) {
      if (epoch !== this.epoch) return;
      this.events.emit('error', new SwitchboardError('TOKEN', `getToken failed: ${String(err)}`));
      this.scheduleReconnect(this.backoff.next(), {});
      return;
    }
    if (epoch !== this.epoch) return;
    let ws: WebSocketLike;
    try {
      ws = new this.WS(this.options.url, [subprotocolOf(this.format)]);
    } catch (err) {
      this.events.emit('error', new SwitchboardError('TRANSPORT', `cannot open a WebSocket: ${String(err)}`));
      this.scheduleReconnect(this.backoff.next(), {});
      return;
    }
    ws.binaryType = 'arraybuffer';
    const conn: Conn = {
      ws,
      connectId: 0n,
      welcomed: false,
      lastRx: Date.now(),
      pingSentAt: 0,
      opened: false,
      timers: new Set(),
    };
    this.conn = conn;
    this.after(conn, this.connectTimeoutMs, () =>
      this.abandon(conn, CloseCode.CONNECT_TIMEOUT, `client: no Welcome within ${this.connectTimeoutMs} ms`),
    );
    ws.onopen = () => {
      if (this.conn !== conn) return;
      conn.opened = true;
      this.opens++;
      this.unopened = 0;
      this.sendConnect(conn, token);
    };
    ws.onmessage = (event) => {
      if (this.conn !== conn) return;
      conn.lastRx = Date.now();
      this.onData(conn, event.data);
    };
    ws.onclose = (event) => {
      if (this.conn === conn) this.onClosed(conn, event.code, event.reason);
    };
    ws.onerror = () => {
      // A close event always follows; it carries the code.
    };
  }

  /** Runs `fn` after `ms` unless the connection is torn down first. */
  private after(conn: Conn, ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      conn.timers.delete(timer);
      fn();
    }, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    conn.timers.add(timer);
  }

  private nextId(): bigint {
    return this.nextRequestId++;
  }

  private send(conn: Conn, frame: ClientFrame): boolean {
    if (this.conn !== conn || conn.ws.readyState !== 1) return false;
    try {
      conn.ws.send(encodeClientFrame(frame, this.format));
      return true;
    } catch (err) {
      this.events.emit('error', new SwitchboardError('TRANSPORT', `send failed: ${String(err)}`));
      return false;
    }
  }

  private toJoin(spec: JoinSpec): Join {
    return create(JoinSchema, {
      room: spec.room,
      historyLimit: spec.history,
      presence: spec.presence,
      meta: spec.meta as JsonObject | undefined,
      position:
        spec.sinceOffset === undefined ? { case: undefined } : { case: 'sinceOffset', value: spec.sinceOffset },
    });
  }

  private sendConnect(conn: Conn, token: string): void {
    conn.connectId = this.nextId();
    const joins = this.rooms.joinSpecs().map((s) => this.toJoin(s));
    for (const j of joins) this.joinsInFlight.add(j.room);
    this.send(
      conn,
      create(ClientFrameSchema, {
        id: conn.connectId,
        kind: {
          case: 'connect',
          value: { token, sessionId: this.sessionId, client: this.options.clientName ?? 'web/0.1.0', joins },
        },
      }),
    );
  }

  private sendJoin(conn: Conn, room: string): void {
    const spec = this.rooms.joinSpec(room);
    if (!spec) return;
    const id = this.nextId();
    this.joinRequests.set(id, room);
    this.joinsInFlight.add(room);
    this.send(conn, create(ClientFrameSchema, { id, kind: { case: 'join', value: this.toJoin(spec) } }));
  }

  private onWelcome(conn: Conn, w: Welcome): void {
    conn.welcomed = true;
    for (const t of conn.timers) clearTimeout(t);
    conn.timers.clear();
    if (this.welcomeInfo) this.reconnects++;
    this.sessionId = w.sessionId;
    this.welcomeInfo = {
      connectionId: w.connectionId,
      sessionId: w.sessionId,
      userId: w.userId,
      gatewayId: w.gatewayId,
      limits: w.limits && {
        maxMessageBytes: w.limits.maxMessageBytes,
        maxPayloadBytes: w.limits.maxPayloadBytes,
        maxRooms: w.limits.maxRooms,
        publishRate: w.limits.publishRate,
        publishBurst: w.limits.publishBurst,
      },
      tokenExpiresAt: w.tokenExpiresAt ? timestampDate(w.tokenExpiresAt) : undefined,
      dedupeWindowMs: durationMs(w.dedupeWindow) || undefined,
    };
    this.backoff.reset();
    this.authFailures = 0;
    this.setState('connected');
    const waiters = this.welcomeWaiters;
    this.welcomeWaiters = [];
    for (const waiter of waiters) waiter.resolve(this.welcomeInfo);
    this.schedulePing(conn);
    this.scheduleRefresh(conn, timestampMs(w.tokenExpiresAt));
    if (conn.connectError) {
      // Not followed by a close after all: report it now.
      this.events.emit('error', conn.connectError);
      conn.connectError = undefined;
    }
    this.flushOutbox();
  }

  private schedulePing(conn: Conn): void {
    const tick = Math.max(20, Math.min(this.pingIntervalMs, this.pingTimeoutMs) / 2);
    this.after(conn, tick, () => {
      if (this.conn !== conn) return;
      const now = Date.now();
      if (conn.pingSentAt > conn.lastRx && now - conn.pingSentAt >= this.pingTimeoutMs) {
        this.abandon(conn, CloseCode.HEARTBEAT_TIMEOUT, `client: no frame from the gateway for ${now - conn.lastRx} ms`);
        return;
      }
      if (now - conn.lastRx >= this.pingIntervalMs && conn.pingSentAt <= conn.lastRx) {
        conn.pingSentAt = now;
        this.send(conn, create(ClientFrameSchema, { id: this.nextId(), kind: { case: 'ping', value: {} } }));
      }
      this.schedulePing(conn);
    });
  }

  private scheduleRefresh(conn: Conn, expiresAtMs: number | undefined): void {
    if (expiresAtMs === undefined || expiresAtMs <= 0) return;
    const remaining = expiresAtMs - Date.now();
    const delay = remaining > this.refreshBeforeMs * 2 ? remaining - this.refreshBeforeMs : remaining / 2;
    this.after(conn, Math.max(1000, delay), () => void this.refreshToken(conn, expiresAtMs));
  }

  private async refreshToken(conn: Conn, oldExpiry: number): Promise<void> {
    try {
      const token = await this.options.getToken();
      if (this.conn !== conn) return;
      const frame = await this.request(create(ClientFrameSchema, { kind: { case: 'refresh', value: { token } } }));
      if (frame.kind.case !== 'tokenRefreshed') return;
      const expiry = timestampMs(frame.kind.value.tokenExpiresAt);
      if (this.welcomeInfo && expiry) this.welcomeInfo.tokenExpiresAt = new Date(expiry);
      // The same token again would schedule a refresh right away, forever:
      // only a later expiry is worth a timer. Otherwise the gateway closes with
      // TOKEN_EXPIRED and the reconnect asks getToken() again.
      if (expiry !== undefined && expiry > oldExpiry) this.scheduleRefresh(conn, expiry);
    } catch (err) {
      if (this.conn !== conn) return;
      this.events.emit(
        'error',
        err instanceof SwitchboardError ? err : new SwitchboardError('TOKEN', `token refresh failed: ${String(err)}`),
      );
    }
  }

  /** Gives up on a connection the client considers dead, without waiting for TCP to agree. */
  private abandon(conn: Conn, code: number, reason: string): void {
    if (this.conn !== conn) return;
    try {
      conn.ws.close(4000, reason.slice(0, 120));
    } catch {
      // Closing a socket that never opened may throw in some implementations.
    }
    this.onClosed(conn, code, reason);
  }

  private teardown(conn: Conn): void {
    for (const t of conn.timers) clearTimeout(t);
    conn.timers.clear();
    // No-ops rather than null: some implementations (ws) throw on an 'error'
    // event nobody listens to, and a closing socket may still emit one.
    const ignore = () => {};
    conn.ws.onopen = ignore;
    conn.ws.onmessage = ignore;
    conn.ws.onclose = ignore;
    conn.ws.onerror = ignore;
    if (this.conn === conn) this.conn = undefined;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.rooms.onDisconnected();
    this.outbox.onDisconnected();
    this.joinRequests.clear();
    this.joinsInFlight.clear();
    this.pending.rejectAll(new SwitchboardError('DISCONNECTED', 'the connection dropped before the reply'));
  }

  private onClosed(conn: Conn, code: number, reason: string): void {
    this.teardown(conn);
    const cause = { closeCode: code, closeReason: reason };
    if (isAuthClose(code)) this.authFailures++;
    if (!conn.opened) this.unopened++;
    const action = closeAction(code, reason, {
      authFailures: this.authFailures,
      goingAwayAt: conn.goingAwayAt,
      now: Date.now(),
      nextBackoff: () => this.backoff.next(),
    });
    if (code === CloseCode.KICKED) {
      // The Error frame of a refused (banned) Connect says the same as the close.
      this.events.emit('kicked', { ...parseKickReason(reason), closeReason: reason });
    } else if (action.reconnect && conn.connectError) {
      this.events.emit('error', conn.connectError);
    }
    if (action.reconnect) {
      this.scheduleReconnect(action.delayMs, cause);
      if (this.probeAfterFailures > 0 && this.unopened > 0 && this.unopened % this.probeAfterFailures === 0) {
        void this.probe();
      }
      return;
    }
    const error =
      action.why === 'auth'
        ? new SwitchboardError('UNAUTHENTICATED', `the gateway refused the token ${this.authFailures} times: ${reason}`, cause)
        : (conn.connectError ??
          new SwitchboardError('CLOSED', `the gateway closed the connection: ${code} ${reason}`, cause));
    this.shutdown(error, cause);
  }

  /**
   * Asks the gateway whether it refuses the upgrade (see probe.ts); on a 4xx,
   * stops for good with UPGRADE_REFUSED, unless a WebSocket opened or the
   * client was closed meanwhile. Anything else leaves the backoff running.
   */
  private async probe(): Promise<void> {
    const opens = this.opens;
    const runs = this.runs;
    const fetchImpl = this.options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch?.bind(globalThis);
    const result = await probeUpgrade(fetchImpl, this.options.url, this.format, this.connectTimeoutMs);
    if (result.outcome !== 'refused' || this.opens !== opens || this.runs !== runs || !this.started) return;
    this.shutdown(
      new SwitchboardError(
        'UPGRADE_REFUSED',
        `the gateway refuses the WebSocket upgrade: ${result.status} ${result.reason}`,
        { status: result.status, reason: result.reason },
      ),
    );
  }

  private scheduleReconnect(delay: number, cause: Partial<StateChange>): void {
    if (this.currentState === 'closed') return;
    clearTimeout(this.retryTimer);
    this.setState('reconnecting', { retryInMs: delay, ...cause });
    this.retryTimer = setTimeout(() => void this.open(), Math.min(delay, MAX_TIMER_MS));
  }

  private shutdown(error: SwitchboardError | undefined, cause: Partial<StateChange> = {}): void {
    this.epoch++;
    this.runs++;
    this.started = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const g = globalThis as { removeEventListener?: (n: string, l: () => void) => void };
    g.removeEventListener?.('online', this.onlineListener);
    const conn = this.conn;
    if (conn) {
      this.teardown(conn);
      try {
        conn.ws.close(1000, 'client closed');
      } catch {
        // Not open yet.
      }
    }
    const closed = error ?? this.closedError();
    this.outbox.rejectAll(closed);
    this.joinWaiters.rejectAll(closed);
    this.pending.rejectAll(closed);
    const waiters = this.welcomeWaiters;
    this.welcomeWaiters = [];
    for (const w of waiters) w.reject(closed);
    if (this.currentState !== 'closed') this.setState('closed', { ...cause, error });
    if (error) this.events.emit('error', error);
  }

  // -------------------------------------------------------------------------
  // Requests
  // -------------------------------------------------------------------------

  /** Sends `frame` with a fresh id and waits for the frame that answers it. */
  private request(frame: ClientFrame): Promise<ServerFrame> {
    const conn = this.conn;
    if (!conn || this.currentState !== 'connected') {
      return Promise.reject(new SwitchboardError('DISCONNECTED', 'not connected'));
    }
    const id = this.nextId();
    frame.id = id;
    const reply = this.pending.wait(
      id,
      this.requestTimeoutMs,
      () => new SwitchboardError('TIMEOUT', `no reply within ${this.requestTimeoutMs} ms`),
    );
    this.send(conn, frame);
    return reply;
  }

  /** How long after its first send an unacked publish may still be resent with its id. */
  private resendLimit(): number {
    return resendLimitMs(this.welcomeInfo?.dedupeWindowMs ?? this.options.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS);
  }

  private flushOutbox(): void {
    const conn = this.conn;
    if (!conn || this.currentState !== 'connected') return;
    const limit = this.resendLimit();
    for (const entry of this.outbox.due()) {
      if (this.outbox.tooOldToResend(entry, limit)) {
        this.outbox.giveUp(entry, limit);
        continue;
      }
      // Its first send is being recorded in the store: this runs again after.
      if (!this.outbox.readyToSend(entry, () => this.flushOutbox())) return;
      const id = this.nextId();
      const sent = this.send(
        conn,
        create(ClientFrameSchema, {
          id,
          kind: { case: 'publish', value: { room: entry.room, messageId: entry.messageId, payload: entry.payload } },
        }),
      );
      if (!sent) return;
      this.outbox.markSent(entry, id);
    }
    // Entries told to wait (rate limit, bus unavailable) go when allowed.
    const waiting = this.outbox.list().filter((e) => e.requestId === undefined);
    if (waiting.length > 0 && this.flushTimer === undefined) {
      const at = Math.min(...waiting.map((e) => e.notBefore));
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.flushOutbox();
      }, Math.max(0, at - Date.now()));
    }
  }

  private sendEphemeral(room: string, type: EphemeralType, name: string, data: Data | undefined): boolean {
    const conn = this.conn;
    if (!conn || this.currentState !== 'connected' || !this.rooms.isJoined(room)) return false;
    return this.send(
      conn,
      create(ClientFrameSchema, {
        kind: { case: 'ephemeral', value: { room, type, name, payload: data === undefined ? undefined : toPayload(data) } },
      }),
    );
  }

  // -------------------------------------------------------------------------
  // Incoming frames
  // -------------------------------------------------------------------------

  private onData(conn: Conn, data: unknown): void {
    let frame: ServerFrame;
    try {
      frame = decodeServerFrame(data, this.format);
    } catch (err) {
      this.events.emit('error', new SwitchboardError('TRANSPORT', `undecodable frame: ${String(err)}`));
      return;
    }
    const k = frame.kind;
    switch (k.case) {
      case 'welcome':
        return this.onWelcome(conn, k.value);
      case 'joined': {
        this.joinRequests.delete(frame.id);
        const j = k.value;
        this.joinsInFlight.delete(j.room);
        const outcome = this.rooms.onJoined(j.room, j.offset, j.recovered, j.kind === RoomKind.EPHEMERAL);
        if (!outcome) return;
        const result: JoinResult = {
          room: j.room,
          offset: Number(j.offset),
          recovered: outcome.recovered,
          kind: outcome.ephemeral ? 'ephemeral' : 'persisted',
        };
        const rejoined = this.joinResults.has(j.room);
        this.joinResults.set(j.room, result);
        this.joinWaiters.resolve(j.room, result);
        this.events.emit('joined', { ...result, rejoined });
        if (outcome.resumedFrom !== undefined) {
          this.events.emit('recovered', {
            room: j.room,
            recovered: outcome.recovered,
            sinceOffset: Number(outcome.resumedFrom),
            offset: Number(j.offset),
          });
        }
        return;
      }
      case 'left': {
        if (frame.id !== 0n && this.pending.resolve(frame.id, frame)) return;
        // Pushed: the server removed us (control plane, refreshed token). A
        // room that is not joined on this connection is one whose join just
        // failed (the gateway follows the Error with a Left): keep wanting it.
        if (this.rooms.isJoined(k.value.room) && this.rooms.remove(k.value.room)) {
          this.joinResults.delete(k.value.room);
          this.events.emit('left', { room: k.value.room, reason: k.value.reason });
        }
        return;
      }
      case 'publishAck': {
        const entry = this.outbox.byRequest(frame.id) ?? this.outbox.get(k.value.messageId);
        if (entry) this.outbox.ack(entry, k.value.offset, k.value.duplicate);
        return;
      }
      case 'message':
        return this.deliver(k.value, false);
      case 'batch':
        for (const m of k.value.messages) this.deliver(m, true);
        return;
      case 'ephemeral': {
        const e = k.value;
        if (!this.rooms.has(e.room)) return;
        const sender = toSender(e.sender);
        const time = e.time ? timestampDate(e.time) : undefined;
        if (e.type === EphemeralType.TYPING) {
          this.events.emit('typing', { room: e.room, sender, time });
        } else {
          this.events.emit('event', {
            room: e.room,
            type: e.type === EphemeralType.CURSOR ? 'cursor' : 'custom',
            name: e.name,
            sender,
            time,
            data: fromPayload(e.payload),
          });
        }
        return;
      }
      case 'presence': {
        const p = k.value;
        if (!this.rooms.has(p.room) || !p.info) return;
        const change = PRESENCE_CHANGES.get(p.change);
        if (!change) return; // UNSPECIFIED, or a change from a newer gateway
        this.events.emit('presence', { room: p.room, change, member: toMember(p.info) });
        return;
      }
      case 'error':
        return this.onError(conn, frame.id, k.value);
      case 'goingAway':
        conn.goingAwayAt = Date.now() + (durationMs(k.value.reconnectAfter) ?? 0);
        return;
      case 'pong':
      case 'tokenRefreshed':
      case 'presenceSnapshot':
        this.pending.resolve(frame.id, frame);
        return;
      default:
        return; // A frame type from a newer gateway: ignore.
    }
  }

  private deliver(m: Message, replay: boolean): void {
    if (this.rooms.accept(m.room, m.offset)) this.events.emit('message', toRoomMessage(m, replay));
  }

  private onError(conn: Conn, id: bigint, e: ErrorFrame): void {
    const error = toError(e);
    if (id !== 0n && this.pending.reject(id, error)) return;
    const entry = id !== 0n ? this.outbox.byRequest(id) : undefined;
    if (entry) return this.onPublishError(entry, error);
    const joinRoom = this.joinRequests.get(id);
    if (joinRoom !== undefined || (id !== 0n && id === conn.connectId && e.room)) {
      this.joinRequests.delete(id);
      return this.onJoinError(conn, joinRoom ?? e.room, error);
    }
    if (id !== 0n && id === conn.connectId) {
      // It explains the close that follows: reported with it (onClosed).
      conn.connectError = error;
      return;
    }
    this.events.emit('error', error);
  }

  private onPublishError(entry: OutboxEntry, error: SwitchboardError): void {
    if (error.code === 'UNAVAILABLE' || error.code === 'RATE_LIMITED') {
      this.outbox.retryLater(entry, error.details.retryAfterMs ?? 1000);
      this.flushOutbox();
      return;
    }
    this.outbox.fail(entry, error);
  }

  private onJoinError(conn: Conn, room: string, error: SwitchboardError): void {
    if (error.code === 'ALREADY_JOINED') return; // the first Join's answer is on its way
    this.joinsInFlight.delete(room);
    if (!this.rooms.has(room)) return;
    this.rooms.onJoinFailed(room);
    if (error.code === 'UNAVAILABLE') {
      // The bus is down for now: keep the room and try again on this connection.
      this.after(conn, error.details.retryAfterMs ?? Math.max(1000, this.backoff.options.baseMs), () => {
        if (this.conn === conn && this.rooms.has(room) && !this.rooms.isJoined(room)) this.sendJoin(conn, room);
      });
      if (!this.joinWaiters.has(room)) this.events.emit('error', error);
      return;
    }
    this.rooms.remove(room);
    this.joinResults.delete(room);
    if (!this.joinWaiters.reject(room, error)) this.events.emit('error', error);
  }
}
