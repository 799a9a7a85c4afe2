import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { type Payload, PayloadSchema } from './gen/proto/switchboard/client/v1/client_pb.js';
import { SwitchboardError } from './errors.js';
import type { OutboxStore, StoredPublish } from './outbox_store.js';

/** What a publish resolves with once the gateway stored the message. */
export interface PublishResult {
  room: string;
  messageId: string;
  /** The message's offset in the room (0 in ephemeral rooms). */
  offset: number;
  /** True when the gateway had already stored this message id (a retry). */
  duplicate: boolean;
}

/** One publish waiting for its PublishAck. */
export interface OutboxEntry {
  readonly room: string;
  readonly messageId: string;
  readonly payload: Payload;
  readonly createdAt: number;
  /** Request id of the frame on the current connection; undefined when not sent on it. */
  requestId?: bigint;
  /** Times sent (across connections and retries). */
  sends: number;
  /** Do not resend before this time (ms since epoch): a retryable error asked to wait. */
  notBefore: number;
  /** Restored from storage: nobody awaits it. */
  readonly restored: boolean;
  settle?: { resolve(r: PublishResult): void; reject(e: SwitchboardError): void };
  promise?: Promise<PublishResult>;
  timer?: ReturnType<typeof setTimeout>;
}

export interface OutboxOptions {
  /** A publish rejects with TIMEOUT when not acked this long after publish(). */
  timeoutMs: number;
  store?: OutboxStore;
  /** Restored entries older than this are dropped (default 24 h). */
  maxRestoredAgeMs?: number;
  /** Called whenever the number of pending entries changes. */
  onChange?: (pending: number) => void;
  /** Storage failures and failures of restored entries (which have no promise). */
  onError?: (error: SwitchboardError) => void;
  now?: () => number;
}

/**
 * Publishes that are not acknowledged yet, in publish order. An entry keeps
 * its message id for its whole life, so resending it after a reconnect or a
 * retryable error is deduplicated by the gateway: the app sees one message and
 * one PublishAck with one offset. The client decides when to send; the outbox
 * only keeps order, promises, deadlines and (optionally) durable copies.
 */
export class Outbox {
  private readonly entries = new Map<string, OutboxEntry>();
  private readonly byRequestId = new Map<bigint, OutboxEntry>();
  private readonly now: () => number;

  constructor(private readonly options: OutboxOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(messageId: string): OutboxEntry | undefined {
    return this.entries.get(messageId);
  }

  /** Pending entries in publish order. */
  list(): OutboxEntry[] {
    return [...this.entries.values()];
  }

  /** Entries not sent on the current connection and allowed to go now, in order. */
  due(): OutboxEntry[] {
    const now = this.now();
    return this.list().filter((e) => e.requestId === undefined && e.notBefore <= now);
  }

  /**
   * Queues a publish. Publishing a message id that is still pending returns the
   * pending promise (the app retried; the message goes out once).
   */
  add(room: string, messageId: string, payload: Payload, timeoutMs = this.options.timeoutMs): Promise<PublishResult> {
    const existing = this.entries.get(messageId);
    if (existing?.promise) return existing.promise;
    const entry: OutboxEntry = {
      room,
      messageId,
      payload,
      createdAt: this.now(),
      sends: 0,
      notBefore: 0,
      restored: false,
    };
    entry.promise = new Promise<PublishResult>((resolve, reject) => {
      entry.settle = { resolve, reject };
    });
    entry.timer = setTimeout(() => {
      this.fail(
        entry,
        new SwitchboardError(
          'TIMEOUT',
          `publish ${messageId} to ${room} not acknowledged within ${timeoutMs} ms ` +
            '(it may still be stored; publishing it again with the same messageId is safe)',
          { room },
        ),
      );
    }, timeoutMs);
    this.entries.set(messageId, entry);
    this.persist(entry);
    this.changed();
    return entry.promise;
  }

  /** Loads entries a previous page left in the store; they go before newer ones. */
  async restore(): Promise<number> {
    const store = this.options.store;
    if (!store) return 0;
    let stored: StoredPublish[];
    try {
      stored = await store.load();
    } catch (err) {
      this.options.onError?.(new SwitchboardError('STORAGE', `cannot load the outbox: ${String(err)}`));
      return 0;
    }
    const maxAge = this.options.maxRestoredAgeMs ?? 24 * 3600 * 1000;
    const restored: OutboxEntry[] = [];
    for (const s of stored) {
      if (this.entries.has(s.messageId)) continue;
      if (this.now() - s.createdAt > maxAge) {
        void store.remove(s.messageId).catch(() => {});
        continue;
      }
      let payload: Payload;
      try {
        payload = fromBinary(PayloadSchema, s.payload);
      } catch {
        void store.remove(s.messageId).catch(() => {});
        continue;
      }
      restored.push({
        room: s.room,
        messageId: s.messageId,
        payload,
        createdAt: s.createdAt,
        sends: 0,
        notBefore: 0,
        restored: true,
      });
    }
    if (restored.length === 0) return 0;
    const current = this.list();
    this.entries.clear();
    for (const e of [...restored, ...current]) this.entries.set(e.messageId, e);
    this.changed();
    return restored.length;
  }

  /** Records that `entry` went out on the current connection as request `requestId`. */
  markSent(entry: OutboxEntry, requestId: bigint): void {
    if (entry.requestId !== undefined) this.byRequestId.delete(entry.requestId);
    entry.requestId = requestId;
    entry.sends++;
    this.byRequestId.set(requestId, entry);
  }

  byRequest(requestId: bigint): OutboxEntry | undefined {
    return this.byRequestId.get(requestId);
  }

  /** The gateway stored it: resolve and forget. */
  ack(entry: OutboxEntry, offset: bigint, duplicate: boolean): void {
    if (!this.remove(entry)) return;
    entry.settle?.resolve({ room: entry.room, messageId: entry.messageId, offset: Number(offset), duplicate });
  }

  /** A final failure: reject and forget. */
  fail(entry: OutboxEntry, error: SwitchboardError): void {
    if (!this.remove(entry)) return;
    if (entry.settle) {
      entry.settle.reject(error);
    } else {
      this.options.onError?.(error);
    }
  }

  /** A retryable failure: send again on this connection, not before `delayMs`. */
  retryLater(entry: OutboxEntry, delayMs: number): void {
    if (entry.requestId !== undefined) this.byRequestId.delete(entry.requestId);
    entry.requestId = undefined;
    entry.notBefore = this.now() + delayMs;
  }

  /** The connection is gone: everything unacked is sent again on the next one. */
  onDisconnected(): void {
    this.byRequestId.clear();
    for (const e of this.entries.values()) {
      e.requestId = undefined;
      e.notBefore = 0;
    }
  }

  /** The client is closing: reject every awaited entry (durable copies stay for the next page). */
  rejectAll(error: SwitchboardError): void {
    for (const e of this.list()) {
      if (e.timer) clearTimeout(e.timer);
      this.entries.delete(e.messageId);
      e.settle?.reject(error);
    }
    this.byRequestId.clear();
    this.changed();
  }

  private remove(entry: OutboxEntry): boolean {
    if (this.entries.get(entry.messageId) !== entry) return false;
    this.entries.delete(entry.messageId);
    if (entry.requestId !== undefined) this.byRequestId.delete(entry.requestId);
    if (entry.timer) clearTimeout(entry.timer);
    const store = this.options.store;
    if (store) {
      store.remove(entry.messageId).catch((err) => {
        this.options.onError?.(new SwitchboardError('STORAGE', `cannot update the outbox: ${String(err)}`));
      });
    }
    this.changed();
    return true;
  }

  private persist(entry: OutboxEntry): void {
    const store = this.options.store;
    if (!store) return;
    store
      .put({
        messageId: entry.messageId,
        room: entry.room,
        payload: toBinary(PayloadSchema, entry.payload),
        createdAt: entry.createdAt,
      })
      .catch((err) => {
        this.options.onError?.(new SwitchboardError('STORAGE', `cannot store the outbox: ${String(err)}`));
      });
  }

  private changed(): void {
    this.options.onChange?.(this.entries.size);
  }
}
