import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, fullJitterDelay } from '../dist/index.js';

describe('fullJitterDelay', () => {
  const options = { baseMs: 100, capMs: 2000 };

  it('stays in [0, min(cap, base * 2^attempt))', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const bound = Math.min(2000, 100 * 2 ** attempt);
      for (let i = 0; i < 500; i++) {
        const d = fullJitterDelay(attempt, options);
        assert.ok(d >= 0 && d < bound, `attempt ${attempt}: ${d} not in [0, ${bound})`);
      }
      assert.equal(fullJitterDelay(attempt, options, () => 0), 0);
      assert.equal(fullJitterDelay(attempt, options, () => 0.999999), Math.floor(bound * 0.999999));
    }
  });

  it('is capped for any attempt, even huge ones', () => {
    for (const attempt of [5, 10, 60, 1000, Number.MAX_SAFE_INTEGER]) {
      assert.ok(fullJitterDelay(attempt, options, () => 0.999999) < 2000);
    }
  });

  it('uses the whole window (full jitter, not equal jitter)', () => {
    const samples = Array.from({ length: 4000 }, () => fullJitterDelay(4, options)); // window 1600
    const low = samples.filter((d) => d < 400).length / samples.length;
    const high = samples.filter((d) => d >= 1200).length / samples.length;
    // Uniform: a quarter each; equal jitter would put nothing below 800.
    assert.ok(low > 0.18 && low < 0.32, `share below 400: ${low}`);
    assert.ok(high > 0.18 && high < 0.32, `share above 1200: ${high}`);
  });
});

describe('Backoff', () => {
  it('grows per attempt and resets', () => {
    const b = new Backoff({ baseMs: 100, capMs: 500 }, () => 0.5);
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next()], [50, 100, 200, 250, 250]);
    assert.equal(b.attempts, 5);
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 50);
  });

  it('has defaults and rejects nonsense', () => {
    assert.deepEqual(new Backoff().options, { baseMs: 500, capMs: 30000 });
    assert.throws(() => new Backoff({ baseMs: 0 }), RangeError);
    assert.throws(() => new Backoff({ baseMs: 1000, capMs: 10 }), RangeError);
  });
});
