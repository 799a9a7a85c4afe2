import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { WebSocket } from 'ws';
import {
  type ClientOptions,
  type FateUnknownEvent,
  type KickedEvent,
  MemoryOutboxStore,
  proto,
  type RecoveredEvent,
  type RoomMessage,
  type StateChange,
  SwitchboardClient,
  SwitchboardError,
  type TypingEvent,
  toPayload,
  type WebSocketConstructor,
} from '../dist/index.js';
import { FakeGateway, waitFor } from './fake_gateway.js';

interface Harness {
  client: SwitchboardClient;
  messages: RoomMessage[];
  states: StateChange[];
  recovered: RecoveredEvent[];
  errors: SwitchboardError[];
  tokens: string[];
}

let server: FakeGateway;
const clients: SwitchboardClient[] = [];

function makeClient(options: Partial<ClientOptions> = {}, tokenSeq: string[] = ['t']): Harness {
  const h: Harness = { messages: [], states: [], recovered: [], errors: [], tokens: [] } as unknown as Harness;
  let n = 0;
  h.client = new SwitchboardClient({
    url: server.url,
    format: 'json',
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    getToken: async () => {
      const t = tokenSeq[Math.min(n++, tokenSeq.length - 1)];
      h.tokens.push(t);
      return t;
    },
    backoff: { baseMs: 20, capMs: 100 },
    requestTimeoutMs: 2000,
    ...options,
  });
  h.client.on('message', (m) => h.messages.push(m));
  h.client.on('state', (s) => h.states.push(s));
  h.client.on('recovered', (r) => h.recovered.push(r));
  h.client.on('error', (e) => h.errors.push(e));
  clients.push(h.client);
  return h;
}

function texts(h: Harness, room?: string): string[] {
  return h.messages.filter((m) => room === undefined || m.room === room).map((m) => String(m.data));
}

function publishes(): proto.Publish[] {
  return server.frames.flatMap((f) => (f.kind.case === 'publish' ? [f.kind.value] : []));
}

async function replaceServer(next: FakeGateway): Promise<void> {
  await server.stop();
  server = next;
  await server.start();
}

beforeEach(async () => {
  server = new FakeGateway();
  await server.start();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.stop();
});

describe('SwitchboardClient basics', () => {
  for (const format of ['json', 'protobuf'] as const) {
    it(`connects, joins, publishes and receives (${format})`, async () => {
      const h = makeClient({ format });
      const welcome = await h.client.connect();
      assert.equal(welcome.userId, 'u-t');
      assert.equal(h.client.state, 'connected');
      const joined = await h.client.join('chat:a', { history: 10 });
      assert.deepEqual(joined, { room: 'chat:a', offset: 0, recovered: true, kind: 'persisted' });
      const ack = await h.client.publish('chat:a', 'hello', { messageId: 'm-1' });
      assert.deepEqual(ack, { room: 'chat:a', messageId: 'm-1', offset: 1, duplicate: false });
      const ack2 = await h.client.publish('chat:a', { kind: 'json', n: [1, 2] });
      assert.equal(ack2.offset, 2);
      await waitFor('2 messages', () => h.messages.length === 2);
      assert.equal(h.messages[0].data, 'hello');
      assert.deepEqual(h.messages[1].data, { kind: 'json', n: [1, 2] });
      assert.equal(h.messages[0].sender.userId, 'u-t');
      assert.equal(h.messages[0].replay, false);
      assert.ok(h.messages[0].time instanceof Date);
      assert.equal(server.conns[0].format, format);
    });
  }

  it('delivers history on join, marked as replay', async () => {
    server.inject('chat:h', 'one');
    server.inject('chat:h', 'two');
    server.inject('chat:h', 'three');
    const h = makeClient();
    await h.client.connect();
    const joined = await h.client.join('chat:h', { history: 2 });
    assert.equal(joined.offset, 3);
    await waitFor('history', () => h.messages.length === 2);
    assert.deepEqual(texts(h), ['two', 'three']);
    assert.ok(h.messages.every((m) => m.replay));
    const join = server.frames.find((f) => f.kind.case === 'join')!.kind.value as proto.Join;
    assert.equal(join.historyLimit, 2);
    assert.equal(join.position.case, undefined);
  });

  it('rejects a join the gateway refuses and drops the room', async () => {
    const h = makeClient();
    await h.client.connect();
    await assert.rejects(h.client.join('forbidden:x'), (e: SwitchboardError) => e.code === 'PERMISSION_DENIED');
    assert.deepEqual(h.client.joinedRooms(), []);
  });

  it('joins a room once even when asked twice, and leaves it', async () => {
    const h = makeClient();
    await h.client.connect();
    const [a, b] = await Promise.all([h.client.join('chat:twice'), h.client.join('chat:twice')]);
    assert.deepEqual(a, b);
    assert.deepEqual(await h.client.join('chat:twice'), a, 'joined already: resolves at once');
    assert.equal(server.frames.filter((f) => f.kind.case === 'join').length, 1);
    await h.client.leave('chat:twice');
    assert.equal(server.frames.filter((f) => f.kind.case === 'leave').length, 1);
    assert.deepEqual(h.client.joinedRooms(), []);
    server.inject('chat:twice', 'not for us');
    server.closeAll(proto.CloseCode.DISCONNECTED);
    await waitFor('reconnected', () => server.connected().length === 1 && server.conns.length === 2);
    assert.equal((server.conns[1].frames[0].kind.value as proto.Connect).joins.length, 0, 'no rejoin after leave');
    assert.deepEqual(h.messages, []);
  });

  it('sends typing and custom events to the other members', async () => {
    const a = makeClient({}, ['alice']);
    const b = makeClient({}, ['bob']);
    await Promise.all([a.client.connect(), b.client.connect()]);
    await Promise.all([a.client.join('chat:t'), b.client.join('chat:t')]);
    const typing: TypingEvent[] = [];
    const events: unknown[] = [];
    b.client.on('typing', (t) => typing.push(t));
    b.client.on('event', (e) => events.push(e));
    assert.ok(a.client.typing('chat:t'));
    assert.ok(a.client.sendEvent('chat:t', 'reaction', { emoji: '+1' }));
    assert.ok(!a.client.typing('chat:not-joined'));
    await waitFor('typing and event', () => typing.length === 1 && events.length === 1);
    assert.equal(typing[0].sender.userId, 'u-alice');
    assert.deepEqual(events[0], {
      room: 'chat:t',
      type: 'custom',
      name: 'reaction',
      sender: { userId: 'u-alice', connectionId: server.conns[0].connectionId },
      time: undefined,
      data: { emoji: '+1' },
    });
    const snapshot = await b.client.presence('chat:t');
    assert.deepEqual(snapshot.members.map((m) => m.userId).sort(), ['u-alice', 'u-bob']);
    assert.equal(snapshot.users, 2);
  });
});

describe('outbox', () => {
  it('queues publishes made before connecting and sends them in order', async () => {
    const h = makeClient();
    const acks = ['1', '2', '3', '4', '5'].map((t) => h.client.publish('chat:o', t, { messageId: `id-${t}` }));
    assert.equal(h.client.outboxSize, 5);
    await h.client.connect();
    const results = await Promise.all(acks);
    assert.deepEqual(results.map((r) => r.offset), [1, 2, 3, 4, 5]);
    assert.deepEqual(publishes().map((p) => p.messageId), ['id-1', 'id-2', 'id-3', 'id-4', 'id-5']);
    assert.equal(h.client.outboxSize, 0);
  });

  it('resends with the same messageId after a lost ack; the message is stored once', async () => {
    const h = makeClient();
    await h.client.connect();
    await h.client.join('chat:r');
    server.closeBeforeAck = { code: 1011, ids: new Set(['keep-me']) };
    const ack = await h.client.publish('chat:r', 'exactly once', { messageId: 'keep-me' });
    assert.equal(ack.duplicate, true, 'the retry was recognised as a duplicate');
    assert.equal(ack.offset, 1);
    const sent = publishes().filter((p) => p.messageId === 'keep-me');
    assert.equal(sent.length, 2, 'sent on the first and again on the second connection');
    assert.equal(server.rooms.get('chat:r')!.messages.length, 1);
    // Delivered live before the drop; the resume does not deliver it again.
    await waitFor('resumed', () => h.recovered.length === 1);
    assert.deepEqual(texts(h), ['exactly once']);
  });

  it('rejects with TIMEOUT when no ack comes in time', async () => {
    const h = makeClient({ publishTimeoutMs: 150 });
    await h.client.connect();
    server.ackPublishes = false;
    const started = Date.now();
    await assert.rejects(
      h.client.publish('chat:x', 'lost'),
      (e: SwitchboardError) => e.code === 'TIMEOUT' && e.details.room === 'chat:x',
    );
    assert.ok(Date.now() - started >= 140);
    assert.equal(h.client.outboxSize, 0);
  });

  it('retries after UNAVAILABLE and RATE_LIMITED, fails on final errors', async () => {
    const h = makeClient();
    await h.client.connect();
    server.publishErrors.push(
      create(proto.ErrorSchema, { code: proto.ErrorCode.UNAVAILABLE, message: 'bus down', retryAfter: { nanos: 50e6 } }),
      create(proto.ErrorSchema, { code: proto.ErrorCode.RATE_LIMITED, message: 'slow down', retryAfter: { nanos: 20e6 } }),
    );
    const ack = await h.client.publish('chat:e', 'eventually', { messageId: 'retry-1' });
    assert.equal(ack.offset, 1);
    assert.equal(publishes().filter((p) => p.messageId === 'retry-1').length, 3);
    server.publishErrors.push(create(proto.ErrorSchema, { code: proto.ErrorCode.PERMISSION_DENIED, message: 'no' }));
    await assert.rejects(h.client.publish('chat:e', 'nope'), (e: SwitchboardError) => e.code === 'PERMISSION_DENIED');
    await assert.rejects(h.client.publish('chat:e', 'x', { messageId: 'has space' }), /messageId/);
  });

  it('persists the outbox in the given store and resends it on the next start', async () => {
    const store = new MemoryOutboxStore();
    const first = makeClient({ persistOutbox: store });
    const pending = first.client.publish('chat:p', 'written offline', { messageId: 'offline-1' });
    pending.catch(() => {});
    await waitFor('stored', () => store.entries.size === 1);
    first.client.close(); // the tab closes before ever connecting
    await assert.rejects(pending, (e: SwitchboardError) => e.code === 'CLOSED');
    assert.equal(store.entries.size, 1);

    const second = makeClient({ persistOutbox: store });
    const joined = second.client.join('chat:p'); // queued until connected
    await second.client.connect();
    await joined;
    await waitFor('delivered', () => server.rooms.get('chat:p')?.messages.length === 1);
    await waitFor('store emptied', () => store.entries.size === 0);
    assert.equal(server.rooms.get('chat:p')!.messages[0].messageId, 'offline-1');
  });
});

describe('reconnection and resume', () => {
  it('resumes every room from the last offset seen, without gaps or duplicates', async () => {
    const h = makeClient();
    await h.client.connect();
    await h.client.join('chat:a');
    await h.client.join('chat:b', { history: 5 });
    for (const t of ['a1', 'a2', 'a3']) server.inject('chat:a', t);
    server.inject('chat:b', 'b1');
    await waitFor('4 live', () => h.messages.length === 4);

    server.goDown();
    await waitFor('a failed attempt', () => h.states.filter((s) => s.state === 'reconnecting').length >= 2);
    // Stored while the client is away.
    server.inject('chat:a', 'a4');
    server.inject('chat:b', 'b2');
    server.inject('chat:a', 'a5');
    server.refusing = false;

    await waitFor('resumed both', () => h.recovered.length === 2);
    await waitFor('all messages', () => h.messages.length === 7);
    assert.deepEqual(texts(h, 'chat:a'), ['a1', 'a2', 'a3', 'a4', 'a5']);
    assert.deepEqual(texts(h, 'chat:b'), ['b1', 'b2']);
    const connect = server.connected().at(-1)!.frames[0].kind.value as proto.Connect;
    const since = Object.fromEntries(
      connect.joins.map((j) => [j.room, j.position.case === 'sinceOffset' ? Number(j.position.value) : -1]),
    );
    assert.deepEqual(since, { 'chat:a': 3, 'chat:b': 4 });
    assert.ok(connect.joins.every((j) => j.historyLimit === 0), 'a resume asks for no history');
    assert.ok(connect.sessionId.startsWith('session-'), 'the session id is passed back');
    assert.ok(h.recovered.every((r) => r.recovered));
    assert.equal(h.client.stats.reconnects, 1);
  });

  it('drops duplicates from overlapping replays', async () => {
    const h = makeClient();
    await h.client.connect();
    await h.client.join('chat:d');
    for (const t of ['d1', 'd2', 'd3']) server.inject('chat:d', t);
    await waitFor('3 live', () => h.messages.length === 3);
    server.replayOverlap = 2n; // the resume replay repeats d2 and d3
    server.closeAll(proto.CloseCode.SLOW_CONSUMER, 'slow consumer');
    await waitFor('resumed', () => h.recovered.length === 1);
    server.inject('chat:d', 'd4');
    // A live frame delivered twice (e.g. overlapping subscriptions).
    const dup = server.rooms.get('chat:d')!.messages.at(-1)!;
    server.connected()[0].send(create(proto.ServerFrameSchema, { kind: { case: 'message', value: dup } }));
    server.inject('chat:d', 'd5');
    await waitFor('d5', () => texts(h).includes('d5'));
    assert.deepEqual(texts(h), ['d1', 'd2', 'd3', 'd4', 'd5']);
    assert.equal(h.client.stats.duplicatesDropped, 3);
    const counts = new Map<string, number>();
    for (const m of h.messages) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    assert.ok([...counts.values()].every((c) => c === 1));
  });

  it('surfaces recovered=false when the history no longer covers the gap', async () => {
    const h = makeClient();
    await h.client.connect();
    await h.client.join('chat:g');
    server.inject('chat:g', 'g1');
    await waitFor('g1', () => h.messages.length === 1);
    server.goDown();
    await waitFor('a failed attempt', () => h.states.filter((s) => s.state === 'reconnecting').length >= 2);
    for (const t of ['g2', 'g3', 'g4']) server.inject('chat:g', t);
    server.trim('chat:g', 2n); // g1 and g2 are gone
    server.refusing = false;
    await waitFor('resumed', () => h.recovered.length === 1);
    assert.deepEqual(h.recovered[0], { room: 'chat:g', recovered: false, sinceOffset: 1, offset: 4 });
    await waitFor('g4', () => texts(h).includes('g4'));
    assert.deepEqual(texts(h), ['g1', 'g3', 'g4']);
  });

  it('backs off with full jitter between failed attempts', async () => {
    const h = makeClient({ backoff: { baseMs: 40, capMs: 150 }, random: () => 0.5 });
    await h.client.connect();
    await server.stop(); // nothing listens: every attempt fails
    await waitFor('4 retries', () => h.states.filter((s) => s.state === 'reconnecting').length >= 4);
    const delays = h.states.filter((s) => s.state === 'reconnecting').map((s) => s.retryInMs);
    assert.deepEqual(delays.slice(0, 4), [20, 40, 75, 75]);
    h.client.close();
    server = new FakeGateway(); // afterEach stops it
    await server.start();
  });

  it('honours GoingAway instead of backing off', async () => {
    const h = makeClient({ backoff: { baseMs: 20_000, capMs: 30_000 } });
    await h.client.connect();
    const conn = server.connected()[0];
    conn.send(
      create(proto.ServerFrameSchema, {
        kind: { case: 'goingAway', value: { reason: 'deploy', reconnectAfter: { nanos: 200e6 } } },
      }),
    );
    const sent = Date.now();
    setTimeout(() => conn.ws.close(proto.CloseCode.GOING_AWAY, 'draining'), 50);
    await waitFor('second connection', () => server.connected().length === 1 && server.conns.length === 2, 3000);
    const elapsed = Date.now() - sent;
    assert.ok(elapsed >= 190 && elapsed < 2000, `reconnected after ${elapsed} ms`);
  });

  it('calls getToken again for every connection', async () => {
    const h = makeClient({}, ['first', 'second']);
    await h.client.connect();
    server.closeAll(proto.CloseCode.TOKEN_EXPIRED, 'token expired');
    await waitFor('reconnected', () => server.connected().length === 1 && server.conns.length === 2);
    assert.deepEqual(h.tokens, ['first', 'second']);
    assert.equal((server.conns[1].frames[0].kind.value as proto.Connect).token, 'second');
  });

  it('refreshes the token before it expires', async () => {
    await replaceServer(new FakeGateway({ tokenTtlMs: 2500 }));
    const h = makeClient({ refreshBeforeMs: 1000 }, ['one', 'two']);
    await h.client.connect();
    await waitFor('refresh', () => server.frames.some((f) => f.kind.case === 'refresh'), 4000);
    const refresh = server.frames.find((f) => f.kind.case === 'refresh')!.kind.value as proto.RefreshToken;
    assert.equal(refresh.token, 'two');
    await waitFor('expiry updated', () => h.client.welcome!.tokenExpiresAt!.getTime() > Date.now() + 3_000_000);
  });

  it('gives up after repeated authentication failures', async () => {
    await replaceServer(new FakeGateway({ users: new Map([['good', 'alice']]) }));
    const h = makeClient({}, ['bad']);
    await assert.rejects(h.client.connect(), (e: SwitchboardError) => e.code === 'UNAUTHENTICATED');
    assert.equal(h.client.state, 'closed');
    assert.equal(h.tokens.length, 3);
    assert.equal(server.probes.length, 0, 'the sockets opened: no reason to probe the upgrade');
  });

  it('reconnects with a fresh token after TOKEN_EXPIRED, gives up when tokens stay expired', async () => {
    const fresh = makeClient({}, ['expired-1', 'fine']);
    await fresh.client.connect();
    assert.deepEqual(fresh.tokens, ['expired-1', 'fine']);
    const stale = makeClient({}, ['expired-2']);
    await assert.rejects(stale.client.connect(), (e: SwitchboardError) => e.code === 'UNAUTHENTICATED');
    assert.equal(stale.tokens.length, 3);
  });

  it('stops on final close codes and rejects what is pending', async () => {
    const h = makeClient();
    await h.client.connect();
    server.ackPublishes = false;
    const pending = h.client.publish('chat:z', 'never');
    await waitFor('published', () => publishes().length === 1);
    server.closeAll(proto.CloseCode.REPLACED, 'replaced by a newer connection');
    await assert.rejects(pending, (e: SwitchboardError) => e.code === 'CLOSED' && e.details.closeCode === 4008);
    assert.equal(h.client.state, 'closed');
    assert.equal(h.states.at(-1)!.closeCode, 4008);
    await assert.rejects(h.client.publish('chat:z', 'after'), (e: SwitchboardError) => e.code === 'CLOSED');
    assert.equal(server.conns.length, 1, 'no reconnect');
  });

  it('detects a stalled connection with pings and reconnects', async () => {
    const h = makeClient({ pingIntervalMs: 60, pingTimeoutMs: 100, connectTimeoutMs: 300 });
    await h.client.connect();
    await h.client.join('chat:s');
    await waitFor('a ping answered', () => server.frames.some((f) => f.kind.case === 'ping'));
    server.stalled = true; // the socket stays open but nothing comes back
    await waitFor('abandoned', () => h.states.some((s) => s.state === 'reconnecting'), 2000);
    const stall = h.states.find((s) => s.state === 'reconnecting')!;
    assert.equal(stall.closeCode, proto.CloseCode.HEARTBEAT_TIMEOUT);
    server.stalled = false;
    await waitFor('reconnected and rejoined', () => h.recovered.length === 1, 2000);
    assert.equal(h.client.state, 'connected');
  });

  it('times out requests without a reply', async () => {
    const h = makeClient({ requestTimeoutMs: 100 });
    await h.client.connect();
    server.onFrame = (_conn, frame) => frame.kind.case === 'presenceQuery' || frame.kind.case === 'join';
    await assert.rejects(h.client.join('chat:q'), (e: SwitchboardError) => e.code === 'TIMEOUT');
    assert.deepEqual(h.client.joinedRooms(), ['chat:q'], 'a timed-out join stays wanted');
    await assert.rejects(h.client.presence('chat:q'), (e: SwitchboardError) => e.code === 'TIMEOUT');
  });
});

describe('kicks', { timeout: 10_000 }, () => {
  it('emits kicked with the reason, without an error, and reconnects', async () => {
    const h = makeClient();
    const kicks: KickedEvent[] = [];
    h.client.on('kicked', (k) => kicks.push(k));
    await h.client.connect();
    server.closeAll(proto.CloseCode.KICKED, 'Spamming the lobby');
    await waitFor('kicked', () => kicks.length === 1);
    assert.deepEqual(kicks[0], { reason: 'Spamming the lobby', closeReason: 'Spamming the lobby' });
    await waitFor('reconnected', () => server.connected().length === 1 && server.conns.length === 2);
    assert.deepEqual(h.errors, []);
  });

  it('a banned user gets one kicked event with the ban end, and waits for it', async () => {
    const until = new Date(Math.ceil(Date.now() / 1000) * 1000 + 60_000);
    const reason = `banned until ${until.toISOString().replace('.000Z', 'Z')}: Spamming the lobby`;
    server.banReason = reason;
    const h = makeClient();
    const kicks: KickedEvent[] = [];
    h.client.on('kicked', (k) => kicks.push(k));
    h.client.connect().catch(() => {});
    await waitFor('kicked', () => kicks.length === 1);
    assert.deepEqual(kicks[0], { reason: 'Spamming the lobby', until, closeReason: reason });
    const retry = h.states.find((s) => s.state === 'reconnecting')!;
    assert.equal(retry.closeCode, proto.CloseCode.KICKED);
    assert.ok(retry.retryInMs! > 55_000, `waits for the ban to end: ${retry.retryInMs} ms`);
    assert.deepEqual(h.errors, [], 'the PERMISSION_DENIED before the close is reported as the kick');
    assert.equal(server.conns.length, 1);
  });
});

describe('refused upgrades', { timeout: 10_000 }, () => {
  it('probes after 3 attempts that never opened; a 403 stops with UPGRADE_REFUSED', async () => {
    server.refusal = { status: 403, reason: 'origin not allowed' };
    const h = makeClient({ format: 'protobuf' });
    await assert.rejects(
      h.client.connect(),
      (e: SwitchboardError) =>
        e.code === 'UPGRADE_REFUSED' && e.details.status === 403 && e.details.reason === 'origin not allowed',
    );
    assert.equal(h.client.state, 'closed');
    assert.equal(h.states.at(-1)!.error?.code, 'UPGRADE_REFUSED');
    assert.deepEqual(h.errors.map((e) => e.code), ['UPGRADE_REFUSED']);
    assert.equal(server.probes.length, 1);
    const probe = server.probes[0];
    assert.equal(probe.pathname, '/ws');
    assert.equal(probe.searchParams.get('probe'), '1');
    assert.equal(probe.searchParams.get('format'), 'protobuf');
    // The probe runs while the backoff does: at most one more attempt started.
    assert.ok(server.upgrades >= 3 && server.upgrades <= 4, `${server.upgrades} upgrade attempts`);
    await assert.rejects(h.client.publish('chat:x', 'after'), (e: SwitchboardError) => e.code === 'CLOSED');
  });

  it('keeps backing off while the probe answers 5xx or something that is not the probe', async () => {
    server.refusing = true; // upgrades and probes get 503
    const h = makeClient({ probeAfterFailures: 2 });
    const connected = h.client.connect();
    await waitFor('two probes answered 503', () => server.probes.length >= 2);
    // A gateway without the probe: GET /ws is a plain 404, which says nothing about the upgrade.
    server.probeEnabled = false;
    server.refusal = { status: 404, reason: 'not found' };
    const upgrades = server.upgrades;
    await waitFor('four more attempts', () => server.upgrades >= upgrades + 4);
    server.refusal = undefined;
    server.refusing = false;
    await connected;
    assert.equal(h.client.state, 'connected');
    assert.deepEqual(h.errors, []);
  });

  it('keeps backing off when the probe cannot be read (network, CORS)', async () => {
    server.refusal = { status: 403, reason: 'origin not allowed' };
    const fetched: string[] = [];
    const h = makeClient({
      probeAfterFailures: 1,
      fetch: async (url) => {
        fetched.push(url);
        throw new TypeError('Failed to fetch');
      },
    });
    const connected = h.client.connect();
    await waitFor('two probes', () => fetched.length >= 2);
    assert.match(fetched[0], /^http:\/\/127\.0\.0\.1:\d+\/ws\?probe=1&format=json$/);
    server.refusal = undefined;
    await connected;
    assert.deepEqual(h.errors, []);
  });
});

describe('dedupe window', { timeout: 10_000 }, () => {
  for (const how of ['Welcome', 'the dedupeWindowMs option'] as const) {
    it(`does not resend a publish first sent longer ago than the window (from ${how}); hands it over as fate unknown`, async () => {
      await replaceServer(new FakeGateway({ dedupeWindowMs: 600, announceDedupeWindow: how === 'Welcome' }));
      const h = makeClient(how === 'Welcome' ? {} : { dedupeWindowMs: 600 });
      const unknown: FateUnknownEvent[] = [];
      h.client.on('fateUnknown', (e) => unknown.push(e));
      await h.client.connect();
      assert.equal(h.client.welcome!.dedupeWindowMs, how === 'Welcome' ? 600 : undefined);
      server.ackPublishes = false; // stored, but the acks are lost
      const late = h.client.publish('chat:w', 'maybe stored', { messageId: 'late-1' });
      await waitFor('sent', () => publishes().length === 1);
      const sentAt = Date.now();
      await waitFor('the window passed', () => Date.now() - sentAt > 600, 3000);
      const fresh = h.client.publish('chat:w', 'inside the window', { messageId: 'fresh-1' });
      await waitFor('sent', () => publishes().length === 2);
      server.ackPublishes = true;
      server.closeAll(proto.CloseCode.DISCONNECTED);

      await assert.rejects(
        late,
        (e: SwitchboardError) => e.code === 'FATE_UNKNOWN' && e.details.messageId === 'late-1' && e.details.room === 'chat:w',
      );
      assert.deepEqual(await fresh, { room: 'chat:w', messageId: 'fresh-1', offset: 2, duplicate: true });
      assert.deepEqual(publishes().map((p) => p.messageId), ['late-1', 'fresh-1', 'fresh-1'], 'late-1 not resent');
      assert.equal(server.rooms.get('chat:w')!.messages.length, 2, 'each stored once');
      assert.equal(unknown.length, 1);
      const u = unknown[0];
      assert.deepEqual([u.room, u.messageId, u.data, u.restored], ['chat:w', 'late-1', 'maybe stored', false]);
      assert.ok(u.firstSentAt.getTime() <= sentAt && u.createdAt.getTime() <= u.firstSentAt.getTime());
      assert.equal(h.client.outboxSize, 0);
      assert.deepEqual(h.errors, []);
    });
  }

  it('a reloaded page does not resend what the last one sent past the window, and sends what it never sent', async () => {
    await replaceServer(new FakeGateway({ dedupeWindowMs: 600 }));
    const store = new MemoryOutboxStore();
    const first = makeClient({ persistOutbox: store });
    await first.client.connect();
    server.ackPublishes = false;
    first.client.publish('chat:s', 'sent, ack lost', { messageId: 'sent-1' }).catch(() => {});
    await waitFor('sent', () => publishes().length === 1);
    const firstSentAt = store.entries.get('sent-1')!.firstSentAt;
    assert.ok(firstSentAt !== undefined, 'the first send is in the store before it goes out');
    first.client.close(); // the tab closes before the ack
    // Written offline an hour ago, never sent.
    store.entries.set('never-1', {
      messageId: 'never-1',
      room: 'chat:s',
      payload: toBinary(proto.PayloadSchema, toPayload('never sent')),
      createdAt: Date.now() - 3_600_000,
    });
    await waitFor('the window passed', () => Date.now() - firstSentAt > 600, 3000);
    server.ackPublishes = true;

    const second = makeClient({ persistOutbox: store });
    const unknown: FateUnknownEvent[] = [];
    second.client.on('fateUnknown', (e) => unknown.push(e));
    await second.client.connect();
    await waitFor('store emptied', () => store.entries.size === 0);
    await waitFor('never-1 stored', () => server.rooms.get('chat:s')?.messages.length === 2);
    assert.deepEqual(publishes().map((p) => p.messageId), ['sent-1', 'never-1']);
    assert.deepEqual(
      unknown.map((u) => [u.messageId, u.data, u.restored, u.firstSentAt.getTime()]),
      [['sent-1', 'sent, ack lost', true, firstSentAt]],
    );
    assert.equal(second.client.outboxSize, 0);
  });
});
