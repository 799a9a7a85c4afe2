// Mints the tokens a page hands to the gateway (its getToken() fetches one
// from your backend before every connection): HS256 JWTs signed with the
// secret the gateway verifies with (--jwt_hs256_key_file: the file's bytes
// less one trailing newline, as text, at least 32 bytes). Claims are in
// docs/protocol.md §2: `sub` (the user id), `exp`, and the room patterns the
// user may join (`rooms`) and publish to (`publish`, default: the same).
//
//   const secret = readSecretFile('/etc/switchboard/hs256.key');
//   app.get('/api/switchboard-token', (req, res) =>
//     res.type('text/plain').send(mintToken({ secret, sub: req.user.id, rooms: ['chat:*'], ttlSeconds: 600 })));
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

const b64url = (data) => Buffer.from(data).toString('base64url');

/** The secret as the gateway reads --jwt_hs256_key_file. */
export function readSecretFile(path) {
  return readFileSync(path, 'utf8').replace(/\n$/, '');
}

/** A token for user `sub`, valid `ttlSeconds` (default 10 minutes). */
export function mintToken({ secret, sub, rooms = [], publish, meta, ttlSeconds = 600, now = Date.now() }) {
  if (!secret || Buffer.byteLength(secret) < 32) throw new Error('the HS256 secret must be at least 32 bytes');
  if (!sub) throw new Error('sub (the user id) is required');
  const iat = Math.floor(now / 1000);
  const claims = { sub, iat, exp: iat + ttlSeconds, rooms };
  if (publish !== undefined) claims.publish = publish;
  if (meta !== undefined) claims.meta = meta;
  const signed = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}
