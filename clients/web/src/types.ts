import type { JsonObject } from '@bufbuild/protobuf';
import type { Data } from './payload.js';
import type { SwitchboardError } from './errors.js';

/**
 * idle: connect() not called yet. connecting: a WebSocket is opening or waiting
 * for Welcome. connected: Welcome received. reconnecting: waiting for the next
 * attempt (see StateChange.retryInMs). closed: close() was called, the
 * gateway closed with a code that forbids reconnecting, the token was refused
 * three times in a row, or the gateway refuses the WebSocket upgrade itself
 * (UPGRADE_REFUSED: a 4xx from its probe, e.g. 403 for a page on an origin it
 * does not allow); StateChange.error says which. connect() starts again.
 */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Failed connection attempts in a row (0 once connected). */
  attempt: number;
  /** reconnecting: milliseconds until the next attempt. */
  retryInMs?: number;
  /** The WebSocket close that led here, if any. */
  closeCode?: number;
  closeReason?: string;
  /** closed: why (absent after close()). */
  error?: SwitchboardError;
}

export interface Sender {
  userId: string;
  connectionId: string;
}

/** A room message, live or replayed. */
export interface RoomMessage {
  room: string;
  /** Offset in the room, strictly increasing per room; 0 in ephemeral rooms. */
  offset: number;
  messageId: string;
  sender: Sender;
  time?: Date;
  data: Data;
  /** True for history and resume replays (MessageBatch), false for live delivery. */
  replay: boolean;
}

export interface TypingEvent {
  room: string;
  sender: Sender;
  time?: Date;
}

/** An ephemeral event other than typing (custom events and cursors). */
export interface RoomEvent {
  room: string;
  type: 'custom' | 'cursor';
  name: string;
  sender: Sender;
  time?: Date;
  data: Data;
}

/** One connection present in a room (a user with several tabs has several). */
export interface PresenceMember {
  userId: string;
  connectionId: string;
  meta?: JsonObject;
  joinedAt?: Date;
  /** The gateway holding the connection (see PresenceUpdate 'gateway_lost'). */
  gatewayId: string;
}

/**
 * A per-connection presence event. 'join' and 'leave' are about one
 * connection. 'gateway_lost' means every connection of `member.gatewayId` is
 * gone (that gateway died); only `gatewayId` is set, plus `joinedAt` when the
 * gateway restarted under the same id at that time: then only its connections
 * that joined before then are gone. PresenceTracker turns these into users.
 */
export interface PresenceUpdate {
  room: string;
  change: 'join' | 'leave' | 'gateway_lost';
  member: PresenceMember;
}

export interface PresenceSnapshot {
  room: string;
  members: PresenceMember[];
  /** Total connections and distinct users in the room (may exceed members). */
  connections: number;
  users: number;
}

/** Emitted on every Joined: the first join of a room and each rejoin after a reconnect. */
export interface JoinedEvent extends JoinResult {
  /** False for the first Joined of this room since join(), true for rejoins after reconnects. */
  rejoined: boolean;
}

/** Emitted after every resume of a room (a Join with sinceOffset). */
export interface RecoveredEvent {
  room: string;
  /** False when the gateway no longer had every message after sinceOffset: refetch state. */
  recovered: boolean;
  sinceOffset: number;
  /** The room's latest offset at resume time. */
  offset: number;
}

export interface JoinResult {
  room: string;
  /** The room's latest offset at join time. */
  offset: number;
  recovered: boolean;
  kind: 'persisted' | 'ephemeral';
}

export interface LeftEvent {
  room: string;
  /** Why the server removed the client from the room. */
  reason: string;
}

export interface Limits {
  maxMessageBytes: number;
  maxPayloadBytes: number;
  maxRooms: number;
  publishRate: number;
  publishBurst: number;
}

export interface WelcomeInfo {
  connectionId: string;
  sessionId: string;
  userId: string;
  gatewayId: string;
  limits?: Limits;
  tokenExpiresAt?: Date;
  /** How long the gateway's stream recognises a repeated message id (absent: the gateway did not say). */
  dedupeWindowMs?: number;
}

/**
 * The control plane kicked this user (close code 4006), or the user is banned
 * and the gateway refused the connection. The client reconnects by itself,
 * once `until` has passed when there is a ban.
 */
export interface KickedEvent {
  /** The kick's reason, for the user ("kicked" when the operator gave none). */
  reason: string;
  /** End of the ban, if any: the client does not reconnect before. */
  until?: Date;
  /** The close reason as the gateway sent it. */
  closeReason: string;
}

/**
 * A publish that was sent, never acknowledged, and is now older than the
 * stream's dedupe window: the gateway may have stored it (the ack was lost) or
 * not (the frame was lost). Resending it with its id could store it twice, so
 * the client gives up on it instead. To find out, look for `messageId` among
 * the room's messages (what the client delivered since joining or resuming,
 * or the history: a join with `history`, or the control plane's GetHistory);
 * if it is not there, publish `data` again as a new message (a new id).
 */
export interface FateUnknownEvent {
  room: string;
  messageId: string;
  data: Data;
  /** When the app published it. */
  createdAt: Date;
  /** When it was first sent to a gateway. */
  firstSentAt: Date;
  /** Restored from the durable outbox (a previous page): nobody awaits it. */
  restored: boolean;
}

export interface ClientEvents {
  message: RoomMessage;
  typing: TypingEvent;
  event: RoomEvent;
  presence: PresenceUpdate;
  /** The room is joined on the current connection (first join or rejoin). */
  joined: JoinedEvent;
  state: StateChange;
  recovered: RecoveredEvent;
  /** Errors nobody awaits (pushed errors, failed re-joins, restored publishes, storage). */
  error: SwitchboardError;
  /** The server removed the client from a room. */
  left: LeftEvent;
  /** The number of unacknowledged publishes changed. */
  outbox: { pending: number };
  /** Kicked (or refused while banned) by the control plane: show `reason` to the user. */
  kicked: KickedEvent;
  /** A publish the client will not resend (older than the dedupe window, never acked). */
  fateUnknown: FateUnknownEvent;
}
