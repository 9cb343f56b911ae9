// Pacing against an installation's shared budget, and the budget a response leaves behind.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  afterResponse,
  RESET_MARGIN_MS,
  waitBeforeRequest,
  type Budget,
} from '../../activities/github/rate-limit';
import { EMPTY_BUDGET } from '../../lib/storage/api-state';

const NOW = 1_700_000_000_000;

describe('pacing against the shared budget', () => {
  const policy = { mutationSpacingMs: 1_000, contentPerMinute: 2, contentPerHour: 3, reservePercent: 10 };
  const budget = (b: Partial<Budget>): Budget => ({ ...EMPTY_BUDGET, ...b });
  const get = { mutating: false, createsContent: false };
  test('runs freely while more than half the budget remains', () => {
    assert.equal(
      waitBeforeRequest(
        budget({ limit: 100, remaining: 60, resetAt: NOW + 10_000, lastRequestAt: NOW }),
        get,
        NOW,
        policy,
      ).ms,
      0,
    );
  });
  test('then spreads what remains above the reserve evenly until the reset', () => {
    const w = waitBeforeRequest(
      budget({ limit: 100, remaining: 30, resetAt: NOW + 10_000, lastRequestAt: NOW }),
      get,
      NOW,
      policy,
    );
    assert.deepEqual(w, { ms: 500, reason: 'primary-pacing' }); // 10 s over 20 usable requests
  });
  test('waits for the reset when only the reserve is left, and not once the reset passed', () => {
    const b = budget({ limit: 100, remaining: 10, resetAt: NOW + 10_000, lastRequestAt: NOW });
    assert.deepEqual(waitBeforeRequest(b, get, NOW, policy), {
      ms: 10_000 + RESET_MARGIN_MS,
      reason: 'primary-exhausted',
    });
    assert.equal(waitBeforeRequest(b, get, NOW + 10_001, policy).ms, 0);
  });
  test('mutations keep their spacing; content creation its pace per minute and hour', () => {
    const b = budget({ lastMutationAt: NOW - 400 });
    assert.deepEqual(waitBeforeRequest(b, { mutating: true, createsContent: false }, NOW, policy), {
      ms: 600,
      reason: 'mutation-spacing',
    });
    assert.equal(waitBeforeRequest(b, get, NOW, policy).ms, 0);
    const made = budget({ contentCreated: [NOW - 50_000, NOW - 10_000] });
    assert.deepEqual(waitBeforeRequest(made, { mutating: true, createsContent: true }, NOW, policy), {
      ms: 10_000,
      reason: 'content-pacing',
    });
    const hour = budget({ contentCreated: [NOW - 3_000_000, NOW - 2_000_000, NOW - 1_000_000] });
    assert.equal(waitBeforeRequest(hour, { mutating: true, createsContent: true }, NOW, policy).ms, 600_000);
  });
  test('a block (Retry-After, secondary limit) holds every request', () => {
    assert.deepEqual(waitBeforeRequest(budget({ blockedUntil: NOW + 3_000 }), get, NOW, policy), {
      ms: 3_000,
      reason: 'blocked',
    });
  });
  test('a response updates the budget from its headers', () => {
    const next = afterResponse(EMPTY_BUDGET, {
      at: NOW,
      rateLimit: { limit: 5000, remaining: 4999, used: 1, resetAt: NOW + 1000, resource: 'core' },
      mutating: true,
      createsContent: true,
      counted: true,
    });
    assert.equal(next.remaining, 4999);
    assert.equal(next.lastMutationAt, NOW);
    assert.deepEqual(next.contentCreated, [NOW]);
  });
});
