/** A publish that outlives the page: what the outbox keeps in storage. */
export interface StoredPublish {
  messageId: string;
  room: string;
  /** The Payload message, protobuf-encoded. */
  payload: Uint8Array;
  /** Milliseconds since the epoch when the app published it. */
  createdAt: number;
  /**
   * When it was first sent (ms since the epoch); absent while never sent.
   * Written before that send goes out, so a stored entry without it was
   * never sent.
   */
  firstSentAt?: number;
}

/**
 * Durable storage of unacknowledged publishes, so that messages written while
 * offline survive a reload. Implementations must keep entries until removed;
 * order is restored from createdAt.
 */
export interface OutboxStore {
  load(): Promise<StoredPublish[]>;
  put(entry: StoredPublish): Promise<void>;
  remove(messageId: string): Promise<void>;
}

/** Keeps entries in memory only (tests, or hosts without IndexedDB). */
export class MemoryOutboxStore implements OutboxStore {
  readonly entries = new Map<string, StoredPublish>();

  async load(): Promise<StoredPublish[]> {
    return [...this.entries.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  async put(entry: StoredPublish): Promise<void> {
    this.entries.set(entry.messageId, entry);
  }

  async remove(messageId: string): Promise<void> {
    this.entries.delete(messageId);
  }
}

function promisify<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * IndexedDB-backed store (database "switchboard-outbox", one object store per
 * `namespace`, e.g. the gateway URL plus the user). Two tabs of the same
 * namespace may both resend a restored entry; the gateway's dedupe window on
 * message ids makes that harmless.
 */
export class IndexedDbOutboxStore implements OutboxStore {
  private db?: Promise<IDBDatabase>;

  constructor(
    private readonly namespace: string,
    private readonly factory: IDBFactory = globalThis.indexedDB,
  ) {
    if (!factory) throw new Error('IndexedDB is not available here');
  }

  private open(): Promise<IDBDatabase> {
    if (!this.db) {
      const request = this.factory.open('switchboard-outbox', 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore('publishes', { keyPath: ['namespace', 'messageId'] });
      };
      this.db = promisify(request);
    }
    return this.db;
  }

  private async store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    const db = await this.open();
    return db.transaction('publishes', mode).objectStore('publishes');
  }

  async load(): Promise<StoredPublish[]> {
    const store = await this.store('readonly');
    const range = IDBKeyRange.bound([this.namespace, ''], [this.namespace, '\uffff']);
    const rows = (await promisify(store.getAll(range))) as (StoredPublish & { namespace: string })[];
    return rows
      .map(({ messageId, room, payload, createdAt, firstSentAt }) => ({ messageId, room, payload, createdAt, firstSentAt }))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async put(entry: StoredPublish): Promise<void> {
    const store = await this.store('readwrite');
    await promisify(store.put({ ...entry, namespace: this.namespace }));
  }

  async remove(messageId: string): Promise<void> {
    const store = await this.store('readwrite');
    await promisify(store.delete([this.namespace, messageId]));
  }
}
