// Conversions from generated protocol messages to the client's public types.
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  ErrorCode,
  type Error as ErrorFrame,
  type Message,
  type PresenceInfo,
} from './gen/proto/switchboard/client/v1/client_pb.js';
import { durationMs } from './codec.js';
import { SwitchboardError } from './errors.js';
import { fromPayload } from './payload.js';
import type { PresenceMember, RoomMessage, Sender } from './types.js';

/** Printable ASCII without space or '|': what the gateway accepts as a message id. */
export const MESSAGE_ID = /^[!-{}~]{1,64}$/;

/** 128 random bits in hex; crypto.getRandomValues works on plain-HTTP pages too. */
export function randomMessageId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function errorName(code: ErrorCode): string {
  const name = ErrorCode[code];
  return name ? name.replace(/^ERROR_CODE_/, '') : `ERROR_${code}`;
}

export function toError(e: ErrorFrame): SwitchboardError {
  return new SwitchboardError(errorName(e.code), e.message || errorName(e.code), {
    room: e.room || undefined,
    retryAfterMs: durationMs(e.retryAfter),
  });
}

export function toSender(s: { userId: string; connectionId: string } | undefined): Sender {
  return { userId: s?.userId ?? '', connectionId: s?.connectionId ?? '' };
}

export function toMember(p: PresenceInfo): PresenceMember {
  return {
    userId: p.userId,
    connectionId: p.connectionId,
    meta: p.meta,
    joinedAt: p.joinedAt ? timestampDate(p.joinedAt) : undefined,
    gatewayId: p.gatewayId,
  };
}

export function toRoomMessage(m: Message, replay: boolean): RoomMessage {
  return {
    room: m.room,
    offset: Number(m.offset),
    messageId: m.messageId,
    sender: toSender(m.sender),
    time: m.time ? timestampDate(m.time) : undefined,
    data: fromPayload(m.payload),
    replay,
  };
}
