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
  /**
   * When it was (or is about to be) first sent, ms since the epoch; undefined
   * while never sent. The dedupe window counts from here.
   */
  firstSentAt?: number;
  /** The store is recording firstSentAt; the first send waits for it. */
  persisting?: boolean;
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
  /** Restored entries never sent and older than this are dropped (default 24 h). */
  maxRestoredAgeMs?: number;
  /** Called whenever the number of pending entries changes. */
  onChange?: (pending: number) => void;
  /** Storage failures and failures of restored entries (which have no promise). */
  onError?: (error: SwitchboardError) => void;
  /** An entry given up by giveUp() (fate unknown), awaited or restored. */
  onFateUnknown?: (entry: OutboxEntry) => void;
  now?: () => number;
}

/**
 * Publishes that are not acknowledged yet, in publish order. An entry keeps
 * its message id for its whole life, so resending it after a reconnect or a
 * retryable error is deduplicated by the gateway: the app sees one message and
 * one PublishAck with one offset. That holds only within the stream's dedupe
 * window, counted from the first send: an entry still unacked after it is
 * given up (giveUp, "fate unknown") rather than resent. The client decides
 * when to send; the outbox only keeps order, promises, deadlines, first-send
 * times and (optionally) durable copies.
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

  /**
   * Entries not sent on the current connection and allowed to go now, in
   * order, up to the first one whose first send is still being recorded
   * (later ones must not overtake it).
   */
  due(): OutboxEntry[] {
    const now = this.now();
    const out: OutboxEntry[] = [];
    for (const e of this.entries.values()) {
      if (e.persisting) break;
      if (e.requestId === undefined && e.notBefore <= now) out.push(e);
    }
    return out;
  }

  /**
   * True when sending `entry` now could store it twice: it was first sent
   * longer than `limitMs` ago, so a gateway that stored it then no longer
   * recognises its id.
   */
  tooOldToResend(entry: OutboxEntry, limitMs: number): boolean {
    return entry.firstSentAt !== undefined && this.now() - entry.firstSentAt > limitMs;
  }

  /**
   * Call before sending `entry`. True: send it now. False: its first send is
   * being recorded in the store first (so that a later page knows it may
   * have been stored); `onReady` runs once that is done (or failed, which is
   * reported through onError), and the entry can go then.
   */
  readyToSend(entry: OutboxEntry, onReady: () => void): boolean {
    if (entry.firstSentAt !== undefined) return !entry.persisting;
    entry.firstSentAt = this.now();
    const store = this.options.store;
    if (!store) return true;
    entry.persisting = true;
    const done = () => {
      entry.persisting = false;
      if (this.entries.get(entry.messageId) === entry) onReady();
    };
    store.put(this.stored(entry)).then(done, (err) => {
      this.options.onError?.(new SwitchboardError('STORAGE', `cannot update the outbox: ${String(err)}`));
      done();
    });
    return false;
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
      // Too old and never sent: dropped. One that was sent is kept: the first
      // flush gives it up as fate unknown (giveUp), so that the app hears of it.
      if (this.now() - s.createdAt > maxAge && s.firstSentAt === undefined) {
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
        firstSentAt: s.firstSentAt,
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

  /**
   * Fate unknown: sent, never acked, and too old to resend with its id. Forget
   * it (also in the store), reject its promise with FATE_UNKNOWN, and hand it
   * to onFateUnknown.
   */
  giveUp(entry: OutboxEntry, limitMs: number): void {
    if (!this.remove(entry)) return;
    const sentAgo = this.now() - (entry.firstSentAt ?? entry.createdAt);
    entry.settle?.reject(
      new SwitchboardError(
        'FATE_UNKNOWN',
        `publish ${entry.messageId} to ${entry.room} was first sent ${sentAgo} ms ago and never acknowledged; ` +
          `resending it after ${limitMs} ms could store it twice, so it is not resent: ` +
          'look for its messageId in the room, or publish it again with a new messageId',
        { room: entry.room, messageId: entry.messageId },
      ),
    );
    this.options.onFateUnknown?.(entry);
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

  private stored(entry: OutboxEntry): StoredPublish {
    return {
      messageId: entry.messageId,
      room: entry.room,
      payload: toBinary(PayloadSchema, entry.payload),
      createdAt: entry.createdAt,
      firstSentAt: entry.firstSentAt,
    };
  }

  private persist(entry: OutboxEntry): void {
    const store = this.options.store;
    if (!store) return;
    store
      .put(this.stored(entry))
      .catch((err) => {
        this.options.onError?.(new SwitchboardError('STORAGE', `cannot store the outbox: ${String(err)}`));
      });
  }

  private changed(): void {
    this.options.onChange?.(this.entries.size);
  }
}
