// The web client as a front-end team gets it: `npm pack` of a copy of
// clients/web alone (no repository around it, so no proto/ and no protoc),
// the tarball installed into a scratch app outside the repository (a copy of
// examples/web-app), and that app against the real gateway: in Node with `ws`
// as its WebSocket, in headless Chromium through the script-tag bundle, and
// as the example page bundled with esbuild from the installed package.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import vm from 'node:vm';
import { chromium } from 'playwright-core';
import { GATEWAY_BIN, NATS_BIN, ROOT, Stack } from './stack.mjs';

const WEB = join(ROOT, 'clients/web');
const EXAMPLE_APP = join(ROOT, 'examples/web-app');
const CHROMIUM = process.env.SB_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const execFileAsync = promisify(execFile);

for (const [what, path] of [
  ['chromium', CHROMIUM],
  ['nats-server', NATS_BIN],
  ['the gateway (bazel build //gateway:switchboard-gateway)', GATEWAY_BIN],
  ['the web client\'s dependencies (npm ci in clients/web)', join(WEB, 'node_modules/typescript')],
]) {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}`);
}

const { mintToken, readSecretFile } = await import(
  pathToFileURL(join(ROOT, 'examples/backend-node/token.mjs')).href
);

/** Runs a command with a deadline; rejects with its output when it fails. */
async function run(cmd, args, { cwd, timeout = 120_000, env = process.env } = {}) {
  try {
    return await execFileAsync(cmd, args, { cwd, timeout, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}${err.killed ? ` (killed after ${timeout} ms)` : ''}:\n` +
      `${err.stdout ?? ''}\n${err.stderr ?? err.message}`);
  }
}

/** Copies `from` to `to` without node_modules and build output. */
function copySources(from, to) {
  const skip = new Set(['node_modules', 'dist', 'dist-test']);
  cpSync(from, to, { recursive: true, filter: (p) => !skip.has(relative(from, p).split(sep)[0]) });
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

let work;
let tarball;
let packed; // npm pack --json: the file list
let app;
let installed;
let stack;
let browser;
let token;

describe('the packed @switchboard/client in an app outside the repository', { timeout: 400_000 }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sb-package-'));
    assert.ok(!resolve(work).startsWith(ROOT + sep), `${work} is outside ${ROOT}`);
    // The package folder alone, with the node_modules it was installed with.
    const pkg = join(work, 'client');
    copySources(WEB, pkg);
    symlinkSync(join(WEB, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    // prepack runs `npm run build` here: it must not need ../../proto or protoc.
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: pkg,
      env: { ...process.env, PROTOC: '/nonexistent/protoc', npm_config_loglevel: 'error' },
    });
    const json = stdout.slice(stdout.indexOf('\n[') + 1 || stdout.indexOf('['));
    [packed] = JSON.parse(json);
    tarball = join(work, packed.filename);
    assert.ok(existsSync(tarball), tarball);

    app = join(work, 'app');
    copySources(EXAMPLE_APP, app);
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball, 'ws@8.18.3'], {
      cwd: app,
      timeout: 240_000,
    });
    installed = join(app, 'node_modules/@switchboard/client');

    stack = new Stack();
    await stack.start();
    token = mintToken({ secret: readSecretFile(stack.keyFile), sub: 'alice', rooms: ['chat:*'] });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs LICENSE, README, the ES module with types, the script-tag bundle and source maps that resolve', () => {
    const files = new Set(packed.files.map((f) => f.path));
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/client.js',
      'dist/switchboard.min.js', 'dist/switchboard.min.js.map', 'src/gen/proto/switchboard/client/v1/client_pb.ts']) {
      assert.ok(files.has(f), `${f} in the tarball`);
    }
    for (const f of files) assert.doesNotMatch(f, /^(test|dist-test|scripts|node_modules)\//, `${f} should not ship`);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    assert.equal(manifest.name, '@switchboard/client');
    assert.equal(manifest.license, 'Apache-2.0');
    assert.equal(manifest.private, undefined);
    assert.equal(readFileSync(join(installed, 'LICENSE'), 'utf8'), readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
    assert.match(readFileSync(join(installed, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);

    // Every source of every map has its text inlined or is a file of the package.
    const maps = filesUnder(join(installed, 'dist')).filter((f) => f.endsWith('.map'));
    assert.ok(maps.length > 20, `${maps.length} source maps`);
    for (const map of maps) {
      const m = JSON.parse(readFileSync(map, 'utf8'));
      assert.ok(m.sources.length > 0, map);
      m.sources.forEach((source, i) => {
        if (typeof m.sourcesContent?.[i] === 'string') return;
        const path = resolve(dirname(map), m.sourceRoot ?? '', source);
        assert.ok(path.startsWith(installed + sep) && existsSync(path), `${relative(installed, map)}: ${source} resolves`);
      });
    }
    const bundleMap = JSON.parse(readFileSync(join(installed, 'dist/switchboard.min.js.map'), 'utf8'));
    assert.ok(bundleMap.sources.some((s) => s.endsWith('src/client.ts')));

    // The script-tag bundle defines the global Switchboard with the module's exports.
    const context = vm.createContext({ TextEncoder, TextDecoder, console });
    vm.runInContext(readFileSync(join(installed, 'dist/switchboard.min.js'), 'utf8'), context);
    assert.equal(typeof context.Switchboard.SwitchboardClient, 'function');
    assert.equal(typeof context.Switchboard.SwitchboardError, 'function');
    assert.equal(context.Switchboard.proto.CloseCode.KICKED, 4006);
  });

  it('type-checks a TypeScript app against the installed types (the example page, strict, NodeNext)', async () => {
    await run(process.execPath, [join(WEB, 'node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')], { cwd: app });
  });

  it('a Node app with `ws` as its WebSocket joins a room, publishes and gets its ack', async () => {
    writeFileSync(join(app, 'node-client.mjs'), `
import { SwitchboardClient } from '@switchboard/client';
import { WebSocket } from 'ws';
const [url, token, room] = process.argv.slice(2);
setTimeout(() => { console.error('timed out'); process.exit(3); }, 20000).unref();
const client = new SwitchboardClient({ url, WebSocket, getToken: () => token });
const echoed = new Promise((resolve) => client.on('message', (m) => m.messageId === 'node-1' && resolve(m)));
const welcome = await client.connect();
await client.join(room);
const ack = await client.publish(room, 'hello from node', { messageId: 'node-1' });
const m = await echoed;
console.log(JSON.stringify({ user: welcome.userId, ack, message: { offset: m.offset, data: m.data, from: m.sender.userId } }));
client.close();
`);
    const { stdout } = await run(process.execPath, ['node-client.mjs', stack.wsUrl, token, 'chat:pkg-node'], {
      cwd: app,
      timeout: 30_000,
    });
    const out = JSON.parse(stdout);
    assert.equal(out.user, 'alice');
    assert.equal(out.ack.duplicate, false);
    assert.ok(out.ack.offset > 0);
    assert.deepEqual(out.message, { offset: out.ack.offset, data: 'hello from node', from: 'alice' });
  });

  describe('in Chromium', () => {
    /**
     * A page of `stack.staticOrigin` (an origin the gateway allows), whose
     * server also serves the app folder under /app/ and a token under
     * /api/switchboard-token. (Served for real on loopback: Chromium does not
     * let pages that came from route.fulfill() reach 127.0.0.1.)
     */
    async function openApp(path) {
      browser ??= await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30000 });
      const types = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };
      stack.staticHook = (req, res) => {
        const { pathname } = new URL(req.url, 'http://x');
        if (pathname === '/api/switchboard-token') {
          res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
          return true;
        }
        if (!pathname.startsWith('/app/')) return false;
        const file = resolve(app, `.${decodeURIComponent(pathname).replace(/^\/app\//, '/')}`);
        if (!file.startsWith(app + sep) || !existsSync(file)) {
          res.writeHead(404).end('not found');
        } else {
          res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
        }
        return true;
      };
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (err) => errors.push(String(err)));
      await page.goto(`${stack.staticOrigin}/app/${path}`);
      return { page, errors };
    }

    it('a page with the script-tag bundle (global Switchboard) joins, publishes and gets its ack', async () => {
      const params = new URLSearchParams({ gateway: stack.wsUrl, room: 'chat:pkg-script' });
      const { page, errors } = await openApp(`script-tag.html?${params}`);
      await page.waitForFunction(() => /^stored at offset \d+$/.test(document.getElementById('ack').textContent), null, {
        timeout: 15_000,
      }).catch(async (err) => {
        throw new Error(`${err.message}\nack: ${await page.textContent('#ack')}\nerrors: ${errors}`);
      });
      await page.waitForSelector('#messages li:has-text("alice: hello from a script tag")', { timeout: 10_000 });
      assert.deepEqual(errors, []);
      await page.context().close();
    });

    it('the example page, bundled with esbuild from the installed package, chats', async () => {
      await run(process.execPath, ['build.mjs'], { cwd: app, timeout: 60_000 });
      const bundle = readFileSync(join(app, 'dist/main.js'), 'utf8');
      assert.ok(bundle.includes('switchboard.v1.proto'), 'the client is bundled in');
      const params = new URLSearchParams({ gateway: stack.wsUrl, room: 'chat:pkg-esm' });
      const { page, errors } = await openApp(`index.html?${params}`);
      await page.waitForSelector('#status[data-state="connected"]', { timeout: 15_000 });
      await page.fill('#text', 'hello from the bundle');
      await page.press('#text', 'Enter');
      await page.waitForSelector('#messages li[data-offset]:has-text("alice: hello from the bundle")', { timeout: 10_000 });
      assert.equal(await page.$$eval('#messages li.pending', (els) => els.length), 0, 'no message left pending');
      assert.deepEqual(errors, []);
      await page.context().close();
    });
  });
});
