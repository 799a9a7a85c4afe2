import { create, fromJson, toJson, type JsonValue } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { type Payload, PayloadSchema } from './gen/proto/switchboard/client/v1/client_pb.js';

export type { JsonValue };

/**
 * Application data: a string travels as `text`, a Uint8Array as `binary`,
 * anything else JSON-serialisable as `json` (google.protobuf.Value).
 */
export type Data = string | Uint8Array | JsonValue;

export function toPayload(data: Data | undefined): Payload {
  if (data === undefined) return create(PayloadSchema);
  if (typeof data === 'string') return create(PayloadSchema, { data: { case: 'text', value: data } });
  if (data instanceof Uint8Array) {
    return create(PayloadSchema, { data: { case: 'binary', value: data } });
  }
  return create(PayloadSchema, { data: { case: 'json', value: fromJson(ValueSchema, data) } });
}

/** The inverse of toPayload; an empty payload is `null`. */
export function fromPayload(payload: Payload | undefined): Data {
  switch (payload?.data.case) {
    case 'text':
      return payload.data.value;
    case 'binary':
      return payload.data.value;
    case 'json':
      return toJson(ValueSchema, payload.data.value);
    default:
      return null;
  }
}
