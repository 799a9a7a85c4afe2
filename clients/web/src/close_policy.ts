import { CloseCode } from './gen/proto/switchboard/client/v1/client_pb.js';

/** Close codes after which the client must not reconnect on its own (client.proto's "Reconnect: no"). */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set<number>([
  CloseCode.NORMAL,
  CloseCode.PROTOCOL_ERROR,
  CloseCode.UNSUPPORTED_DATA,
  CloseCode.INVALID_PAYLOAD,
  CloseCode.POLICY_VIOLATION,
  CloseCode.MESSAGE_TOO_BIG,
  CloseCode.REPLACED,
  CloseCode.BAD_FRAMES,
]);

/**
 * Consecutive authentication failures (4001, 4002 without a Welcome in
 * between) after which reconnecting stops: getToken() keeps returning a token
 * the gateway refuses.
 */
export const MAX_AUTH_FAILURES = 3;

export function isAuthClose(code: number): boolean {
  return code === CloseCode.UNAUTHENTICATED || code === CloseCode.TOKEN_EXPIRED;
}

export type CloseAction =
  | { reconnect: false; why: 'final' | 'auth' }
  | { reconnect: true; delayMs: number };

export interface CloseContext {
  /** Authentication closes in a row, this one included. */
  authFailures: number;
  /** When a GoingAway said to come back (ms since epoch), if one came on this connection. */
  goingAwayAt?: number;
  now: number;
  /** The next backoff delay (counts an attempt). */
  nextBackoff: () => number;
}

/**
 * What to do after the WebSocket closed with `code`: stop for good, or
 * reconnect after a delay. Drains use the gateway's hint (already jittered per
 * connection) instead of the backoff; a kick waits for the "retry after" time
 * the gateway put in the close reason.
 */
export function closeAction(code: number, reason: string, ctx: CloseContext): CloseAction {
  if (FINAL_CLOSE_CODES.has(code)) return { reconnect: false, why: 'final' };
  if (isAuthClose(code) && ctx.authFailures >= MAX_AUTH_FAILURES) return { reconnect: false, why: 'auth' };
  if (ctx.goingAwayAt !== undefined) return { reconnect: true, delayMs: Math.max(0, ctx.goingAwayAt - ctx.now) };
  let delayMs = ctx.nextBackoff();
  if (code === CloseCode.KICKED) {
    const until = /retry after (\S+)/.exec(reason);
    const untilMs = until ? Date.parse(until[1]) : NaN;
    if (!Number.isNaN(untilMs)) delayMs = Math.max(delayMs, untilMs - ctx.now);
  }
  return { reconnect: true, delayMs };
}
