import { SwitchboardError } from './errors.js';

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: SwitchboardError): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Promises waiting for an answer identified by a key (a request id, a room
 * name), each with its own deadline. Settling a key settles every waiter of
 * that key; a waiter whose deadline passes rejects alone. Single-threaded.
 */
export class Waiters<K, T> {
  private readonly waiters = new Map<K, Waiter<T>[]>();

  /** Waits for `key`; rejects with `onTimeout()` after `timeoutMs`. */
  wait(key: K, timeoutMs: number, onTimeout: () => SwitchboardError): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const list = this.waiters.get(key);
          const i = list?.indexOf(waiter) ?? -1;
          if (list && i >= 0) list.splice(i, 1);
          if (list?.length === 0) this.waiters.delete(key);
          reject(onTimeout());
        }, timeoutMs),
      };
      const list = this.waiters.get(key) ?? [];
      list.push(waiter);
      this.waiters.set(key, list);
    });
  }

  has(key: K): boolean {
    return this.waiters.has(key);
  }

  /** Resolves every waiter of `key`; false when there was none. */
  resolve(key: K, value: T): boolean {
    return this.settle(key, (w) => w.resolve(value));
  }

  /** Rejects every waiter of `key`; false when there was none. */
  reject(key: K, error: SwitchboardError): boolean {
    return this.settle(key, (w) => w.reject(error));
  }

  rejectAll(error: SwitchboardError): void {
    for (const key of [...this.waiters.keys()]) this.reject(key, error);
  }

  private settle(key: K, fn: (w: Waiter<T>) => void): boolean {
    const list = this.waiters.get(key);
    if (!list) return false;
    this.waiters.delete(key);
    for (const w of list) {
      clearTimeout(w.timer);
      fn(w);
    }
    return list.length > 0;
  }
}
