// examples/backend-node against the real stack: nats-server, the control
// plane (with an API key) and a gateway. A Node client (the web client from
// clients/web/dist with `ws`) joins a room on the gateway; the example's
// publish.mjs publishes to it over gRPC, and the client must receive exactly
// that message from the control plane.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CONTROL_BIN, GATEWAY_BIN, NATS_BIN, ROOT, Stack, until } from './stack.mjs';

const EXAMPLE = join(ROOT, 'examples/backend-node');
const WEB = join(ROOT, 'clients/web');
const execFileAsync = promisify(execFile);

for (const [what, path] of [
  ['nats-server', NATS_BIN],
  ['the gateway (bazel build //gateway:switchboard-gateway)', GATEWAY_BIN],
  ['the control plane (bazel build //control:switchboard-control)', CONTROL_BIN],
  ['the example\'s dependencies (npm ci in examples/backend-node)', join(EXAMPLE, 'node_modules/@grpc/grpc-js')],
  ['the built web client (npm run build in clients/web)', join(WEB, 'dist/index.js')],
]) {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}`);
}

const { SwitchboardClient } = await import(pathToFileURL(join(WEB, 'dist/index.js')).href);
const { WebSocket } = createRequire(join(WEB, 'package.json'))('ws');
const { mintToken, readSecretFile } = await import(pathToFileURL(join(EXAMPLE, 'token.mjs')).href);

let stack;
let client;
const received = [];

/** Runs `node publish.mjs ARGS...`; resolves with {code, stdout, stderr}. */
async function publish(args, { apiKey = stack.apiKey } = {}) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [join(EXAMPLE, 'publish.mjs'), ...args], {
      cwd: EXAMPLE,
      timeout: 30_000,
      env: { ...process.env, SWITCHBOARD_CONTROL: stack.controlAddress, SWITCHBOARD_API_KEY: apiKey },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (err.killed) throw new Error(`publish.mjs did not finish within 30 s: ${err.stderr}`);
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('examples/backend-node publishes over gRPC to a room a client is in', { timeout: 90_000 }, () => {
  before(async () => {
    stack = new Stack({ control: true });
    await stack.start();
    // The example's token.mjs mints the client's token with the gateway's key.
    const token = mintToken({ secret: readSecretFile(stack.keyFile), sub: 'carol', rooms: ['orders:*'] });
    client = new SwitchboardClient({ url: stack.wsUrl, WebSocket, getToken: () => token, requestTimeoutMs: 10_000 });
    client.on('message', (m) => received.push(m));
    await client.connect();
    await client.join('orders:42');
  });

  after(async () => {
    client?.close();
    if (stack) {
      const failed = process.exitCode && process.exitCode !== 0;
      await stack.stop({ keepDir: failed });
      if (failed) process.stderr.write(`control log (${stack.dir}):\n${stack.log('control').slice(-3000)}\n`);
    }
  });

  it('publishes text with a message id; the client receives it from the control plane', async () => {
    const { code, stdout, stderr } = await publish(['orders:42', 'Order 42 shipped', '--message-id=order-42-shipped']);
    assert.equal(code, 0, stderr);
    const ack = JSON.parse(stdout);
    assert.equal(ack.messageId, 'order-42-shipped');
    assert.equal(ack.duplicate, false);
    assert.ok(Number(ack.offset) > 0, `offset ${ack.offset}`);
    await until('the message at the client', () => received.length === 1, 10_000);
    const m = received[0];
    assert.deepEqual(
      [m.room, m.offset, m.messageId, m.data, m.sender.userId],
      ['orders:42', Number(ack.offset), 'order-42-shipped', 'Order 42 shipped', ''],
    );
  });

  it('a retry with the same message id is a duplicate and is not delivered again; JSON payloads arrive as JSON', async () => {
    const retry = await publish(['orders:42', 'Order 42 shipped', '--message-id=order-42-shipped']);
    assert.equal(retry.code, 0, retry.stderr);
    assert.equal(JSON.parse(retry.stdout).duplicate, true);
    const json = await publish(['orders:42', '{"status":"delivered","items":[1,2],"signed":null}', '--json']);
    assert.equal(json.code, 0, json.stderr);
    await until('the JSON message', () => received.length === 2, 10_000);
    assert.deepEqual(received[1].data, { status: 'delivered', items: [1, 2], signed: null });
    assert.deepEqual(received.map((m) => m.messageId).slice(0, 1), ['order-42-shipped'], 'the retry was not delivered');
  });

  it('fails with UNAUTHENTICATED without the API key', async () => {
    const { code, stderr } = await publish(['orders:42', 'no key'], { apiKey: '' });
    assert.equal(code, 1);
    assert.match(stderr, /UNAUTHENTICATED/);
  });
});
