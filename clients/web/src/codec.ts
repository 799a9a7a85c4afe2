import { fromBinary, fromJsonString, toBinary, toJsonString } from '@bufbuild/protobuf';
import type { Duration, Timestamp } from '@bufbuild/protobuf/wkt';
import {
  type ClientFrame,
  ClientFrameSchema,
  type ServerFrame,
  ServerFrameSchema,
} from './gen/proto/switchboard/client/v1/client_pb.js';

/** Wire format: binary protobuf frames or the protobuf JSON mapping on text frames. */
export type Format = 'json' | 'protobuf';

/** The WebSocket subprotocol that selects `format` on the gateway. */
export function subprotocolOf(format: Format): string {
  return format === 'json' ? 'switchboard.v1.json' : 'switchboard.v1.proto';
}

export function encodeClientFrame(frame: ClientFrame, format: Format): string | Uint8Array {
  return format === 'json'
    ? toJsonString(ClientFrameSchema, frame)
    : toBinary(ClientFrameSchema, frame);
}

/**
 * Decodes one WebSocket message. Throws on a frame of the wrong kind (text on
 * a protobuf session or vice versa) or one that does not parse. Unknown JSON
 * fields are ignored so that newer gateways can add fields.
 */
export function decodeServerFrame(data: unknown, format: Format): ServerFrame {
  if (format === 'json') {
    if (typeof data !== 'string') throw new Error('expected a text frame on a JSON session');
    return fromJsonString(ServerFrameSchema, data, { ignoreUnknownFields: true });
  }
  if (data instanceof ArrayBuffer) return fromBinary(ServerFrameSchema, new Uint8Array(data));
  if (data instanceof Uint8Array) return fromBinary(ServerFrameSchema, data);
  throw new Error('expected a binary frame on a protobuf session');
}

/** Server frames may come from the JSON side too; decode them the same way (for tests). */
export function decodeClientFrame(data: unknown, format: Format): ClientFrame {
  if (format === 'json') {
    if (typeof data !== 'string') throw new Error('expected a text frame');
    return fromJsonString(ClientFrameSchema, data, { ignoreUnknownFields: true });
  }
  if (data instanceof ArrayBuffer) return fromBinary(ClientFrameSchema, new Uint8Array(data));
  if (data instanceof Uint8Array) return fromBinary(ClientFrameSchema, data);
  throw new Error('expected a binary frame');
}

export function encodeServerFrame(frame: ServerFrame, format: Format): string | Uint8Array {
  return format === 'json'
    ? toJsonString(ServerFrameSchema, frame)
    : toBinary(ServerFrameSchema, frame);
}

export function durationMs(d: Duration | undefined): number | undefined {
  if (!d) return undefined;
  return Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

export function timestampMs(t: Timestamp | undefined): number | undefined {
  if (!t) return undefined;
  return Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6);
}
