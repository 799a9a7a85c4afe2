import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { WebSocket } from 'ws';
import {
  type JoinedEvent,
  type PresenceUpdate,
  proto,
  type RoomPresence,
  SwitchboardClient,
  type SwitchboardError,
  type WebSocketConstructor,
} from '../dist/index.js';
import { FakeGateway, waitFor } from './fake_gateway.js';

let server: FakeGateway;
const clients: SwitchboardClient[] = [];
const trackers: RoomPresence[] = [];

/** A client whose token is `token` (the fake gateway's user "u-<token>"). */
function makeClient(token: string): SwitchboardClient {
  const client = new SwitchboardClient({
    url: server.url,
    format: 'protobuf',
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    getToken: () => token,
    backoff: { baseMs: 20, capMs: 100 },
    requestTimeoutMs: 2000,
  });
  clients.push(client);
  return client;
}

async function member(token: string, room: string): Promise<SwitchboardClient> {
  const c = makeClient(token);
  await c.connect();
  await c.join(room, { presence: true });
  return c;
}

interface Log {
  events: string[];
  synced: number;
  errors: SwitchboardError[];
}

function track(client: SwitchboardClient, room: string, options = {}): [RoomPresence, Log] {
  const p = client.trackPresence(room, options);
  trackers.push(p);
  const log: Log = { events: [], synced: 0, errors: [] };
  p.on('online', (e) => log.events.push(`+${e.userId}`));
  p.on('offline', (e) => log.events.push(`-${e.userId}`));
  p.on('synced', () => log.synced++);
  p.on('error', (e) => log.errors.push(e));
  return [p, log];
}

function queries(): number {
  return server.frames.filter((f) => f.kind.case === 'presenceQuery').length;
}

beforeEach(async () => {
  server = new FakeGateway();
  await server.start();
});

afterEach(async () => {
  for (const t of trackers.splice(0)) t.stop();
  for (const c of clients.splice(0)) c.close();
  await server.stop();
});

describe('client presence events', () => {
  it('carries the gateway id and passes GATEWAY_LOST on', async () => {
    const bob = await member('bob', 'chat:ev');
    const updates: PresenceUpdate[] = [];
    bob.on('presence', (p) => updates.push(p));
    await member('alice', 'chat:ev');
    await waitFor('alice joined', () => updates.some((u) => u.member.userId === 'u-alice'));
    assert.equal(updates[0].change, 'join');
    assert.equal(updates[0].member.gatewayId, 'fake');
    assert.ok(updates[0].member.joinedAt instanceof Date);
    server.announce('chat:ev', proto.PresenceChange.GATEWAY_LOST, create(proto.PresenceInfoSchema, { gatewayId: 'gw-x' }));
    server.announce('chat:ev', 7 as proto.PresenceChange, create(proto.PresenceInfoSchema, { gatewayId: 'gw-y' }));
    await waitFor('gateway lost', () => updates.some((u) => u.change === 'gateway_lost'));
    const lost = updates.find((u) => u.change === 'gateway_lost')!;
    assert.equal(lost.member.gatewayId, 'gw-x');
    assert.equal(lost.member.joinedAt, undefined);
    assert.ok(!updates.some((u) => u.member.gatewayId === 'gw-y'), 'an unknown change is not passed on');
  });
});

describe('trackPresence', () => {
  it('sees users come and go, and keeps a user with two tabs online until the last leaves', async () => {
    const bob = await member('bob', 'chat:p');
    const [view, log] = track(bob, 'chat:p');
    await waitFor('first snapshot', () => log.synced === 1);
    assert.deepEqual(view.users(), ['u-bob'], 'the tracking client sees itself');

    const tab1 = await member('alice', 'chat:p');
    await waitFor('alice online', () => view.isOnline('u-alice'));
    const tab2 = await member('alice', 'chat:p');
    await waitFor('two tabs', () => view.connectionsOf('u-alice') === 2);
    assert.equal(view.members('u-alice').length, 2);

    tab1.close();
    await waitFor('one tab left', () => view.connectionsOf('u-alice') === 1);
    assert.ok(view.isOnline('u-alice'));
    tab2.close();
    await waitFor('alice offline', () => !view.isOnline('u-alice'));
    assert.deepEqual(log.events, ['+u-bob', '+u-alice', '-u-alice']);
    assert.deepEqual(view.users(), ['u-bob']);
    assert.equal(queries(), 1, 'events alone kept the view current');
    assert.deepEqual(log.errors, []);
  });

  it('merges the cluster-wide snapshot and drops the entries of a lost gateway', async () => {
    server.remotePresence.set('chat:g', [
      create(proto.PresenceInfoSchema, { userId: 'carol', connectionId: 'gw-b-1', gatewayId: 'gw-b' }),
      create(proto.PresenceInfoSchema, { userId: 'bob', connectionId: 'gw-b-2', gatewayId: 'gw-b' }),
    ]);
    const bob = await member('bob', 'chat:g');
    const [view, log] = track(bob, 'chat:g');
    const changes: string[][] = [];
    view.on('change', (c) => changes.push(c.users));
    await waitFor('snapshot', () => view.synced);
    assert.deepEqual(view.users(), ['bob', 'carol', 'u-bob']);
    server.announce('chat:g', proto.PresenceChange.GATEWAY_LOST, create(proto.PresenceInfoSchema, { gatewayId: 'gw-b' }));
    await waitFor('gw-b gone', () => !view.isOnline('carol'));
    assert.deepEqual(view.users(), ['u-bob']);
    assert.deepEqual(log.events, ['+u-bob', '+carol', '+bob', '-carol', '-bob']);
    assert.deepEqual(changes.at(-1), ['u-bob']);
  });

  it('re-queries after a reconnect and heals the events it missed', async () => {
    const bob = await member('bob', 'chat:r');
    const joined: JoinedEvent[] = [];
    bob.on('joined', (j) => joined.push(j));
    const [view, log] = track(bob, 'chat:r');
    const alice = await member('alice', 'chat:r');
    await waitFor('alice online', () => view.isOnline('u-alice'));

    // Alice's LEAVE is lost (a slow connection drops lossy frames); then
    // Bob's connection drops and comes back.
    server.presenceEvents = false;
    alice.close();
    await waitFor('alice gone at the gateway', () => server.conns.filter((c) => c.userId === 'u-alice').every((c) => c.closed));
    assert.ok(view.isOnline('u-alice'), 'the missed LEAVE left a stale entry');
    server.presenceEvents = true;
    server.closeAll(proto.CloseCode.DISCONNECTED);
    await waitFor('second snapshot', () => log.synced === 2);
    assert.deepEqual(view.users(), ['u-bob']);
    assert.deepEqual(log.events.slice(-1), ['-u-alice']);
    assert.equal(queries(), 2);
    assert.deepEqual(
      joined.map((j) => j.rejoined),
      [true],
      'the rejoin is announced as one',
    );
    // Bob's old connection is gone from the view, the new one is in it.
    assert.deepEqual(
      view.members('u-bob').map((m) => m.connectionId),
      [server.connected()[0].connectionId],
    );
  });

  it('starts when the room is joined, retries a failed query, clears on a removal, stops', async () => {
    const bob = makeClient('bob');
    const [view, log] = track(bob, 'chat:s', { retryMs: 20 });
    let refuse = 1;
    server.onFrame = (conn, frame) => {
      if (frame.kind.case !== 'presenceQuery' || refuse-- <= 0) return false;
      conn.send(
        create(proto.ServerFrameSchema, {
          id: frame.id,
          kind: { case: 'error', value: { code: proto.ErrorCode.UNAVAILABLE, message: 'bus down', room: 'chat:s' } },
        }),
      );
      return true;
    };
    await bob.connect();
    assert.equal(queries(), 0, 'no query before the room is joined');
    await bob.join('chat:s', { presence: true });
    await waitFor('synced after a retry', () => view.synced);
    assert.equal(queries(), 2);
    assert.deepEqual(
      log.errors.map((e) => e.code),
      ['UNAVAILABLE'],
    );
    assert.deepEqual(view.users(), ['u-bob']);

    // The server removes Bob from the room: the view empties.
    const conn = server.connected()[0];
    conn.rooms.delete('chat:s');
    conn.send(create(proto.ServerFrameSchema, { kind: { case: 'left', value: { room: 'chat:s', reason: 'kicked' } } }));
    await waitFor('emptied', () => view.users().length === 0);
    assert.ok(!view.synced);
    assert.deepEqual(log.events, ['+u-bob', '-u-bob']);

    view.stop();
    await bob.join('chat:s', { presence: true });
    await waitFor('rejoined', () => bob.joinedRooms().includes('chat:s'));
    assert.equal(queries(), 2, 'a stopped view no longer queries');
  });

  it('refreshes on demand and on an interval', async () => {
    const bob = await member('bob', 'chat:i');
    const [view, log] = track(bob, 'chat:i', { refreshIntervalMs: 50 });
    await waitFor('three snapshots', () => log.synced >= 3);
    const n = log.synced;
    await view.refresh();
    assert.ok(log.synced > n);
    view.stop();
    const stopped = queries();
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(queries(), stopped, 'no query after stop()');
  });
});
