// The Switchboard chat demo: rooms, history, presence, typing indicators and
// a visible connection state, on top of the typed client in clients/web.
// Bundled to ../app.js by clients/web/scripts/bundle_demo.mjs (no framework,
// no CDN); the gateway serves this directory on GET /.
import {
  type RoomMessage,
  type RoomPresence,
  type StateChange,
  SwitchboardClient,
  SwitchboardError,
} from '../../web/dist/index.js';
import { decodeClaims, defaultRooms, takeTokenFromUrl, TOKEN_KEY, type TokenClaims } from './dev_token.js';
import { $, avatar, clock, h, renderData, shortRoom, toast } from './dom.js';

// ---------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------

interface Pending {
  messageId: string;
  text: string;
  status: 'sending' | 'sent' | 'failed';
  error?: string;
  /**
   * Its fate is unknown (never acked, older than the dedupe window): a retry
   * must be a new message with a new id, or it could be stored twice.
   */
  newIdOnRetry?: boolean;
}

interface RoomView {
  name: string;
  messages: RoomMessage[];
  pending: Map<string, Pending>;
  typing: Map<string, number>; // user -> expires at
  /** Who is online: user-level, across tabs, devices and gateways. */
  presence: RoomPresence;
  /** "+user" / "-user" as users came online and went offline, oldest first (debug hook). */
  presenceLog: string[];
  unread: number;
  joined: boolean;
  notice?: string;
  error?: string;
}

const TYPING_SEND_EVERY_MS = 2000;
const TYPING_SHOW_MS = 4000;
// Presence events are at-most-once: re-sync the list now and then as well.
const PRESENCE_REFRESH_MS = 30000;

class ChatApp {
  private readonly client: SwitchboardClient;
  private readonly rooms = new Map<string, RoomView>();
  private active = '';
  private lastTypingSent = 0;
  private state: StateChange = { state: 'idle', previous: 'idle', attempt: 0 };
  private retryAt = 0;
  private renderQueued = false;
  /** WebSocket close codes seen, oldest first (debug hook). */
  private readonly closes: number[] = [];
  /** Errors the client reported, oldest first (debug hook). */
  private readonly errors: { code: string; message: string; status?: number; reason?: string }[] = [];
  /** Per room, per message id: how often the client delivered it (tests check for 1). */
  readonly deliveries = new Map<string, Map<string, number>>();
  readonly me: string;

  constructor(
    private readonly token: string,
    claims: TokenClaims | undefined,
    wsUrl: string,
    private readonly format: 'json' | 'protobuf',
    initialRooms: string[],
    backoff: { baseMs: number; capMs: number },
  ) {
    this.me = claims?.sub ?? '';
    this.client = new SwitchboardClient({
      url: wsUrl,
      format,
      getToken: async () => this.token,
      backoff,
      requestTimeoutMs: 10000,
      // Chat messages written offline wait for the network for 5 minutes.
      publishTimeoutMs: 5 * 60 * 1000,
      persistOutbox: typeof indexedDB !== 'undefined',
      persistKey: `${wsUrl}|${this.me}`,
      clientName: 'demo/0.1.0',
    });
    this.wire();
    for (const r of initialRooms) this.addRoom(r);
    this.active = initialRooms[0] ?? '';
    this.bindUi();
    this.render();
    this.client.connect().catch(() => {
      // The state handler shows why.
    });
    setInterval(() => this.tick(), 250);
  }

  /** Debug hook for tests and the console. */
  debug() {
    return {
      client: this.client,
      format: this.format,
      state: () => this.client.state,
      counts: (room: string) => Object.fromEntries(this.deliveries.get(room) ?? []),
      messages: (room: string) => (this.rooms.get(room)?.messages ?? []).map((m) => ({
        id: m.messageId,
        offset: m.offset,
        from: m.sender.userId,
        replay: m.replay,
        text: typeof m.data === 'string' ? m.data : JSON.stringify(m.data),
      })),
      closes: () => this.closes.slice(),
      errors: () => this.errors.slice(),
      outbox: () => this.client.outboxSize,
      stats: () => this.client.stats,
      /** Online users of `room` and their connection counts, e.g. {alice: 2, bob: 1}. */
      presence: (room: string) => {
        const p = this.rooms.get(room)?.presence;
        return Object.fromEntries((p?.users() ?? []).map((u) => [u, p!.connectionsOf(u)]));
      },
      presenceSynced: (room: string) => this.rooms.get(room)?.presence.synced ?? false,
      presenceLog: (room: string) => (this.rooms.get(room)?.presenceLog ?? []).slice(),
    };
  }

  // -- client events --------------------------------------------------------

  private wire(): void {
    const c = this.client;
    c.on('state', (s) => {
      this.state = s;
      if (s.closeCode !== undefined && s.state === 'reconnecting') this.closes.push(s.closeCode);
      this.retryAt = s.retryInMs !== undefined ? Date.now() + s.retryInMs : 0;
      if (s.state !== 'connected') {
        for (const room of this.rooms.values()) room.joined = false;
      }
      if (s.state === 'closed' && s.error) {
        if (s.error.code === 'UNAUTHENTICATED' || s.error.details.closeCode === 4002) {
          sessionStorage.removeItem(TOKEN_KEY);
          showSignin(`The gateway refused the token: ${s.error.message}`);
          return;
        }
      }
      this.render();
    });
    c.on('message', (m) => this.onMessage(m));
    c.on('typing', (t) => {
      const room = this.rooms.get(t.room);
      if (!room || t.sender.userId === this.me) return;
      room.typing.set(t.sender.userId, Date.now() + TYPING_SHOW_MS);
      this.render();
    });
    c.on('recovered', (r) => {
      const room = this.rooms.get(r.room);
      if (!room) return;
      room.joined = true;
      room.notice = r.recovered
        ? undefined
        : 'Some messages sent while you were away are no longer in the history window.';
      this.render();
    });
    c.on('outbox', () => this.render());
    c.on('left', (l) => {
      const room = this.rooms.get(l.room);
      if (room) room.joined = false;
      toast(`Removed from ${l.room}${l.reason ? `: ${l.reason}` : ''}`, true);
      this.render();
    });
    c.on('error', (e) => {
      this.errors.push({ code: e.code, message: e.message, status: e.details.status, reason: e.details.reason });
      if (e.code === 'CLOSED' || e.code === 'UNAUTHENTICATED') return; // shown by the state badge
      if (e.code === 'UPGRADE_REFUSED') {
        // The client stopped: say why, for as long as it stays so.
        toast(`The gateway refuses this page (HTTP ${e.details.status}: ${e.details.reason}).`, true, {
          kind: 'refused',
          ms: 60_000,
        });
        return;
      }
      toast(`${e.code}: ${e.message}`, true);
    });
    c.on('kicked', (k) => {
      const back = k.until ? ` You can reconnect at ${k.until.toLocaleTimeString()}.` : '';
      const why = k.reason === 'kicked' ? '' : `: ${k.reason}`; // "kicked": no reason given
      toast(`You were removed by a moderator${why}.${back}`, true, { kind: 'kicked', ms: 10_000 });
    });
    c.on('fateUnknown', (f) => {
      const room = this.rooms.get(f.room);
      if (!room) return;
      // Stored after all if the room delivered it (live, history or resume).
      if (room.messages.some((m) => m.messageId === f.messageId)) {
        room.pending.delete(f.messageId);
      } else {
        const text = typeof f.data === 'string' ? f.data : JSON.stringify(f.data);
        const p = room.pending.get(f.messageId) ?? { messageId: f.messageId, text, status: 'failed' };
        p.status = 'failed';
        p.error = 'not confirmed: it may not have been sent';
        p.newIdOnRetry = true;
        room.pending.set(f.messageId, p);
      }
      this.render();
    });
  }

  private onMessage(m: RoomMessage): void {
    const room = this.rooms.get(m.room);
    if (!room) return;
    const counts = this.deliveries.get(m.room) ?? new Map<string, number>();
    counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    this.deliveries.set(m.room, counts);
    room.pending.delete(m.messageId);
    // Offsets are increasing per room; a replay can interleave with nothing live
    // (the client drops duplicates), so appending keeps order. Insert to be safe.
    let i = room.messages.length;
    while (i > 0 && room.messages[i - 1].offset > m.offset && m.offset !== 0) i--;
    room.messages.splice(i, 0, m);
    room.typing.delete(m.sender.userId);
    if (m.room !== this.active && !m.replay && m.sender.userId !== this.me) room.unread++;
    this.render();
  }

  // -- actions ---------------------------------------------------------------

  private addRoom(name: string): void {
    if (this.rooms.has(name)) return;
    const presence = this.client.trackPresence(name, { refreshIntervalMs: PRESENCE_REFRESH_MS });
    const redraw = () => {
      if (this.active === name) this.render();
    };
    presence.on('change', redraw);
    presence.on('synced', redraw);
    const presenceLog: string[] = [];
    const log = (entry: string) => {
      presenceLog.push(entry);
      if (presenceLog.length > 200) presenceLog.shift();
    };
    presence.on('online', (e) => log(`+${e.userId}`));
    presence.on('offline', (e) => log(`-${e.userId}`));
    this.rooms.set(name, {
      name,
      messages: [],
      pending: new Map(),
      typing: new Map(),
      presence,
      presenceLog,
      unread: 0,
      joined: false,
    });
    this.client
      .join(name, { history: 50, presence: true })
      .then(() => {
        const room = this.rooms.get(name);
        if (!room) return;
        room.joined = true;
        room.error = undefined;
        this.render();
      })
      .catch((e: SwitchboardError) => {
        const room = this.rooms.get(name);
        if (!room) return;
        if (e.code === 'TIMEOUT') return; // still trying; the state badge explains
        room.error = `${e.code}: ${e.message}`;
        if (!this.client.joinedRooms().includes(name)) {
          room.presence.stop();
          this.rooms.delete(name);
          if (this.active === name) this.active = [...this.rooms.keys()][0] ?? '';
          toast(`Cannot join ${name}: ${e.message}`, true);
        }
        this.render();
      });
  }

  private switchTo(name: string): void {
    this.active = name;
    const room = this.rooms.get(name);
    if (room) room.unread = 0;
    this.render();
    ($('composer-input') as HTMLInputElement).focus();
  }

  private publish(text: string, retryOf?: Pending): void {
    const room = this.rooms.get(this.active);
    if (!room || !text.trim()) return;
    const freshId = () => `${this.me || 'web'}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    let pending: Pending;
    if (retryOf && !retryOf.newIdOnRetry) {
      pending = retryOf;
    } else {
      if (retryOf) room.pending.delete(retryOf.messageId);
      pending = { messageId: freshId(), text, status: 'sending' };
    }
    const messageId = pending.messageId;
    pending.status = 'sending';
    pending.error = undefined;
    room.pending.set(messageId, pending);
    this.client
      .publish(room.name, text, { messageId })
      .then(() => {
        if (room.pending.has(messageId)) pending.status = 'sent';
        this.render();
      })
      .catch((e: SwitchboardError) => {
        if (!room.pending.has(messageId) || e.code === 'FATE_UNKNOWN') return; // see 'fateUnknown'
        pending.status = 'failed';
        pending.error = e.code === 'TIMEOUT' ? 'not sent yet' : e.message;
        this.render();
      });
    this.render();
  }

  private bindUi(): void {
    const input = $('composer-input') as HTMLInputElement;
    $('composer').addEventListener('submit', (e) => {
      e.preventDefault();
      const text = input.value;
      input.value = '';
      // The next keystroke starts a new "typing" burst right away.
      this.lastTypingSent = 0;
      this.publish(text);
    });
    input.addEventListener('input', () => {
      const now = Date.now();
      if (input.value && now - this.lastTypingSent > TYPING_SEND_EVERY_MS) {
        if (this.client.typing(this.active)) this.lastTypingSent = now;
      }
    });
    $('join-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const field = $('join-input') as HTMLInputElement;
      const name = field.value.trim();
      if (!name) return;
      field.value = '';
      this.addRoom(name);
      this.switchTo(name);
    });
    $('signout').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      this.client.close();
      location.reload();
    });
  }

  private tick(): void {
    // Expire typing indicators and keep the retry countdown current.
    const now = Date.now();
    let changed = this.state.state === 'reconnecting';
    for (const room of this.rooms.values()) {
      for (const [user, until] of room.typing) {
        if (until < now) {
          room.typing.delete(user);
          changed = true;
        }
      }
    }
    if (changed) this.render();
  }

  // -- rendering ---------------------------------------------------------------

  private render(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.draw();
    });
  }

  private draw(): void {
    this.drawHeader();
    this.drawRooms();
    this.drawChat();
    this.drawPresence();
  }

  private drawHeader(): void {
    const s = this.state;
    const badge = $('conn-state');
    badge.dataset.state = s.state;
    let label: string;
    switch (s.state) {
      case 'connected':
        label = `Connected · ${this.client.welcome?.gatewayId ?? ''}`;
        break;
      case 'connecting':
        label = s.attempt > 0 ? `Reconnecting… (attempt ${s.attempt + 1})` : 'Connecting…';
        break;
      case 'reconnecting': {
        const secs = Math.max(0, Math.ceil((this.retryAt - Date.now()) / 1000));
        label = `Offline · retrying in ${secs}s`;
        break;
      }
      case 'closed':
        label = s.error ? `Disconnected · ${s.error.message}` : 'Disconnected';
        break;
      default:
        label = 'Idle';
    }
    badge.querySelector('.label')!.textContent = label;
    badge.title = s.closeCode ? `last close: ${s.closeCode} ${s.closeReason ?? ''}` : '';
    const outbox = $('outbox');
    const n = this.client.outboxSize;
    outbox.hidden = n === 0;
    outbox.textContent = `${n} queued`;
    const me = $('me');
    me.replaceChildren(avatarSmall(this.me), document.createTextNode(this.me));
  }

  private drawRooms(): void {
    const list = $('rooms');
    list.replaceChildren(
      ...[...this.rooms.values()].map((room) =>
        h(
          'li',
          { class: room.name === this.active ? 'active' : '', 'data-room': room.name },
          h(
            'button',
            { type: 'button', onclick: () => this.switchTo(room.name), title: room.name },
            h('span', {}, `# ${shortRoom(room.name)}`),
            room.unread > 0
              ? h('span', { class: 'unread' }, String(room.unread))
              : !room.joined && this.state.state === 'connected'
                ? h('span', { class: 'room-state' }, 'joining…')
                : null,
          ),
        ),
      ),
    );
  }

  private drawChat(): void {
    const room = this.rooms.get(this.active);
    $('room-title').textContent = room ? `# ${shortRoom(room.name)}` : 'No room';
    $('room-meta').textContent = room ? room.name : '';
    const notice = $('notice');
    notice.hidden = !room?.notice;
    notice.textContent = room?.notice ?? '';
    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    if (!room) {
      list.replaceChildren(h('li', { class: 'empty' }, 'Join a room to start chatting.'));
    } else {
      const items: Node[] = [];
      let prev: string | undefined;
      let prevTime = 0;
      for (const m of room.messages) {
        const t = m.time?.getTime() ?? 0;
        const first = m.sender.userId !== prev || t - prevTime > 5 * 60 * 1000;
        items.push(this.messageItem(m.sender.userId, m.time, renderData(m.data), first, {
          'data-message-id': m.messageId,
          'data-offset': String(m.offset),
        }));
        prev = m.sender.userId;
        prevTime = t;
      }
      for (const p of room.pending.values()) {
        const first = prev !== this.me;
        const status = h(
          'span',
          { class: 'status' },
          p.status === 'failed' ? `${p.error ?? 'failed'} · ` : p.status === 'sent' ? '✓ sent' : '◷ sending…',
          p.status === 'failed' && h('button', { type: 'button', onclick: () => this.publish(p.text, p) }, 'retry'),
        );
        const li = this.messageItem(this.me, undefined, h('span', {}, p.text, status), first, {
          'data-pending-id': p.messageId,
        });
        li.classList.add('pending');
        if (p.status === 'failed') li.classList.add('failed');
        items.push(li);
        prev = this.me;
      }
      if (items.length === 0) {
        items.push(h('li', { class: 'empty' }, room.joined ? 'No messages yet. Say hello!' : 'Joining…'));
      }
      list.replaceChildren(...items);
    }
    if (atBottom) list.scrollTop = list.scrollHeight;

    const typing = $('typing');
    const names = room ? [...room.typing.keys()] : [];
    typing.replaceChildren();
    if (names.length > 0) {
      const who =
        names.length === 1 ? names[0] : names.length === 2 ? `${names[0]} and ${names[1]}` : `${names.length} people`;
      typing.append(
        `${who} ${names.length === 1 ? 'is' : 'are'} typing`,
        h('span', { class: 'dots' }, h('span', {}, '.'), h('span', {}, '.'), h('span', {}, '.')),
      );
    }
    typing.dataset.users = names.join(',');
  }

  private messageItem(
    user: string,
    time: Date | undefined,
    body: Node,
    first: boolean,
    attrs: Record<string, string>,
  ): HTMLLIElement {
    const classes = ['msg'];
    if (first) classes.push('first');
    if (user === this.me) classes.push('mine');
    return h(
      'li',
      { class: classes.join(' '), ...attrs },
      avatar(user || 'server'),
      h('div', { class: 'head' }, h('span', { class: 'name' }, user || 'server'), h('span', { class: 'time' }, clock(time))),
      h('div', { class: 'body' }, body),
    );
  }

  private drawPresence(): void {
    const room = this.rooms.get(this.active);
    const users = room?.presence.users() ?? [];
    $('presence-count').textContent = users.length > 0 ? `· ${users.length}` : '';
    $('presence').replaceChildren(
      ...users.map((user) => {
        const tabs = room!.presence.connectionsOf(user);
        return h(
          'li',
          { 'data-user': user, 'data-connections': String(tabs) },
          avatar(user),
          h(
            'span',
            { class: 'who' },
            h('span', {}, user === this.me ? `${user} (you)` : user),
            h('span', { class: 'sub' }, tabs > 1 ? `online · ${tabs} tabs` : 'online'),
          ),
        );
      }),
    );
    $('presence-note').textContent = !room
      ? ''
      : room.presence.synced
        ? 'Everyone with a tab open in this room, on any gateway.'
        : 'Updating…';
  }
}

function avatarSmall(name: string): HTMLElement {
  const el = avatar(name || '?');
  el.style.cssText += ';width:24px;height:24px;border-radius:7px;display:inline-grid;place-items:center;color:#fff;font-size:0.7rem;margin-right:0.4rem;vertical-align:middle';
  return el;
}

// ---------------------------------------------------------------------------
// Boot
// ---------------------------------------------------------------------------

function showSignin(error?: string): void {
  $('app').hidden = true;
  $('signin').hidden = false;
  const err = $('signin-error');
  err.hidden = !error;
  err.textContent = error ?? '';
}

function start(token: string): void {
  const params = new URLSearchParams(location.search);
  const claims = decodeClaims(token);
  if (!claims?.sub) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignin('That does not look like a Switchboard token (a JWT with a "sub" claim).');
    return;
  }
  if (claims.exp && claims.exp * 1000 < Date.now()) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignin(`The token for ${claims.sub} has expired; mint a new one.`);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('signin').hidden = true;
  $('app').hidden = false;
  const wsUrl = params.get('ws') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const format = params.get('format') === 'json' ? 'json' : 'protobuf';
  // Reconnect pacing; tests shorten it with ?backoff_base=&backoff_cap= (ms).
  const backoff = {
    baseMs: Number(params.get('backoff_base')) || 250,
    capMs: Number(params.get('backoff_cap')) || 8000,
  };
  backoff.capMs = Math.max(backoff.capMs, backoff.baseMs);
  const app = new ChatApp(token, claims, wsUrl, format, defaultRooms(claims, params), backoff);
  (window as unknown as { switchboardDemo: unknown }).switchboardDemo = app.debug();
  document.title = `${claims.sub} · Switchboard chat demo`;
}

function boot(): void {
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = ($('token-input') as HTMLTextAreaElement).value.trim();
    if (token) start(token);
  });
  const token = takeTokenFromUrl() ?? sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  if (token) start(token);
  else showSignin();
}

boot();
