import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PresenceMember, PresenceTracker, type PresenceUpdate } from '../dist/index.js';

function info(userId: string, connectionId: string, gatewayId = 'gw-a', joinedS = 100): PresenceMember {
  return { userId, connectionId, gatewayId, joinedAt: new Date(joinedS * 1000) };
}

function join(member: PresenceMember): PresenceUpdate {
  return { room: 'r', change: 'join', member };
}

function leave(member: PresenceMember): PresenceUpdate {
  return { room: 'r', change: 'leave', member };
}

function lost(gatewayId: string, restartedS?: number): PresenceUpdate {
  return {
    room: 'r',
    change: 'gateway_lost',
    member: {
      userId: '',
      connectionId: '',
      gatewayId,
      joinedAt: restartedS === undefined ? undefined : new Date(restartedS * 1000),
    },
  };
}

describe('PresenceTracker', () => {
  it('keeps a user with several tabs online until the last one leaves', () => {
    const t = new PresenceTracker();
    assert.deepEqual(t.apply(join(info('alice', 'a1'))), [{ kind: 'online', userId: 'alice' }]);
    assert.deepEqual(t.apply(join(info('alice', 'a2', 'gw-b'))), []);
    const v = t.version;
    assert.deepEqual(t.apply(join(info('alice', 'a2', 'gw-b'))), [], 'a repeated JOIN is the same entry');
    assert.equal(t.version, v, 'an identical repeat changes nothing');
    assert.equal(t.connectionsOf('alice'), 2);
    assert.deepEqual(t.apply(leave(info('alice', 'a1'))), []);
    assert.ok(t.isOnline('alice'));
    assert.deepEqual(t.apply(leave(info('alice', 'a2', 'gw-b'))), [{ kind: 'offline', userId: 'alice' }]);
    assert.ok(!t.isOnline('alice'));
    assert.equal(t.connectionCount, 0);
    assert.equal(t.connectionsOf('alice'), 0);
    assert.deepEqual(t.apply(leave(info('alice', 'a2'))), [], 'an unknown connection is ignored');
  });

  it('takes only the lost gateway’s entries', () => {
    const t = new PresenceTracker();
    t.apply(join(info('alice', 'a1', 'gw-a')));
    t.apply(join(info('alice', 'a2', 'gw-b')));
    t.apply(join(info('bob', 'b1', 'gw-b')));
    assert.deepEqual(t.apply(lost('gw-b')), [{ kind: 'offline', userId: 'bob' }]);
    assert.ok(t.isOnline('alice'));
    assert.equal(t.connectionCount, 1);
    assert.deepEqual(t.members().map((m) => m.connectionId), ['a1']);
  });

  it('keeps the entries a restarted gateway got after its restart', () => {
    const t = new PresenceTracker();
    t.apply(join(info('old', 'o1', 'gw-b', 100)));
    t.apply(join(info('new', 'n1', 'gw-b', 200)));
    t.apply(lost('gw-b', 150));
    assert.ok(!t.isOnline('old'));
    assert.ok(t.isOnline('new'));
  });

  it('ignores a GATEWAY_LOST without a gateway id', () => {
    const t = new PresenceTracker();
    t.apply(join(info('alice', 'a1', '')));
    assert.deepEqual(t.apply(lost('')), []);
    assert.ok(t.isOnline('alice'));
  });

  it('does not let an older snapshot revive or drop entries', () => {
    const t = new PresenceTracker();
    t.apply(join(info('alice', 'a1')));
    t.beginSnapshot();
    // While the query is out: bob's b1 leaves (before we ever saw it) and carol joins.
    t.apply(join(info('carol', 'c1')));
    t.apply(leave(info('bob', 'b1')));
    const changes = t.applySnapshot({
      members: [info('alice', 'a1'), info('bob', 'b1'), info('dave', 'd1')],
      connections: 3,
    });
    assert.deepEqual(t.users(), ['alice', 'carol', 'dave']);
    assert.deepEqual(changes, [{ kind: 'online', userId: 'dave' }]);
  });

  it('removes what a complete snapshot does not list, and nothing after a capped one', () => {
    const t = new PresenceTracker();
    t.apply(join(info('alice', 'a1')));
    t.apply(join(info('ghost', 'g1')));
    t.beginSnapshot();
    assert.deepEqual(t.applySnapshot({ members: [info('alice', 'a1')], connections: 1 }), [
      { kind: 'offline', userId: 'ghost' },
    ]);
    t.apply(join(info('bob', 'b1')));
    t.beginSnapshot();
    assert.deepEqual(t.applySnapshot({ members: [info('alice', 'a1')], connections: 5 }), []);
    assert.ok(t.isOnline('bob'));
  });

  it('lists members sorted, per user, and forgets everything on clear()', () => {
    const t = new PresenceTracker();
    t.apply(join(info('bob', 'b2')));
    t.apply(join(info('alice', 'a1')));
    t.apply(join(info('bob', 'b1')));
    assert.deepEqual(t.members().map((m) => m.connectionId), ['a1', 'b1', 'b2']);
    assert.deepEqual(t.members('bob').map((m) => m.connectionId), ['b1', 'b2']);
    assert.equal(t.userCount, 2);
    const v = t.version;
    // New metadata for a known connection: same user count, a new version.
    assert.deepEqual(t.apply(join({ ...info('bob', 'b1'), meta: { status: 'away' } })), []);
    assert.ok(t.version > v);
    assert.deepEqual(t.members('bob')[0].meta, { status: 'away' });
    assert.deepEqual(t.clear(), [
      { kind: 'offline', userId: 'alice' },
      { kind: 'offline', userId: 'bob' },
    ]);
    assert.deepEqual(t.users(), []);
  });
});
