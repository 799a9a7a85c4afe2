export { resendLimitMs, SwitchboardClient } from './client.js';
export type { ClientOptions, PublishOptions, WebSocketConstructor, WebSocketLike } from './client.js';
export { Backoff, fullJitterDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { SwitchboardError } from './errors.js';
export type { Format } from './codec.js';
export { subprotocolOf, encodeClientFrame, decodeServerFrame, encodeServerFrame, decodeClientFrame } from './codec.js';
export { Outbox } from './outbox.js';
export type { OutboxEntry, PublishResult } from './outbox.js';
export { IndexedDbOutboxStore, MemoryOutboxStore } from './outbox_store.js';
export type { OutboxStore, StoredPublish } from './outbox_store.js';
export { RoomTracker } from './rooms.js';
export { PresenceTracker } from './presence_tracker.js';
export type { PresenceUserChange } from './presence_tracker.js';
export { RoomPresence } from './room_presence.js';
export type {
  PresenceSource,
  PresenceUserEvent,
  PresenceViewChange,
  RoomPresenceEvents,
  RoomPresenceOptions,
} from './room_presence.js';
export type { JoinOptions, JoinSpec } from './rooms.js';
export { toPayload, fromPayload } from './payload.js';
export type { Data, JsonValue } from './payload.js';
export type * from './types.js';
// Generated protocol types, for apps (and tests) that speak frames directly.
export * as proto from './gen/proto/switchboard/client/v1/client_pb.js';
export { closeAction, FINAL_CLOSE_CODES, MAX_AUTH_FAILURES, parseKickReason } from './close_policy.js';
export type { CloseAction, CloseContext, KickReason } from './close_policy.js';
export { probeUpgrade, probeUrl } from './probe.js';
export type { FetchLike, ProbeResult } from './probe.js';
export { Waiters } from './waiters.js';
