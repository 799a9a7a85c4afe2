import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RoomTracker } from '../dist/index.js';

describe('RoomTracker', () => {
  it('joins fresh with history, then resumes after the last offset seen', () => {
    const t = new RoomTracker();
    assert.ok(t.add('chat:a', { history: 20, presence: true }));
    assert.ok(!t.add('chat:a'));
    const first = t.joinSpec('chat:a')!;
    assert.equal(first.sinceOffset, undefined);
    assert.equal(first.history, 20);
    assert.equal(first.presence, true);

    const joined = t.onJoined('chat:a', 7n, true, false)!;
    assert.equal(joined.resumedFrom, undefined);
    // History (<= 7) and then live messages are all new.
    for (const o of [3n, 5n, 7n, 9n]) assert.ok(t.accept('chat:a', o));
    t.onDisconnected();
    assert.ok(!t.isJoined('chat:a'));
    const resume = t.joinSpec('chat:a')!;
    assert.equal(resume.sinceOffset, 9n);
    assert.equal(resume.history, 0);
    const again = t.onJoined('chat:a', 12n, true, false)!;
    assert.equal(again.resumedFrom, 9n);
    assert.ok(again.recovered);
  });

  it('drops duplicates and out-of-order replays', () => {
    const t = new RoomTracker();
    t.add('r');
    t.joinSpec('r');
    t.onJoined('r', 0n, true, false);
    assert.ok(t.accept('r', 1n));
    assert.ok(t.accept('r', 2n));
    assert.ok(!t.accept('r', 2n));
    assert.ok(!t.accept('r', 1n));
    assert.ok(t.accept('r', 5n));
    assert.equal(t.duplicatesDropped, 2);
    assert.equal(t.lastSeen('r'), 5n);
    assert.ok(!t.accept('not-wanted', 9n));
  });

  it('resumes from the join-time offset when nothing was delivered yet', () => {
    const t = new RoomTracker();
    t.add('r');
    t.joinSpec('r');
    t.onJoined('r', 40n, true, false);
    t.onDisconnected();
    assert.equal(t.joinSpec('r')!.sinceOffset, 40n);
    t.onJoined('r', 45n, true, false);
    assert.ok(!t.accept('r', 40n));
    assert.ok(t.accept('r', 41n));
  });

  it('surfaces recovered=false and survives a room whose offsets went backwards', () => {
    const t = new RoomTracker();
    t.add('r');
    t.joinSpec('r');
    t.onJoined('r', 0n, true, false);
    assert.ok(t.accept('r', 100n));
    t.onDisconnected();
    assert.equal(t.joinSpec('r')!.sinceOffset, 100n);
    // The stream was recreated: latest is 3 now, and 4, 5... follow.
    const outcome = t.onJoined('r', 3n, false, false)!;
    assert.equal(outcome.recovered, false);
    assert.ok(t.accept('r', 4n), 'new offsets after a reset are not duplicates');
  });

  it('never resumes ephemeral rooms by offset', () => {
    const t = new RoomTracker();
    t.add('eph:cursors', { history: 5 });
    t.joinSpec('eph:cursors');
    t.onJoined('eph:cursors', 0n, true, true);
    assert.ok(t.accept('eph:cursors', 0n));
    assert.ok(t.accept('eph:cursors', 0n));
    t.onDisconnected();
    assert.equal(t.joinSpec('eph:cursors')!.sinceOffset, undefined);
  });
});
