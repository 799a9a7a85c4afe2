// A minimal chat page on @switchboard/client: joins one room with recent
// history, shows its messages live, publishes what is typed (queued while
// offline, kept across reloads) and says what the connection is doing.
import { type RoomMessage, SwitchboardClient } from '@switchboard/client';

const params = new URLSearchParams(location.search);
// Where the gateway is; by default the page's own host (behind the same proxy).
const GATEWAY = params.get('gateway') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const ROOM = params.get('room') ?? 'chat:lobby';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const list = $<HTMLUListElement>('messages');
const status = $<HTMLParagraphElement>('status');
$('room').textContent = ROOM;

const client = new SwitchboardClient({
  url: GATEWAY,
  // Your backend mints a short-lived token for the signed-in user
  // (examples/backend-node/token.mjs); asked before every connection.
  getToken: async () => {
    const res = await fetch('/api/switchboard-token', { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`token endpoint: HTTP ${res.status}`);
    return res.text();
  },
  persistOutbox: true, // messages typed offline survive a reload (IndexedDB)
});

function show(text: string, attrs: Record<string, string>): HTMLLIElement {
  const li = document.createElement('li');
  for (const [k, v] of Object.entries(attrs)) li.setAttribute(k, v);
  li.textContent = text;
  list.append(li);
  return li;
}

client.on('message', (m: RoomMessage) => {
  if (m.room !== ROOM) return;
  document.querySelector(`li.pending[data-message-id="${CSS.escape(m.messageId)}"]`)?.remove();
  const text = typeof m.data === 'string' ? m.data : JSON.stringify(m.data);
  show(`${m.sender.userId || 'server'}: ${text}`, { 'data-message-id': m.messageId, 'data-offset': String(m.offset) });
});
client.on('state', (s) => {
  status.dataset.state = s.state;
  status.textContent = s.error ? `${s.state}: ${s.error.message}` : s.state;
});
client.on('recovered', (r) => {
  if (!r.recovered) status.textContent = 'Some messages are no longer in the history: reload to see everything.';
});
client.on('kicked', (k) => {
  status.textContent = `Removed: ${k.reason}${k.until ? ` (until ${k.until.toLocaleTimeString()})` : ''}`;
});
client.on('fateUnknown', (f) => {
  // Sent long ago, never confirmed: look for it in the room, else offer to send it again (a new id).
  const stored = document.querySelector(`li[data-message-id="${CSS.escape(f.messageId)}"]:not(.pending)`);
  if (!stored) status.textContent = `Not confirmed: "${String(f.data)}". Send it again?`;
});

$<HTMLFormElement>('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('text');
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  // Your own id, so that the pending line can be matched (and a retry is deduplicated).
  const messageId = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  const li = show(`you: ${text}`, { class: 'pending', 'data-message-id': messageId });
  client
    .publish(ROOM, text, { messageId })
    .then((ack) => li.setAttribute('data-acked-offset', String(ack.offset)))
    .catch((err) => (li.textContent = `you: ${text} (not sent: ${err.message})`));
});

// connect() resolves on the first Welcome and rejects only when the client stops for
// good (a refused token or origin, a final close code): the 'state' handler shows why.
client.connect().catch(() => {});
client.join(ROOM, { history: 20 }).catch((err) => (status.textContent = `Cannot join ${ROOM}: ${err.message}`));
