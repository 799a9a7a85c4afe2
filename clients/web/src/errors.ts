/**
 * Error codes: the gateway's ErrorCode names without the ERROR_CODE_ prefix
 * ("PERMISSION_DENIED", "RATE_LIMITED", ...), plus the client's own:
 *  - TIMEOUT: no reply within requestTimeoutMs (a publish may still be stored).
 *  - DISCONNECTED: the connection dropped while the request was in flight.
 *  - CLOSED: the client was closed (by close() or a close code that forbids reconnecting).
 *  - TRANSPORT: the WebSocket failed or a frame could not be decoded.
 *  - TOKEN: getToken() threw.
 *  - STORAGE: the durable outbox could not be read or written.
 *  - UPGRADE_REFUSED: the gateway refuses this page's WebSocket upgrade with an
 *    HTTP 4xx (details.status and details.reason, e.g. 403 "origin not
 *    allowed"), as its probe said; the client stopped (state 'closed').
 *  - FATE_UNKNOWN: a publish whose ack never came is older than the gateway's
 *    dedupe window; resending it with its id could store it twice, so it is
 *    not resent (see the 'fateUnknown' event).
 */
export type ErrorCodeName = string;

export class SwitchboardError extends Error {
  override readonly name = 'SwitchboardError';

  constructor(
    readonly code: ErrorCodeName,
    message: string,
    readonly details: {
      room?: string;
      /** For RATE_LIMITED and UNAVAILABLE: retry no earlier than this. */
      retryAfterMs?: number;
      /** For CLOSED: the WebSocket close code and reason. */
      closeCode?: number;
      closeReason?: string;
      /** For UPGRADE_REFUSED: the HTTP status the gateway gives the upgrade, and why. */
      status?: number;
      reason?: string;
      /** For FATE_UNKNOWN: the publish's message id. */
      messageId?: string;
    } = {},
  ) {
    super(message);
  }
}
