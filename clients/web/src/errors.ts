/**
 * Error codes: the gateway's ErrorCode names without the ERROR_CODE_ prefix
 * ("PERMISSION_DENIED", "RATE_LIMITED", ...), plus the client's own:
 *  - TIMEOUT: no reply within requestTimeoutMs (a publish may still be stored).
 *  - DISCONNECTED: the connection dropped while the request was in flight.
 *  - CLOSED: the client was closed (by close() or a close code that forbids reconnecting).
 *  - TRANSPORT: the WebSocket failed or a frame could not be decoded.
 *  - TOKEN: getToken() threw.
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
    } = {},
  ) {
    super(message);
  }
}
