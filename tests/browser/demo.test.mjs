// Headless Chromium drives the demo app (clients/demo) against the real stack:
// nats-server with JetStream, the switchboard-gateway binary and the control
// plane (kicks go through its gRPC API, with examples/backend-node's client). Each test
// uses its own room so that the tests are independent of each other's
// messages. Message ids are counted as the client delivered them (the demo's
// debug hook), so a duplicate from the client shows up even if the UI hid it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTROL_BIN, DEVTOKEN_BIN, GATEWAY_BIN, NATS_BIN, ROOT, Stack, until } from './stack.mjs';

const CHROMIUM = process.env.SB_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Where to write a screenshot of two users chatting (docs/demo.png), if set.
const SCREENSHOT = process.env.SB_DEMO_SCREENSHOT;

for (const [what, path] of [
  ['chromium', CHROMIUM],
  ['nats-server', NATS_BIN],
  ['the gateway (bazel build //gateway:switchboard-gateway)', GATEWAY_BIN],
  ['devtoken (bazel build //tools/devtoken)', DEVTOKEN_BIN],
  ['the control plane (bazel build //control:switchboard-control)', CONTROL_BIN],
  ['examples/backend-node\'s dependencies (npm ci there)', join(ROOT, 'examples/backend-node/node_modules/@grpc/grpc-js')],
]) {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}`);
}
const { connectControl } = await import(pathToFileURL(join(ROOT, 'examples/backend-node/control_client.mjs')).href);

let stack;
let browser;
/** Pages of the running test (closed after it), and uncaught errors of every page. */
let pages = [];
const pageErrors = [];

/**
 * Opens the demo as `user` in its own browser context (or as another tab of
 * `context`), in `rooms` (the first one shown), and waits until connected and
 * joined.
 */
async function openUser(user, rooms, { viaStaticServer = false, format = 'protobuf', context, origin, connected = true } = {}) {
  context ??= await browser.newContext({ viewport: { width: 1200, height: 720 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(`${user}: ${err}`));
  const token = await stack.token(user);
  const params = new URLSearchParams({ rooms, format, backoff_base: '100', backoff_cap: '800', token });
  if (viaStaticServer || origin) params.set('ws', stack.wsUrl);
  await page.goto(`${origin ?? (viaStaticServer ? stack.staticOrigin : stack.origin)}/?${params}`);
  pages.push(page);
  if (!connected) return page;
  await waitConnected(page);
  for (const room of rooms.split(',')) {
    await page.waitForFunction((r) => window.switchboardDemo.client.joinedRooms().includes(r), room);
    await page.waitForSelector(`#rooms li[data-room="${room}"]`);
  }
  return page;
}

async function waitConnected(page, timeout = 15000) {
  await page.waitForSelector('#conn-state[data-state="connected"]', { timeout });
}

/** Waits until `page` lists exactly `want` ({user: tabs}) as online in `room`, in its state and its DOM. */
async function expectOnline(page, room, want, timeout = 20000) {
  try {
    await page.waitForFunction(
      ([r, w]) => {
        const got = window.switchboardDemo.presence(r);
        const dom = Object.fromEntries(
          [...document.querySelectorAll('#presence li[data-user]')].map((li) => [li.dataset.user, Number(li.dataset.connections)]),
        );
        const same = (a) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(w).sort());
        return same(got) && same(dom);
      },
      [room, want],
      { timeout },
    );
  } catch (err) {
    const got = await page.evaluate((r) => window.switchboardDemo.presence(r), room);
    throw new Error(`${err.message}\nwanted ${JSON.stringify(want)}\ngot    ${JSON.stringify(got)}`);
  }
}

async function send(page, text) {
  await page.fill('#composer-input', text);
  await page.press('#composer-input', 'Enter');
}

function messages(page, room) {
  return page.evaluate((r) => window.switchboardDemo.messages(r), room);
}

/** Waits until `page` shows exactly `texts` (in this order) in `room`. */
async function expectTexts(page, room, texts, timeout = 20000) {
  try {
    await page.waitForFunction(
      ([r, want]) => {
        const got = window.switchboardDemo.messages(r).map((m) => m.text);
        return got.length >= want.length;
      },
      [room, texts],
      { timeout },
    );
  } catch (err) {
    const got = (await messages(page, room)).map((m) => m.text);
    throw new Error(`${err.message}\nwanted ${JSON.stringify(texts)}\ngot    ${JSON.stringify(got)}`);
  }
  const got = await messages(page, room);
  assert.deepEqual(
    got.map((m) => m.text),
    texts,
  );
  return got;
}

/** Every message id was delivered to the page exactly once, and the DOM shows each once. */
async function expectExactlyOnce(page, room, n) {
  const counts = await page.evaluate((r) => window.switchboardDemo.counts(r), room);
  assert.equal(Object.keys(counts).length, n, `distinct message ids: ${JSON.stringify(counts)}`);
  for (const [id, count] of Object.entries(counts)) assert.equal(count, 1, `message ${id} delivered ${count} times`);
  const domIds = await page.$$eval('#messages .msg[data-message-id]', (els) => els.map((e) => e.dataset.messageId));
  assert.equal(domIds.length, n);
  assert.equal(new Set(domIds).size, n);
  const pending = await page.$$eval('#messages .msg.pending', (els) => els.length);
  assert.equal(pending, 0, 'no message left pending');
  const offsets = (await messages(page, room)).map((m) => m.offset);
  for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i] > offsets[i - 1], `offsets increase: ${offsets}`);
}

describe('demo app against the real gateway', { timeout: 240_000 }, () => {
  let control;

  before(async () => {
    stack = new Stack({ control: true });
    await stack.start();
    control = connectControl({ address: stack.controlAddress, apiKey: stack.apiKey });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30000 });
  });

  afterEach(async () => {
    const done = pages;
    pages = [];
    for (const p of done) await p.context().close().catch(() => {});
  });

  after(async () => {
    control?.close();
    await browser?.close().catch(() => {});
    if (stack) {
      const failed = process.exitCode && process.exitCode !== 0;
      await stack.stop({ keepDir: failed });
      if (failed) process.stderr.write(`gateway log (${stack.dir}):\n${stack.log('gateway').slice(-4000)}\n`);
    }
  });

  it('two pages chat in a room', async () => {
    const room = 'chat:lobby';
    const alice = await openUser('alice', `${room},chat:random,chat:deploys`);
    const bob = await openUser('bob', `${room},chat:random`);
    const script = [
      [alice, 'Morning! Did the gateway deploy go out?'],
      [bob, 'Yes, all three rolled. Clients resumed from their last offsets.'],
      [alice, 'Any messages lost or doubled during the drain?'],
      [bob, 'None: every message id arrived exactly once.'],
      [alice, 'Great, let us ship the demo then.'],
    ];
    const texts = [];
    for (const [page, text] of script) {
      await send(page, text);
      texts.push(text);
      await expectTexts(alice, room, texts);
      await expectTexts(bob, room, texts);
    }
    const a = await messages(alice, room);
    const b = await messages(bob, room);
    assert.deepEqual(a.map((m) => [m.id, m.offset, m.from]), b.map((m) => [m.id, m.offset, m.from]));
    assert.deepEqual(a.map((m) => m.from), ['alice', 'bob', 'alice', 'bob', 'alice']);
    await expectExactlyOnce(alice, room, 5);
    await expectExactlyOnce(bob, room, 5);
    // Both see each other as present.
    await alice.waitForSelector('#presence li[data-user="bob"]:not(.away)');
    await bob.waitForSelector('#presence li[data-user="alice"]:not(.away)');

    // A message in another room shows as unread on Alice's side.
    await bob.click('#rooms li[data-room="chat:random"] button');
    await send(bob, 'Lunch at noon?');
    await alice.waitForSelector('#rooms li[data-room="chat:random"] .unread');
    assert.equal(await alice.textContent('#rooms li[data-room="chat:random"] .unread'), '1');
    await bob.click('#rooms li[data-room="chat:lobby"] button');

    if (SCREENSHOT) {
      await bob.type('#composer-input', 'Sending the screenshot', { delay: 15 });
      await alice.waitForFunction(() => document.querySelector('#typing')?.dataset.users === 'bob');
      await alice.screenshot({ path: SCREENSHOT });
    }
  });

  it('shows a typing indicator on the other page, then clears it', async () => {
    const room = 'chat:typing';
    const alice = await openUser('alice', room);
    const bob = await openUser('bob', room);
    await bob.type('#composer-input', 'hmm', { delay: 30 });
    await alice.waitForFunction(() => document.querySelector('#typing')?.dataset.users === 'bob', null, { timeout: 5000 });
    assert.match(await alice.textContent('#typing'), /bob is typing/);
    // Bob's own page does not show him typing (events are not echoed).
    assert.equal(await bob.evaluate(() => document.querySelector('#typing').dataset.users), '');
    // It expires a few seconds after the last keystroke.
    await alice.waitForFunction(() => document.querySelector('#typing')?.dataset.users === '', null, { timeout: 8000 });
  });

  it('survives a gateway crash: both pages reconnect, offline messages are delivered once', async () => {
    const room = 'chat:crash';
    // Alice speaks the JSON subprotocol, Bob binary protobuf.
    const alice = await openUser('alice', room, { format: 'json' });
    const bob = await openUser('bob', room);
    await send(alice, 'before 1');
    await expectTexts(bob, room, ['before 1']);
    await send(bob, 'before 2');
    await expectTexts(alice, room, ['before 1', 'before 2']);

    assert.equal(await alice.evaluate(() => window.switchboardDemo.format), 'json');
    assert.equal(await bob.evaluate(() => window.switchboardDemo.format), 'protobuf');
    await stack.stopGateway('SIGKILL');
    for (const p of [alice, bob]) {
      await p.waitForFunction(() => window.switchboardDemo.state() !== 'connected', null, { timeout: 10000 });
    }
    // Typed while the gateway is down: queued in the outbox, shown as pending.
    for (const t of ['offline a1', 'offline a2', 'offline a3']) await send(alice, t);
    for (const t of ['offline b1', 'offline b2']) await send(bob, t);
    assert.equal(await alice.evaluate(() => window.switchboardDemo.outbox()), 3);
    assert.equal(await bob.evaluate(() => window.switchboardDemo.outbox()), 2);
    assert.equal(await alice.$$eval('#messages .msg.pending', (els) => els.length), 3);
    assert.match(await alice.textContent('#outbox'), /3 queued/);
    assert.notEqual(await alice.getAttribute('#conn-state', 'data-state'), 'connected');

    await stack.startGateway();
    await waitConnected(alice);
    await waitConnected(bob);
    for (const p of [alice, bob]) {
      await p.waitForFunction(() => window.switchboardDemo.outbox() === 0, null, { timeout: 15000 });
      await p.waitForFunction((r) => window.switchboardDemo.messages(r).length >= 7, room, { timeout: 15000 });
    }
    const a = await messages(alice, room);
    const b = await messages(bob, room);
    assert.equal(a.length, 7);
    assert.deepEqual(a.map((m) => m.id), b.map((m) => m.id), 'same messages in the same order on both pages');
    // Each sender's offline messages keep their order.
    const texts = a.map((m) => m.text);
    assert.deepEqual(texts.filter((t) => t.startsWith('offline a')), ['offline a1', 'offline a2', 'offline a3']);
    assert.deepEqual(texts.filter((t) => t.startsWith('offline b')), ['offline b1', 'offline b2']);
    await expectExactlyOnce(alice, room, 7);
    await expectExactlyOnce(bob, room, 7);
    // And the room still works live.
    await send(bob, 'after');
    await expectTexts(alice, room, [...texts, 'after']);
  });

  it('replays what a page missed while it was offline (resume from its last offset)', async () => {
    const room = 'chat:resume';
    const alice = await openUser('alice', room);
    const bob = await openUser('bob', room);
    await send(alice, 'seen by both');
    await expectTexts(bob, room, ['seen by both']);

    // Bob's network goes away and the gateway restarts: Alice reconnects and
    // writes while Bob cannot.
    await bob.context().setOffline(true);
    await stack.stopGateway('SIGKILL');
    await stack.startGateway();
    await waitConnected(alice);
    for (const t of ['missed 1', 'missed 2', 'missed 3']) await send(alice, t);
    await alice.waitForFunction(() => window.switchboardDemo.outbox() === 0, null, { timeout: 10000 });
    assert.notEqual(await bob.evaluate(() => window.switchboardDemo.state()), 'connected');
    assert.equal((await messages(bob, room)).length, 1);

    await bob.context().setOffline(false);
    await waitConnected(bob);
    const got = await expectTexts(bob, room, ['seen by both', 'missed 1', 'missed 2', 'missed 3']);
    assert.deepEqual(got.map((m) => m.replay), [false, true, true, true], 'the missed ones came as a resume replay');
    await expectExactlyOnce(bob, room, 4);
    assert.equal(await bob.isHidden('#notice'), true, 'resume was complete (recovered)');
  });

  it('reconnects after a graceful drain (GoingAway, close 1001)', async () => {
    const room = 'chat:drain';
    const alice = await openUser('alice', room);
    const bob = await openUser('bob', room);
    await send(alice, 'before drain');
    await expectTexts(bob, room, ['before drain']);
    await stack.stopGateway('SIGTERM'); // drains: GoingAway, then close 1001 within --drain_window
    for (const p of [alice, bob]) {
      await p.waitForFunction(() => window.switchboardDemo.closes().includes(1001), null, { timeout: 10000 });
    }
    await stack.startGateway();
    await waitConnected(alice);
    await waitConnected(bob);
    await send(bob, 'after drain');
    await expectTexts(alice, room, ['before drain', 'after drain']);
    await expectExactlyOnce(alice, room, 2);
    await expectExactlyOnce(bob, room, 2);
  });

  it('keeps messages written offline across a page reload (IndexedDB outbox)', async () => {
    const room = 'chat:reload';
    // Served by a second origin, so that the page can reload while the gateway is down.
    const alice = await openUser('alice', room, { viaStaticServer: true });
    const bob = await openUser('bob', room);
    await stack.stopGateway('SIGKILL');
    await alice.waitForFunction(() => window.switchboardDemo.state() !== 'connected', null, { timeout: 10000 });
    await send(alice, 'written offline, then the tab reloaded');
    // Wait for the durable copy before reloading.
    await until('the outbox entry in IndexedDB', () =>
      alice.evaluate(
        () =>
          new Promise((resolve) => {
            const req = indexedDB.open('switchboard-outbox', 1);
            req.onsuccess = () => {
              const all = req.result.transaction('publishes').objectStore('publishes').getAll();
              all.onsuccess = () => resolve(all.result.length === 1);
              all.onerror = () => resolve(false);
            };
            req.onerror = () => resolve(false);
          }),
      ),
    );
    await alice.reload();
    await alice.waitForFunction(() => window.switchboardDemo?.outbox() === 1, null, { timeout: 10000 });
    await stack.startGateway();
    await waitConnected(alice);
    await waitConnected(bob);
    await expectTexts(bob, room, ['written offline, then the tab reloaded']);
    await expectTexts(alice, room, ['written offline, then the tab reloaded']);
    await alice.waitForFunction(() => window.switchboardDemo.outbox() === 0);
    await expectExactlyOnce(bob, room, 1);
  });

  it('shows who is online per user: a second tab keeps the user online, the last one closing takes them offline', async () => {
    const room = 'chat:presence';
    const alice = await openUser('alice', room);
    const bob = await openUser('bob', room);
    await expectOnline(alice, room, { alice: 1, bob: 1 });
    await expectOnline(bob, room, { alice: 1, bob: 1 });
    assert.match(await alice.textContent('#presence li[data-user="alice"]'), /alice \(you\)/);

    // Bob opens a second tab: still one user, with two connections.
    const bobTab2 = await openUser('bob', room, { context: bob.context() });
    await expectOnline(alice, room, { alice: 1, bob: 2 });
    await expectOnline(bobTab2, room, { alice: 1, bob: 2 });
    assert.match(await alice.textContent('#presence li[data-user="bob"]'), /2 tabs/);
    assert.equal(await alice.$$eval('#presence li', (els) => els.length), 2);

    // Closing one of them keeps Bob online (no offline flap on Alice's side).
    await bob.close();
    await expectOnline(alice, room, { alice: 1, bob: 1 });
    await expectOnline(bobTab2, room, { alice: 1, bob: 1 });

    // Closing the last one takes him offline.
    await bobTab2.close();
    await expectOnline(alice, room, { alice: 1 });
    assert.equal(await alice.$$eval('#presence li[data-user="bob"]', (els) => els.length), 0);
    const log = await alice.evaluate((r) => window.switchboardDemo.presenceLog(r), room);
    assert.deepEqual(
      log.filter((e) => e.endsWith('bob')),
      ['+bob', '-bob'],
      `bob came online once and went offline once: ${JSON.stringify(log)}`,
    );
    assert.ok(await alice.evaluate((r) => window.switchboardDemo.presenceSynced(r), room));
  });

  it('shows the reason of a moderator\'s kick as a toast, and when a ban ends', async () => {
    const room = 'chat:kick';
    const mallory = await openUser('mallory', room);
    // (connectionsClosed is not checked: with a ban, a gateway may close the
    // connection on seeing the stored ban before the kick command reaches it.)
    await control.call('KickUser', { userId: 'mallory', reason: 'Spamming the lobby', banFor: { seconds: 2 } });
    // The kick itself: close 4006 with the kick's reason.
    const kicked = mallory.locator('#toasts .toast.kicked', { hasText: 'You were removed by a moderator: Spamming the lobby.' });
    await kicked.first().waitFor({ timeout: 10_000 });
    // The reconnect that follows hits the ban: the gateway's reason says until when.
    const banned = mallory.locator('#toasts .toast.kicked', { hasText: 'You can reconnect at' });
    await banned.first().waitFor({ timeout: 10_000 });
    assert.match(await banned.first().textContent(), /^You were removed by a moderator: Spamming the lobby\. You can reconnect at /);
    assert.ok((await mallory.evaluate(() => window.switchboardDemo.closes())).includes(4006));
    // After the ban the client is back by itself, with no error toast on the way.
    await waitConnected(mallory, 15_000);
    const errors = await mallory.evaluate(() => window.switchboardDemo.errors());
    assert.deepEqual(errors, [], `errors: ${JSON.stringify(errors)}`);
  });

  it('tells a page on an origin the gateway does not allow why it cannot connect (403 from the probe)', async () => {
    const foreign = await stack.addStaticServer();
    const started = Date.now();
    const page = await openUser('alice', 'chat:foreign', { origin: foreign, connected: false });
    const refused = page.locator('#toasts .toast.refused');
    await refused.waitFor({ timeout: 15_000 });
    assert.equal(await refused.textContent(), 'The gateway refuses this page (HTTP 403: origin not allowed).');
    const errors = await page.evaluate(() => window.switchboardDemo.errors());
    assert.deepEqual(errors.map((e) => [e.code, e.status, e.reason]), [['UPGRADE_REFUSED', 403, 'origin not allowed']]);
    assert.equal(await page.evaluate(() => window.switchboardDemo.state()), 'closed', 'no more reconnecting');
    await page.waitForSelector('#conn-state[data-state="closed"]');
    assert.match(await page.textContent('#conn-state'), /403 origin not allowed/);
    assert.ok(Date.now() - started < 15_000);
  });

  it('raised no page errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
