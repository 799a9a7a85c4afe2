// Starts the real Switchboard stack for browser tests: nats-server with
// JetStream in a temp dir, one gateway serving the demo, optionally the gRPC
// control plane (with an API key), a DEV-ONLY HS256 key for tokens.
// Everything listens on 127.0.0.1 on free ports and is killed by stop() (also
// registered for process exit, so a failing test leaves nothing running).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = fileURLToPath(new URL('.', import.meta.url));
export const ROOT = resolve(here, '../..');
const BIN = process.env.SB_BIN_DIR || join(ROOT, 'bazel-bin');
export const GATEWAY_BIN = join(BIN, 'gateway/switchboard-gateway');
export const DEVTOKEN_BIN = join(BIN, 'tools/devtoken/devtoken');
export const CONTROL_BIN = join(BIN, 'control/switchboard-control');
export const NATS_BIN = process.env.SB_NATS_SERVER || '/usr/sbin/nats-server';
export const STATIC_DIR = process.env.SB_STATIC_DIR || join(ROOT, 'clients/demo');

const execFileAsync = promisify(execFile);

/** The kernel's ephemeral port range: outgoing connections take their source ports from it. */
function ephemeralRange() {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {}
  return [32768, 60999];
}

/** Resolves to true if `listen(server)` succeeds; the server stays open. */
function tryListen(server, ...args) {
  return new Promise((resolveListen) => {
    const onError = () => resolveListen(false);
    server.once('error', onError);
    server.listen(...args, () => {
      server.off('error', onError);
      resolveListen(true);
    });
  });
}

const handedOut = new Set();

/**
 * A TCP port on 127.0.0.1 for a server about to start, as tests/testing/ports.h
 * picks them: at random outside the ephemeral range (so no outgoing connection,
 * Chromium's included, can sit on it), reserved across processes by the abstract
 * Unix socket "switchboard-test-port-N" (held until this process exits), and
 * bindable right now.
 */
export async function freePort() {
  const [low, high] = ephemeralRange();
  const candidates = [];
  if (low > 10000) candidates.push([10000, low - 1]);
  if (high < 65535) candidates.push([Math.max(high + 1, 10000), 65535]);
  let total = candidates.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
  if (total < 1000) {
    // The ephemeral range covers (nearly) everything: pick among all ports.
    candidates.splice(0, candidates.length, [10000, 65535]);
    total = 65535 - 10000 + 1;
  }
  for (let attempt = 0; attempt < 2000; attempt++) {
    let index = Math.floor(Math.random() * total);
    let port = 0;
    for (const [lo, hi] of candidates) {
      if (index <= hi - lo) { port = lo + index; break; }
      index -= hi - lo + 1;
    }
    if (handedOut.has(port)) continue;
    const reservation = createServer();
    if (!(await tryListen(reservation, `\0switchboard-test-port-${port}`))) continue;
    const probe = createServer();
    if (!(await tryListen(probe, port, '127.0.0.1'))) {
      reservation.close();
      continue;
    }
    await new Promise((done) => probe.close(done));
    reservation.unref();  // Held, but does not keep the process alive.
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port outside the ephemeral range ${low}-${high}`);
}

/** Polls `check` (async, returns truthy when done) until `timeoutMs`. */
export async function until(what, check, timeoutMs = 15000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A static file server on 127.0.0.1 (a free port) for the files directly in
 * `dir` (GET / is index.html); resolves once listening. `hook(req, res)`, if
 * given, sees each request first and returns true when it answered it.
 */
export async function serveStatic(dir, hook) {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createHttpServer((req, res) => {
    if (hook?.(req, res)) return;
    const path = new URL(req.url, 'http://x').pathname;
    const name = path === '/' ? 'index.html' : path.slice(1);
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(join(dir, name));
      res.writeHead(200, { 'content-type': types[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

async function httpOk(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  return res.ok;
}

export class Stack {
  /**
   * control: also start the control plane (gRPC on controlAddress), which
   * requires the API key `apiKey` (random) on every call.
   */
  constructor({ control = false } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'sb-browser-'));
    this.keyFile = join(this.dir, 'dev-hs256.key');
    writeFileSync(this.keyFile, randomBytes(48).toString('base64'), { mode: 0o600 });
    this.withControl = control;
    this.apiKey = `test-key-${randomBytes(12).toString('hex')}`;
    this.procs = new Map(); // name -> ChildProcess
    this.extraStatic = []; // servers of addStaticServer()
    this.onExit = () => this.killAllSync();
    process.on('exit', this.onExit);
  }

  /** The gateway's origin: it serves the demo on GET /. */
  get origin() {
    return `http://127.0.0.1:${this.wsPort}`;
  }

  /**
   * A second origin serving the same demo files, up while the gateway is down
   * (a page can reload then). Pages from here pass ?ws= to reach the gateway.
   */
  get staticOrigin() {
    return `http://127.0.0.1:${this.staticPort}`;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.wsPort}/ws`;
  }

  /** host:port of the control plane's gRPC service (with { control: true }). */
  get controlAddress() {
    return `127.0.0.1:${this.grpcPort}`;
  }

  async start() {
    this.natsPort = await freePort();
    this.natsMonitorPort = await freePort();
    this.wsPort = await freePort();
    this.adminPort = await freePort();
    await this.startStaticServer();
    this.spawn('nats', NATS_BIN, [
      '-js', '-sd', join(this.dir, 'jetstream'), '-a', '127.0.0.1', '-p', String(this.natsPort),
      '-m', String(this.natsMonitorPort), '-n', 'sb-browser-test',
    ]);
    await until('nats-server /healthz', () => httpOk(`http://127.0.0.1:${this.natsMonitorPort}/healthz`));
    await this.startGateway();
    if (this.withControl) await this.startControl();
  }

  /** Starts the control plane, with the same stream settings as the gateway and one API key. */
  async startControl() {
    this.grpcPort = await freePort();
    this.controlAdminPort = await freePort();
    const keys = join(this.dir, 'api-keys');
    writeFileSync(keys, `# browser tests\n${this.apiKey}\n`, { mode: 0o600 });
    this.spawn('control', CONTROL_BIN, [
      `--nats_url=nats://127.0.0.1:${this.natsPort}`,
      `--grpc_listen=127.0.0.1:${this.grpcPort}`,
      `--admin_listen=127.0.0.1:${this.controlAdminPort}`,
      '--control_id=control-browser',
      `--api_keys_file=${keys}`,
      '--storage=memory',
    ]);
    await until('control /readyz', () => httpOk(`http://127.0.0.1:${this.controlAdminPort}/readyz`), 20000);
  }

  /** Starts (or restarts) the gateway on the same ports. */
  async startGateway() {
    this.gatewayRuns = (this.gatewayRuns ?? 0) + 1;
    this.spawn('gateway', GATEWAY_BIN, [
      `--nats_url=nats://127.0.0.1:${this.natsPort}`,
      `--listen=127.0.0.1:${this.wsPort}`,
      `--admin_listen=127.0.0.1:${this.adminPort}`,
      `--gateway_id=gw-browser-${this.gatewayRuns}`,
      `--jwt_hs256_key_file=${this.keyFile}`,
      `--static_dir=${STATIC_DIR}`,
      '--storage=memory',
      `--allowed_origins=${this.origin},${this.staticOrigin}`,
      '--drain_window=500ms',
      '--drain_timeout=2s',
    ]);
    await until('gateway /readyz', () => httpOk(`http://127.0.0.1:${this.adminPort}/readyz`), 20000);
  }

  async startStaticServer() {
    // Tests set staticHook(req, res) to serve more than the demo from staticOrigin.
    this.static = await serveStatic(STATIC_DIR, (req, res) => this.staticHook?.(req, res) ?? false);
    this.staticPort = this.static.address().port;
  }

  /**
   * One more origin serving the demo files, which the gateway does not allow
   * (--allowed_origins lists only origin and staticOrigin). Closed by stop().
   */
  async addStaticServer() {
    const server = await serveStatic(STATIC_DIR);
    this.extraStatic.push(server);
    return `http://127.0.0.1:${server.address().port}`;
  }

  /** Stops the gateway: SIGKILL (a crash) or SIGTERM (a drain with GoingAway). */
  async stopGateway(signal = 'SIGKILL') {
    await this.kill('gateway', signal);
  }

  /** A DEV-ONLY token for `user`, allowed in rooms matching `patterns`. */
  async token(user, patterns = ['chat:*'], extra = []) {
    const { stdout } = await execFileAsync(DEVTOKEN_BIN, [`--key_file=${this.keyFile}`, ...extra, user, ...patterns]);
    return stdout.trim();
  }

  log(name) {
    try {
      return readFileSync(join(this.dir, `${name}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  spawn(name, bin, args) {
    const fd = openSync(join(this.dir, `${name}.log`), 'a');
    const child = spawn(bin, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.exitPromise = new Promise((r) => child.once('exit', r));
    this.procs.set(name, child);
    return child;
  }

  async kill(name, signal = 'SIGTERM') {
    const child = this.procs.get(name);
    if (!child) return;
    this.procs.delete(name);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await child.exitPromise;
      clearTimeout(timer);
    }
  }

  async stop({ keepDir = false } = {}) {
    await this.kill('control', 'SIGKILL');
    await this.kill('gateway', 'SIGKILL');
    await this.kill('nats', 'SIGTERM');
    for (const server of [this.static, ...this.extraStatic]) {
      if (!server) continue;
      const closed = new Promise((r) => server.close(r));
      server.closeAllConnections();
      await closed;
    }
    process.off('exit', this.onExit);
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  killAllSync() {
    for (const child of this.procs.values()) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    this.procs.clear();
  }
}
