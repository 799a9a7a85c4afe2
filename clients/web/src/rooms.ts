import type { JsonObject } from '@bufbuild/protobuf';

/** How a room is joined; kept so that every reconnect joins it the same way. */
export interface JoinOptions {
  /** On the first join, also deliver up to this many recent messages (default 0). */
  history?: number;
  /** Receive presence events of the room (default false). */
  presence?: boolean;
  /** Presence metadata for this room, merged over the token's `meta` claim. */
  meta?: JsonObject;
}

/** What the next Join of a room asks for. */
export interface JoinSpec {
  room: string;
  /** Resume after this offset; absent on a first join (or for ephemeral rooms). */
  sinceOffset?: bigint;
  history: number;
  presence: boolean;
  meta?: JsonObject;
}

/** The outcome of a Joined frame, as the tracker saw it. */
export interface JoinOutcome {
  room: string;
  offset: bigint;
  /** Set when this Joined answered a resume: where it resumed from and whether all was retained. */
  resumedFrom?: bigint;
  recovered: boolean;
  ephemeral: boolean;
}

interface RoomState {
  name: string;
  options: Required<Pick<JoinOptions, 'history' | 'presence'>> & { meta?: JsonObject };
  /** Joined on the current connection. */
  joined: boolean;
  /** Joined at least once: later joins resume instead of starting fresh. */
  everJoined: boolean;
  ephemeral: boolean;
  /** The room's latest offset when it was last joined. */
  joinedOffset: bigint;
  /** Highest offset delivered to the app; messages at or below it are duplicates. */
  lastSeen?: bigint;
  /** The position the in-flight Join resumes from, if any. */
  pendingSince?: bigint;
}

/**
 * Bookkeeping of the rooms the app wants to be in, and of how far each one was
 * delivered. It makes resume gap-free and duplicate-free: every (re)join asks
 * for the messages after the last offset delivered, and anything at or below
 * that offset (a replay overlapping live delivery, a retried batch) is dropped.
 * Pure state: no I/O, no timers.
 */
export class RoomTracker {
  private readonly rooms = new Map<string, RoomState>();
  private duplicates = 0;

  /** Adds a room the app wants. Returns false when it is already wanted. */
  add(name: string, options: JoinOptions = {}): boolean {
    if (this.rooms.has(name)) return false;
    this.rooms.set(name, {
      name,
      options: {
        history: Math.max(0, Math.floor(options.history ?? 0)),
        presence: options.presence ?? false,
        meta: options.meta,
      },
      joined: false,
      everJoined: false,
      ephemeral: name.startsWith('eph:'),
      joinedOffset: 0n,
    });
    return true;
  }

  remove(name: string): boolean {
    return this.rooms.delete(name);
  }

  has(name: string): boolean {
    return this.rooms.has(name);
  }

  isJoined(name: string): boolean {
    return this.rooms.get(name)?.joined ?? false;
  }

  names(): string[] {
    return [...this.rooms.keys()];
  }

  /** Messages dropped as duplicates so far. */
  get duplicatesDropped(): number {
    return this.duplicates;
  }

  /** The highest offset delivered in `name`, if any. */
  lastSeen(name: string): bigint | undefined {
    return this.rooms.get(name)?.lastSeen;
  }

  /**
   * The Join to send for `name` now: a resume from the last offset delivered
   * (or from the join-time offset when nothing was delivered yet) once the room
   * was joined before; a fresh join with history otherwise.
   */
  joinSpec(name: string): JoinSpec | undefined {
    const r = this.rooms.get(name);
    if (!r) return undefined;
    const spec: JoinSpec = {
      room: name,
      history: r.options.history,
      presence: r.options.presence,
      meta: r.options.meta,
    };
    if (r.everJoined && !r.ephemeral) {
      const since = r.lastSeen !== undefined && r.lastSeen > r.joinedOffset ? r.lastSeen : r.joinedOffset;
      spec.sinceOffset = since;
      spec.history = 0;
    }
    r.pendingSince = spec.sinceOffset;
    return spec;
  }

  /** Every wanted room's Join (for Connect.joins after a reconnect). */
  joinSpecs(): JoinSpec[] {
    return this.names().map((n) => this.joinSpec(n)!);
  }

  /** A Joined frame arrived. Returns undefined for a room no longer wanted. */
  onJoined(name: string, offset: bigint, recovered: boolean, ephemeral: boolean): JoinOutcome | undefined {
    const r = this.rooms.get(name);
    if (!r) return undefined;
    const resumedFrom = r.pendingSince;
    r.pendingSince = undefined;
    r.joined = true;
    r.ephemeral = ephemeral;
    if (resumedFrom === undefined) {
      // Fresh: history (offsets <= offset) follows, then live messages.
      r.lastSeen = undefined;
    } else if (r.lastSeen === undefined || r.lastSeen > offset) {
      // Nothing delivered yet, or the room's offsets went backwards (stream
      // recreated): what follows starts after `offset` or at the oldest kept.
      r.lastSeen = resumedFrom < offset ? resumedFrom : offset;
    }
    r.everJoined = true;
    r.joinedOffset = offset;
    return { room: name, offset, resumedFrom, recovered: resumedFrom === undefined ? true : recovered, ephemeral };
  }

  /**
   * A message arrived. Returns true when the app should see it, false for a
   * duplicate (offset at or below the last one delivered) or an unwanted room.
   * Ephemeral rooms have no offsets (0) and are never deduplicated.
   */
  accept(name: string, offset: bigint): boolean {
    const r = this.rooms.get(name);
    if (!r) return false;
    if (offset === 0n) return true;
    if (r.lastSeen !== undefined && offset <= r.lastSeen) {
      this.duplicates++;
      return false;
    }
    r.lastSeen = offset;
    return true;
  }

  /** The connection dropped: every room must be joined again. */
  onDisconnected(): void {
    for (const r of this.rooms.values()) {
      r.joined = false;
      r.pendingSince = undefined;
    }
  }

  /** A join failed: the room stays wanted but is not joined. */
  onJoinFailed(name: string): void {
    const r = this.rooms.get(name);
    if (r) {
      r.joined = false;
      r.pendingSince = undefined;
    }
  }
}
