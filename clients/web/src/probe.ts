// The gateway's upgrade probe. A browser never sees the HTTP status of a
// refused WebSocket upgrade (the socket just closes with 1006), so after a few
// attempts that never opened the client asks the gateway in plain HTTP:
// GET /ws?probe=1 (same path and query as the upgrade; the token is ignored)
// is answered with the status the upgrade would get from this page's Origin,
// with `Access-Control-Allow-Origin: *` so that any page can read it, and a
// JSON body {"status": 403, "reason": "origin not allowed"}.
import type { Format } from './codec.js';

export type FetchLike = (
  url: string,
  init: { method: string; cache: 'no-store'; credentials: 'omit'; signal: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export type ProbeResult =
  /** The gateway refuses this upgrade for good (a 4xx other than 408 and 429). */
  | { outcome: 'refused'; status: number; reason: string }
  /** 200 (it would accept), 5xx, 408/429, or an answer that is not the probe's: keep retrying. */
  | { outcome: 'retry'; status: number; reason: string }
  /** No answer: network down, CORS refused, timed out, or no fetch here. */
  | { outcome: 'unreachable'; reason: string };

/** The probe's URL for a ws(s):// gateway URL: http(s), same host, path and query, plus probe=1 and format. */
export function probeUrl(wsUrl: string, format: Format): string {
  const url = new URL(wsUrl);
  if (url.protocol === 'ws:') url.protocol = 'http:';
  else if (url.protocol === 'wss:') url.protocol = 'https:';
  url.searchParams.set('probe', '1');
  url.searchParams.set('format', format);
  url.hash = '';
  return url.toString();
}

/**
 * Asks the gateway whether it would accept the upgrade. Only an answer that is
 * the probe's own (a JSON body whose `status` equals the HTTP status) counts
 * as a refusal: a gateway without the probe answers 404 for /ws, and a proxy's
 * error page says nothing about the upgrade. Never throws.
 */
export async function probeUpgrade(
  fetchImpl: FetchLike | undefined,
  wsUrl: string,
  format: Format,
  timeoutMs: number,
): Promise<ProbeResult> {
  if (!fetchImpl) return { outcome: 'unreachable', reason: 'no fetch() here' };
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await fetchImpl(probeUrl(wsUrl, format), {
      method: 'GET',
      cache: 'no-store',
      credentials: 'omit',
      signal: abort.signal,
    });
    const text = await res.text();
    let body: { status?: unknown; reason?: unknown } | undefined;
    if ((res.headers.get('content-type') ?? '').includes('application/json')) {
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        body = undefined;
      }
    }
    const own = body !== undefined && body !== null && body.status === res.status;
    const reason = own && typeof body?.reason === 'string' ? body.reason : `HTTP ${res.status}`;
    const transient = res.status === 408 || res.status === 429;
    if (own && res.status >= 400 && res.status < 500 && !transient) {
      return { outcome: 'refused', status: res.status, reason };
    }
    return { outcome: 'retry', status: res.status, reason };
  } catch (err) {
    return { outcome: 'unreachable', reason: String(err) };
  } finally {
    clearTimeout(timer);
  }
}
