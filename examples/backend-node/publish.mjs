#!/usr/bin/env node
// Publishes one message to a Switchboard room through the control plane, the
// way a backend does (an order update, a notification, a bot's reply):
//
//   node publish.mjs ROOM TEXT [--json] [--message-id=ID]
//
//   SWITCHBOARD_CONTROL     control plane address (default 127.0.0.1:50051)
//   SWITCHBOARD_API_KEY     API key, when the control plane has --api_keys_file
//   SWITCHBOARD_PROTO_ROOT  folder holding proto/switchboard/... (default: this repository)
//
// --json sends TEXT parsed as JSON (a `json` payload) instead of text.
// --message-id is the idempotency key: retrying with the same id within the
// dedupe window stores the message once (default: a random id, chosen here
// so that the retry below keeps it). Prints the PublishResponse as one JSON
// line ({"offset":"42","messageId":"…","duplicate":false}); exits 1 on failure.
import { randomUUID } from 'node:crypto';
import { connectControl, STATUS_NAMES } from './control_client.mjs';

const args = process.argv.slice(2);
const flags = new Map(
  args.filter((a) => a.startsWith('--')).map((a) => {
    const [k, ...v] = a.slice(2).split('=');
    return [k, v.length ? v.join('=') : 'true'];
  }),
);
const [room, text] = args.filter((a) => !a.startsWith('--'));
if (!room || text === undefined) {
  console.error('usage: node publish.mjs ROOM TEXT [--json] [--message-id=ID]');
  process.exit(2);
}

let payload;
try {
  payload = flags.has('json') ? { json: JSON.parse(text) } : { text };
} catch (err) {
  console.error(`--json: ${err.message}`);
  process.exit(2);
}
// proto-loader takes google.protobuf.Value as its message form.
function toValue(v) {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  switch (typeof v) {
    case 'number': return { numberValue: v };
    case 'string': return { stringValue: v };
    case 'boolean': return { boolValue: v };
    default: return { structValue: { fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toValue(x)])) } };
  }
}
if (payload.json !== undefined) payload = { json: toValue(payload.json) };

const control = connectControl({
  address: process.env.SWITCHBOARD_CONTROL || '127.0.0.1:50051',
  apiKey: process.env.SWITCHBOARD_API_KEY || '',
});
const request = { room, messageId: flags.get('message-id') ?? randomUUID(), payload };
try {
  // UNAVAILABLE and DEADLINE_EXCEEDED are safe to retry with the same message id.
  let response;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await control.call('Publish', request);
      break;
    } catch (err) {
      const retryable = err.code === 14 || err.code === 4; // UNAVAILABLE, DEADLINE_EXCEEDED
      if (!retryable || attempt === 3) throw err;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
  console.log(JSON.stringify(response));
} catch (err) {
  console.error(`publish failed: ${STATUS_NAMES[err.code] ?? err.code}: ${err.details ?? err.message}`);
  process.exitCode = 1;
} finally {
  control.close();
}
