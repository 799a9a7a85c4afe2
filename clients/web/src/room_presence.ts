import { Emitter } from './emitter.js';
import { SwitchboardError } from './errors.js';
import { PresenceTracker, type PresenceUserChange } from './presence_tracker.js';
import type { ClientEvents, PresenceMember, PresenceSnapshot } from './types.js';

export interface RoomPresenceOptions {
  /** PresenceQuery limit (default 1000, the gateway's maximum). A capped snapshot adds but never removes. */
  limit?: number;
  /**
   * Also re-query this often while joined (default 0: only on each join and
   * rejoin). Presence events are at-most-once (a slow connection may miss
   * some), so a long-lived view can use this to heal; each query asks every
   * gateway of the cluster.
   */
  refreshIntervalMs?: number;
  /** First delay before retrying a failed query (default 1000; doubles, at most 30 s). */
  retryMs?: number;
}

export interface PresenceUserEvent {
  room: string;
  userId: string;
}

export interface PresenceViewChange {
  room: string;
  /** Online users after the change, sorted. */
  users: string[];
  /** Users that came online or went offline; empty when only connections changed (a second tab). */
  changes: PresenceUserChange[];
}

export interface RoomPresenceEvents {
  /** A user's first connection arrived. */
  online: PresenceUserEvent;
  /** A user's last connection left (or its gateway was lost). */
  offline: PresenceUserEvent;
  /** Anything in the view changed: users or their connections. Fires after online/offline. */
  change: PresenceViewChange;
  /** A snapshot was merged: the view is complete for the current connection. */
  synced: { room: string; users: string[] };
  /** A presence query failed; it is retried while the room stays joined. */
  error: SwitchboardError;
}

/** What RoomPresence needs from a client (SwitchboardClient provides it). */
export interface PresenceSource {
  on<K extends 'presence' | 'joined' | 'left' | 'state'>(
    name: K,
    listener: (value: ClientEvents[K]) => void,
  ): () => void;
  /** The room is joined on the current, connected connection. */
  isJoined(room: string): boolean;
  presence(room: string, limit: number): Promise<PresenceSnapshot>;
}

const MAX_RETRY_MS = 30_000;

/**
 * The live user-level presence of one room, from SwitchboardClient.trackPresence():
 * a PresenceTracker fed with the room's presence events, re-synchronised with
 * a snapshot (beginSnapshot + PresenceQuery) every time the room is joined on
 * a connection, so a reconnect (to any gateway) heals whatever was missed.
 * While reconnecting the last view is kept (`synced` is false) and the next
 * snapshot corrects it, so a short outage does not flap the list.
 *
 * Runs on the client's event loop; listeners run synchronously.
 */
export class RoomPresence {
  private readonly tracker = new PresenceTracker();
  private readonly events = new Emitter<RoomPresenceEvents>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly limit: number;
  private readonly retryMs: number;
  /** Bumped by every query (and stop()): answers to older ones are dropped. */
  private seq = 0;
  private inFlight = false;
  private failures = 0;
  private isSynced = false;
  private stopped = false;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private refreshTimer?: ReturnType<typeof setInterval>;

  constructor(
    readonly room: string,
    private readonly source: PresenceSource,
    options: RoomPresenceOptions = {},
  ) {
    this.limit = options.limit ?? 1000;
    this.retryMs = Math.max(1, options.retryMs ?? 1000);
    this.unsubscribe.push(
      source.on('presence', (p) => {
        if (p.room !== this.room) return;
        const before = this.tracker.version;
        this.publish(this.tracker.apply(p), before);
      }),
      source.on('joined', (j) => {
        if (j.room === this.room) this.query().catch((e) => this.onQueryError(e));
      }),
      source.on('left', (l) => {
        if (l.room !== this.room) return;
        this.isSynced = false;
        const before = this.tracker.version;
        this.publish(this.tracker.clear(), before);
      }),
      source.on('state', (s) => {
        if (s.state === 'connected') return;
        this.isSynced = false;
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
      }),
    );
    const every = options.refreshIntervalMs ?? 0;
    if (every > 0) {
      this.refreshTimer = setInterval(() => {
        if (!this.inFlight && this.source.isJoined(this.room)) this.query().catch((e) => this.onQueryError(e));
      }, every);
    }
    if (source.isJoined(room)) this.query().catch((e) => this.onQueryError(e));
  }

  on<K extends keyof RoomPresenceEvents>(name: K, listener: (value: RoomPresenceEvents[K]) => void): () => void {
    return this.events.on(name, listener);
  }

  off<K extends keyof RoomPresenceEvents>(name: K, listener: (value: RoomPresenceEvents[K]) => void): void {
    this.events.off(name, listener);
  }

  /** Online users, sorted. */
  users(): string[] {
    return this.tracker.users();
  }

  isOnline(userId: string): boolean {
    return this.tracker.isOnline(userId);
  }

  /** Present connections of `userId` (its tabs and devices); 0 when offline. */
  connectionsOf(userId: string): number {
    return this.tracker.connectionsOf(userId);
  }

  /** Present connections (of `userId`, or of everyone), with their meta, gateway and join time. */
  members(userId?: string): PresenceMember[] {
    return this.tracker.members(userId);
  }

  get userCount(): number {
    return this.tracker.userCount;
  }

  /** True once a snapshot was merged on the current connection. */
  get synced(): boolean {
    return this.isSynced;
  }

  /**
   * Queries a snapshot now and merges it. Resolves once merged (or when a
   * newer query replaced this one); rejects when the query fails.
   */
  refresh(): Promise<void> {
    return this.query();
  }

  /** Stops listening to the client; the last view stays readable. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.seq++;
    for (const off of this.unsubscribe.splice(0)) off();
    clearTimeout(this.retryTimer);
    clearInterval(this.refreshTimer);
  }

  private async query(): Promise<void> {
    if (this.stopped) return;
    const seq = ++this.seq;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.inFlight = true;
    this.tracker.beginSnapshot();
    let snapshot: PresenceSnapshot;
    try {
      snapshot = await this.source.presence(this.room, this.limit);
    } catch (err) {
      if (seq !== this.seq) return;
      this.inFlight = false;
      const error =
        err instanceof SwitchboardError ? err : new SwitchboardError('TRANSPORT', `presence query failed: ${String(err)}`);
      this.scheduleRetry(error);
      throw error;
    }
    if (seq !== this.seq) return;
    this.inFlight = false;
    this.failures = 0;
    this.isSynced = true;
    const before = this.tracker.version;
    this.publish(this.tracker.applySnapshot(snapshot), before);
    this.events.emit('synced', { room: this.room, users: this.tracker.users() });
  }

  /** Retries while the room stays joined; a dropped connection re-queries on its rejoin instead. */
  private scheduleRetry(error: SwitchboardError): void {
    if (this.stopped || ['DISCONNECTED', 'CLOSED'].includes(error.code) || !this.source.isJoined(this.room)) return;
    const delay = error.details.retryAfterMs ?? Math.min(MAX_RETRY_MS, this.retryMs * 2 ** this.failures);
    this.failures++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.source.isJoined(this.room)) this.query().catch((e) => this.onQueryError(e));
    }, delay);
  }

  private onQueryError(error: SwitchboardError): void {
    if (['DISCONNECTED', 'CLOSED'].includes(error.code)) return; // the rejoin queries again
    this.events.emit('error', error);
  }

  private publish(changes: PresenceUserChange[], versionBefore: number): void {
    for (const c of changes) this.events.emit(c.kind, { room: this.room, userId: c.userId });
    if (this.tracker.version !== versionBefore) {
      this.events.emit('change', { room: this.room, users: this.tracker.users(), changes });
    }
  }
}
