import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryOutboxStore, Outbox, type OutboxStore, type StoredPublish, SwitchboardError, toPayload } from '../dist/index.js';

describe('Outbox', () => {
  it('keeps publish order and hands out unsent entries in order', async () => {
    const o = new Outbox({ timeoutMs: 10_000 });
    const results = ['a', 'b', 'c'].map((id) => o.add('r', id, toPayload(id)));
    assert.deepEqual(o.due().map((e) => e.messageId), ['a', 'b', 'c']);
    o.markSent(o.get('a')!, 1n);
    assert.deepEqual(o.due().map((e) => e.messageId), ['b', 'c']);
    o.markSent(o.get('b')!, 2n);
    o.markSent(o.get('c')!, 3n);
    o.ack(o.byRequest(2n)!, 11n, false);
    o.onDisconnected();
    // Unacked ones go again, still in order, with their ids.
    assert.deepEqual(o.due().map((e) => e.messageId), ['a', 'c']);
    o.markSent(o.get('a')!, 4n);
    o.markSent(o.get('c')!, 5n);
    assert.equal(o.get('a')!.sends, 2);
    o.ack(o.byRequest(4n)!, 10n, true);
    o.ack(o.byRequest(5n)!, 12n, false);
    assert.deepEqual(await Promise.all(results), [
      { room: 'r', messageId: 'a', offset: 10, duplicate: true },
      { room: 'r', messageId: 'b', offset: 11, duplicate: false },
      { room: 'r', messageId: 'c', offset: 12, duplicate: false },
    ]);
    assert.equal(o.size, 0);
  });

  it('returns the pending promise when the same messageId is published again', async () => {
    const o = new Outbox({ timeoutMs: 10_000 });
    const p1 = o.add('r', 'same', toPayload('x'));
    const p2 = o.add('r', 'same', toPayload('x'));
    assert.equal(p1, p2);
    assert.equal(o.size, 1);
    o.ack(o.get('same')!, 3n, false);
    assert.equal((await p1).offset, 3);
  });

  it('rejects with TIMEOUT and forgets the entry', async () => {
    const sizes: number[] = [];
    const o = new Outbox({ timeoutMs: 30, onChange: (n) => sizes.push(n) });
    const p = o.add('r', 'slow', toPayload('x'));
    await assert.rejects(p, (e: SwitchboardError) => e.code === 'TIMEOUT' && e.details.room === 'r');
    assert.equal(o.size, 0);
    assert.deepEqual(sizes, [1, 0]);
    // A late ack for a forgotten entry changes nothing.
    assert.equal(o.get('slow'), undefined);
  });

  it('persists entries and restores them before newer ones', async () => {
    const store = new MemoryOutboxStore();
    const o1 = new Outbox({ timeoutMs: 10_000, store });
    void o1.add('r', 'old-1', toPayload({ n: 1 })).catch(() => {});
    void o1.add('r', 'old-2', toPayload('two')).catch(() => {});
    const acked = o1.add('r', 'acked', toPayload('x'));
    o1.ack(o1.get('acked')!, 1n, false);
    await acked;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([...store.entries.keys()], ['old-1', 'old-2']);
    o1.rejectAll(new SwitchboardError('CLOSED', 'page closed'));
    assert.equal(store.entries.size, 2, 'closing keeps durable copies');

    // The next page.
    const errors: SwitchboardError[] = [];
    const o2 = new Outbox({ timeoutMs: 10_000, store, onError: (e) => errors.push(e) });
    void o2.add('r', 'new', toPayload('n')).catch(() => {});
    assert.equal(await o2.restore(), 2);
    assert.deepEqual(o2.list().map((e) => e.messageId), ['old-1', 'old-2', 'new']);
    assert.ok(o2.get('old-1')!.restored);
    assert.deepEqual(o2.get('old-1')!.payload.data.case, 'json');
    // A restored entry that fails has no promise: it is reported as an error.
    o2.fail(o2.get('old-2')!, new SwitchboardError('PERMISSION_DENIED', 'no'));
    assert.equal(errors.length, 1);
    o2.rejectAll(new SwitchboardError('CLOSED', 'done'));
  });

  it('records the first send in the store before it goes out; later entries wait behind it', async () => {
    const puts: StoredPublish[] = [];
    const releases: (() => void)[] = [];
    const store: OutboxStore = {
      load: async () => [],
      put: (e) => {
        puts.push({ ...e });
        return e.firstSentAt === undefined ? Promise.resolve() : new Promise((r) => releases.push(r));
      },
      remove: async () => {},
    };
    let now = 1000;
    const o = new Outbox({ timeoutMs: 10_000, store, now: () => now });
    void o.add('r', 'a', toPayload('a')).catch(() => {});
    void o.add('r', 'b', toPayload('b')).catch(() => {});
    const a = o.get('a')!;
    let ready = 0;
    assert.equal(o.readyToSend(a, () => ready++), false);
    assert.deepEqual(puts.map((p) => [p.messageId, p.firstSentAt]), [['a', undefined], ['b', undefined], ['a', 1000]]);
    assert.deepEqual(o.due(), [], 'b does not overtake a');
    releases[0]();
    await new Promise((r) => setImmediate(r));
    assert.equal(ready, 1);
    assert.deepEqual(o.due().map((e) => e.messageId), ['a', 'b']);
    assert.equal(o.readyToSend(a, () => ready++), true, 'recorded already');
    o.markSent(a, 1n);
    o.onDisconnected();
    now = 1000 + 500;
    assert.equal(o.tooOldToResend(a, 500), false);
    now = 1000 + 501;
    assert.equal(o.tooOldToResend(a, 500), true);
    assert.equal(o.tooOldToResend(o.get('b')!, 500), false, 'never sent: never too old');
    o.rejectAll(new SwitchboardError('CLOSED', 'done'));
  });

  it('gives up on an entry: rejects it with FATE_UNKNOWN and hands it over', async () => {
    const store = new MemoryOutboxStore();
    const given: string[] = [];
    const o = new Outbox({ timeoutMs: 10_000, store, onFateUnknown: (e) => given.push(e.messageId) });
    const p = o.add('r', 'x', toPayload('x'));
    o.readyToSend(o.get('x')!, () => {});
    await new Promise((r) => setImmediate(r));
    o.giveUp(o.get('x')!, 100);
    await assert.rejects(p, (e: SwitchboardError) => e.code === 'FATE_UNKNOWN' && e.details.messageId === 'x');
    assert.deepEqual(given, ['x']);
    assert.equal(o.size, 0);
    await new Promise((r) => setImmediate(r));
    assert.equal(store.entries.size, 0);
  });

  it('drops restored entries older than a day that were never sent, keeps the sent ones (their fate is unknown)', async () => {
    const now = Date.now();
    const day = 24 * 3600 * 1000;
    const store = new MemoryOutboxStore();
    const payload = new Uint8Array();
    await store.put({ messageId: 'never-sent', room: 'r', payload, createdAt: now - 2 * day });
    await store.put({ messageId: 'sent', room: 'r', payload, createdAt: now - 2 * day, firstSentAt: now - 2 * day + 1000 });
    await store.put({ messageId: 'recent', room: 'r', payload, createdAt: now - 1000 });
    const o = new Outbox({ timeoutMs: 10_000, store });
    assert.equal(await o.restore(), 2);
    assert.deepEqual(o.list().map((e) => [e.messageId, e.restored]), [['sent', true], ['recent', true]]);
    assert.ok(o.tooOldToResend(o.get('sent')!, 120_000));
    assert.equal(o.get('sent')!.firstSentAt, now - 2 * day + 1000);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([...store.entries.keys()].sort(), ['recent', 'sent']);
    o.rejectAll(new SwitchboardError('CLOSED', 'done'));
  });

  it('waits before resending after a retryable error', () => {
    let now = 1000;
    const o = new Outbox({ timeoutMs: 10_000, now: () => now });
    void o.add('r', 'x', toPayload('x')).catch(() => {});
    o.markSent(o.get('x')!, 1n);
    o.retryLater(o.get('x')!, 500);
    assert.deepEqual(o.due(), []);
    assert.equal(o.byRequest(1n), undefined);
    now = 1500;
    assert.deepEqual(o.due().map((e) => e.messageId), ['x']);
    o.rejectAll(new SwitchboardError('CLOSED', 'done'));
  });
});

describe('Waiters', () => {
  it('settles every waiter of a key, times out alone', async () => {
    const { Waiters } = await import('../dist/index.js');
    const w = new Waiters<string, number>();
    const a = w.wait('k', 10_000, () => new SwitchboardError('TIMEOUT', 'a'));
    const b = w.wait('k', 10_000, () => new SwitchboardError('TIMEOUT', 'b'));
    const slow = w.wait('other', 20, () => new SwitchboardError('TIMEOUT', 'slow'));
    assert.ok(w.resolve('k', 7));
    assert.deepEqual(await Promise.all([a, b]), [7, 7]);
    assert.ok(!w.resolve('k', 8), 'settled keys are gone');
    await assert.rejects(slow, /slow/);
    assert.ok(!w.has('other'));
    const c = w.wait('x', 10_000, () => new SwitchboardError('TIMEOUT', 'c'));
    w.rejectAll(new SwitchboardError('CLOSED', 'bye'));
    await assert.rejects(c, /bye/);
  });
});
