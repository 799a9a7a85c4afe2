import type { Data } from '../../web/dist/index.js';

// ---------------------------------------------------------------------------
// Small DOM helpers
// ---------------------------------------------------------------------------

export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | ((e: Event) => void)> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false) el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el;
}

export function colorOf(name: string): string {
  let hash = 0;
  for (const c of name) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 50%)`;
}

export function avatar(name: string): HTMLElement {
  const el = h('span', { class: 'avatar' }, (name[0] ?? '?').toUpperCase());
  el.style.background = colorOf(name);
  return el;
}

export function clock(d: Date | undefined): string {
  return (d ?? new Date()).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function shortRoom(room: string): string {
  const i = room.indexOf(':');
  return i >= 0 ? room.slice(i + 1) : room;
}

export function renderData(data: Data): Node {
  if (typeof data === 'string') return document.createTextNode(data);
  if (data instanceof Uint8Array) return h('code', {}, `${data.byteLength} bytes of binary`);
  return h('code', {}, JSON.stringify(data));
}

/** Shows `text` for `ms` (default 5 s); `kind` is an extra class (e.g. "kicked") for styling and tests. */
export function toast(text: string, bad = false, { kind = '', ms = 5000 }: { kind?: string; ms?: number } = {}): void {
  const el = h('div', { class: ['toast', bad ? 'bad' : '', kind].filter(Boolean).join(' '), role: 'status' }, text);
  $('toasts').append(el);
  setTimeout(() => el.remove(), ms);
}
