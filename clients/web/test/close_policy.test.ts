import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeAction, MAX_AUTH_FAILURES, parseKickReason, proto } from '../dist/index.js';

const C = proto.CloseCode;
const ctx = (extra = {}) => ({ authFailures: 0, now: 1_000_000, nextBackoff: () => 123, ...extra });

describe('closeAction', () => {
  it('stops on the codes the protocol marks "Reconnect: no"', () => {
    for (const code of [C.NORMAL, C.PROTOCOL_ERROR, C.UNSUPPORTED_DATA, C.INVALID_PAYLOAD, C.POLICY_VIOLATION,
      C.MESSAGE_TOO_BIG, C.REPLACED, C.BAD_FRAMES]) {
      assert.deepEqual(closeAction(code, '', ctx()), { reconnect: false, why: 'final' }, `code ${code}`);
    }
  });

  it('backs off on the codes that allow reconnecting', () => {
    for (const code of [1005, 1006, C.INTERNAL_ERROR, C.CONNECT_TIMEOUT, C.HEARTBEAT_TIMEOUT, C.SLOW_CONSUMER,
      C.DISCONNECTED, C.TOO_MANY_CONNECTIONS, C.RATE_LIMITED, C.GOING_AWAY, 4000]) {
      assert.deepEqual(closeAction(code, '', ctx()), { reconnect: true, delayMs: 123 }, `code ${code}`);
    }
  });

  it('retries authentication failures a few times only', () => {
    for (const code of [C.UNAUTHENTICATED, C.TOKEN_EXPIRED]) {
      assert.equal(closeAction(code, '', ctx({ authFailures: MAX_AUTH_FAILURES - 1 })).reconnect, true);
      assert.deepEqual(closeAction(code, '', ctx({ authFailures: MAX_AUTH_FAILURES })), { reconnect: false, why: 'auth' });
    }
  });

  it('uses the GoingAway hint instead of the backoff', () => {
    let backoffs = 0;
    const next = () => ++backoffs * 1000;
    assert.deepEqual(closeAction(C.GOING_AWAY, '', ctx({ goingAwayAt: 1_000_250, nextBackoff: next })), {
      reconnect: true,
      delayMs: 250,
    });
    assert.deepEqual(closeAction(C.GOING_AWAY, '', ctx({ goingAwayAt: 999_000, nextBackoff: next })), {
      reconnect: true,
      delayMs: 0,
    });
    assert.equal(backoffs, 0, 'a drain does not count as a failed attempt');
  });

  it('waits out a kick\'s ban', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const reason = 'kicked; retry after 2030-01-01T00:05:00Z';
    assert.deepEqual(closeAction(C.KICKED, reason, ctx({ now })), { reconnect: true, delayMs: 300_000 });
    assert.deepEqual(closeAction(C.KICKED, 'kicked', ctx({ now })), { reconnect: true, delayMs: 123 });
  });
});

describe('parseKickReason', () => {
  it('reads the kick reason, a ban in both gateway formats, and the ban end', () => {
    assert.deepEqual(parseKickReason('Spamming the lobby'), { reason: 'Spamming the lobby' });
    assert.deepEqual(parseKickReason(''), { reason: 'kicked' });
    assert.deepEqual(parseKickReason('banned until 2026-12-04T20:00:00Z: Spamming: again'), {
      reason: 'Spamming: again',
      until: new Date('2026-12-04T20:00:00Z'),
    });
    assert.deepEqual(parseKickReason('banned until 2026-12-04T20:00:00.250+01:00'), {
      reason: 'kicked',
      until: new Date('2026-12-04T19:00:00.250Z'),
    });
    assert.deepEqual(parseKickReason('kicked; retry after 2030-01-01T00:05:00Z'), {
      reason: 'kicked',
      until: new Date('2030-01-01T00:05:00Z'),
    });
  });

  it('waits out a ban written as "banned until"', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    assert.deepEqual(closeAction(C.KICKED, 'banned until 2030-01-01T00:01:00Z: flood', ctx({ now })), {
      reconnect: true,
      delayMs: 60_000,
    });
    // A ban that is over already: the backoff alone.
    assert.deepEqual(closeAction(C.KICKED, 'banned until 2029-12-31T23:00:00Z: flood', ctx({ now })), {
      reconnect: true,
      delayMs: 123,
    });
  });
});
