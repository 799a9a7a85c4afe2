import type { PresenceMember, PresenceSnapshot, PresenceUpdate } from './types.js';

/** A user-level change: the user's first connection arrived, or their last one went. */
export interface PresenceUserChange {
  kind: 'online' | 'offline';
  userId: string;
}

/**
 * One room's presence as a member sees it, built from a PresenceSnapshot and
 * the presence events that follow (docs/protocol.md §5.8); the same logic as
 * clients/cpp/presence_tracker.h. Gateways announce connections; this turns
 * them into users: a user is online while any of their connections (tabs,
 * devices, on any gateway) is present, and goes offline only when the last one
 * leaves or its gateway is lost.
 *
 * Snapshots and events travel different paths, so a snapshot may be older
 * than events already applied. Call beginSnapshot() when sending the
 * PresenceQuery: connections that leave after that are not brought back by
 * the snapshot, and connections that join after it are kept.
 *
 * Pure state (no I/O, no timers). SwitchboardClient.trackPresence() feeds one
 * from a live connection; use this class directly to feed it yourself.
 */
export class PresenceTracker {
  /** By connection id. */
  private readonly entries = new Map<string, PresenceMember>();
  /** User id -> number of present connections. */
  private readonly counts = new Map<string, number>();
  /**
   * Since beginSnapshot(): connections that left (the snapshot must not
   * revive them) and that joined (the snapshot must not drop them).
   */
  private snapshotPending = false;
  private readonly leftSince = new Set<string>();
  private readonly joinedSince = new Set<string>();
  private revision = 0;

  /** Applies one presence event; returns the users it brought online or took offline. */
  apply(update: PresenceUpdate): PresenceUserChange[] {
    const changes: PresenceUserChange[] = [];
    const m = update.member;
    switch (update.change) {
      case 'join':
        if (!m.connectionId) break;
        this.add(m, changes);
        if (this.snapshotPending) {
          this.joinedSince.add(m.connectionId);
          this.leftSince.delete(m.connectionId);
        }
        break;
      case 'leave':
        // Remembered even when unknown: the pending snapshot may still list it.
        this.remove(m.connectionId, changes);
        if (this.snapshotPending) {
          this.leftSince.add(m.connectionId);
          this.joinedSince.delete(m.connectionId);
        }
        break;
      case 'gateway_lost': {
        // An event without a gateway id would match every entry of gateways
        // that do not report one: ignore it rather than empty the room.
        if (!m.gatewayId) break;
        // With joinedAt set the gateway restarted then: entries from its new
        // life stay.
        const restartedAt = m.joinedAt?.getTime();
        const gone: string[] = [];
        for (const [id, entry] of this.entries) {
          if (entry.gatewayId !== m.gatewayId) continue;
          if (restartedAt !== undefined && !((entry.joinedAt?.getTime() ?? 0) < restartedAt)) continue;
          gone.push(id);
        }
        gone.sort();
        for (const id of gone) {
          this.remove(id, changes);
          if (this.snapshotPending) {
            this.leftSince.add(id);
            this.joinedSince.delete(id);
          }
        }
        break;
      }
      default:
        break;
    }
    return changes;
  }

  /** A PresenceQuery is being sent now: events from here on win over its snapshot. */
  beginSnapshot(): void {
    this.snapshotPending = true;
    this.leftSince.clear();
    this.joinedSince.clear();
  }

  /**
   * Merges the answer to the query announced by beginSnapshot(). Its entries
   * are added unless they left since; when it is complete (it lists every
   * connection, `members.length >= connections`) entries it does not list are
   * dropped unless they joined since. A snapshot capped by its limit removes
   * nothing.
   */
  applySnapshot(snapshot: Pick<PresenceSnapshot, 'members' | 'connections'>): PresenceUserChange[] {
    const changes: PresenceUserChange[] = [];
    const listed = new Set<string>();
    for (const m of snapshot.members) {
      if (!m.connectionId) continue;
      listed.add(m.connectionId);
      if (this.leftSince.has(m.connectionId)) continue;
      this.add(m, changes);
    }
    if (snapshot.members.length >= snapshot.connections) {
      const gone = [...this.entries.keys()].filter((id) => !listed.has(id) && !this.joinedSince.has(id)).sort();
      for (const id of gone) this.remove(id, changes);
    }
    this.snapshotPending = false;
    this.leftSince.clear();
    this.joinedSince.clear();
    return changes;
  }

  /** Forgets everything (e.g. the room was left); returns an offline change per user. */
  clear(): PresenceUserChange[] {
    const changes = this.users().map((userId): PresenceUserChange => ({ kind: 'offline', userId }));
    if (this.entries.size > 0) this.revision++;
    this.entries.clear();
    this.counts.clear();
    this.snapshotPending = false;
    this.leftSince.clear();
    this.joinedSince.clear();
    return changes;
  }

  isOnline(userId: string): boolean {
    return this.counts.has(userId);
  }

  /** Connections of `userId` present now (0 when offline). */
  connectionsOf(userId: string): number {
    return this.counts.get(userId) ?? 0;
  }

  /** Online users, sorted. */
  users(): string[] {
    return [...this.counts.keys()].sort();
  }

  /** Present connections (of `userId`, or of everyone), sorted by user id then connection id. */
  members(userId?: string): PresenceMember[] {
    const out = [...this.entries.values()].filter((m) => userId === undefined || m.userId === userId);
    return out.sort((a, b) => compare(a.userId, b.userId) || compare(a.connectionId, b.connectionId));
  }

  get userCount(): number {
    return this.counts.size;
  }

  get connectionCount(): number {
    return this.entries.size;
  }

  /** Bumped by every change of the entries (users or connections); cheap change detection for views. */
  get version(): number {
    return this.revision;
  }

  /** Adds or replaces an entry; 'online' if it is the user's first. */
  private add(m: PresenceMember, changes: PresenceUserChange[]): void {
    const old = this.entries.get(m.connectionId);
    if (old && old.userId === m.userId) {
      // A repeated JOIN (re-announced, or listed again by a snapshot): the
      // same entry, possibly with newer metadata.
      if (!sameEntry(old, m)) {
        this.entries.set(m.connectionId, m);
        this.revision++;
      }
      return;
    }
    if (old) this.remove(m.connectionId, changes);
    this.entries.set(m.connectionId, m);
    this.revision++;
    const n = this.counts.get(m.userId) ?? 0;
    this.counts.set(m.userId, n + 1);
    if (n === 0) changes.push({ kind: 'online', userId: m.userId });
  }

  private remove(connectionId: string, changes: PresenceUserChange[]): void {
    const entry = this.entries.get(connectionId);
    if (!entry) return;
    this.entries.delete(connectionId);
    this.revision++;
    const n = this.counts.get(entry.userId) ?? 0;
    if (n <= 1) {
      this.counts.delete(entry.userId);
      changes.push({ kind: 'offline', userId: entry.userId });
    } else {
      this.counts.set(entry.userId, n - 1);
    }
  }
}

function sameEntry(a: PresenceMember, b: PresenceMember): boolean {
  return (
    a.gatewayId === b.gatewayId &&
    a.joinedAt?.getTime() === b.joinedAt?.getTime() &&
    JSON.stringify(a.meta ?? null) === JSON.stringify(b.meta ?? null)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
