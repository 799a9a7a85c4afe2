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

/** An RFC 3339 time as the gateway writes them (2026-12-04T20:00:00Z, fractions and offsets allowed). */
const RFC3339 = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})`;
const BANNED_UNTIL = new RegExp(String.raw`^banned until (${RFC3339})(?::\s*([\s\S]*))?$`);
const RETRY_AFTER = new RegExp(String.raw`retry after (${RFC3339})`);

/** What a 4006 (KICKED) close reason says. */
export interface KickReason {
  /** The kick's reason as the operator wrote it ("kicked" when none is given). */
  reason: string;
  /** When the ban ends, if the user is banned: reconnecting earlier is refused. */
  until?: Date;
}

/**
 * Reads a KICKED close reason. The gateway writes the kick's reason when it
 * kicks a live connection ("spamming"), and when it refuses a banned user at
 * authentication "banned until <RFC 3339>: <reason>" (older gateways:
 * "kicked; retry after <RFC 3339>").
 */
export function parseKickReason(closeReason: string): KickReason {
  const banned = BANNED_UNTIL.exec(closeReason);
  if (banned) return { reason: banned[2]?.trim() || 'kicked', until: new Date(Date.parse(banned[1])) };
  const retry = RETRY_AFTER.exec(closeReason);
  if (retry) {
    const rest = closeReason.replace(retry[0], '').replace(/^[\s;:]+|[\s;:]+$/g, '');
    return { reason: rest || 'kicked', until: new Date(Date.parse(retry[1])) };
  }
  return { reason: closeReason.trim() || 'kicked' };
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
 * connection) instead of the backoff; a kick waits for the end of the ban the
 * gateway put in the close reason (parseKickReason).
 */
export function closeAction(code: number, reason: string, ctx: CloseContext): CloseAction {
  if (FINAL_CLOSE_CODES.has(code)) return { reconnect: false, why: 'final' };
  if (isAuthClose(code) && ctx.authFailures >= MAX_AUTH_FAILURES) return { reconnect: false, why: 'auth' };
  if (ctx.goingAwayAt !== undefined) return { reconnect: true, delayMs: Math.max(0, ctx.goingAwayAt - ctx.now) };
  let delayMs = ctx.nextBackoff();
  if (code === CloseCode.KICKED) {
    const untilMs = parseKickReason(reason).until?.getTime() ?? NaN;
    if (!Number.isNaN(untilMs)) delayMs = Math.max(delayMs, untilMs - ctx.now);
  }
  return { reconnect: true, delayMs };
}
