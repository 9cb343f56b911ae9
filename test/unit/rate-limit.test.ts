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
  const job = (requestsLeft: number | undefined) => ({ ...get, job: { requestsLeft } });
  const spent = (remaining: number) =>
    budget({ limit: 100, remaining, resetAt: NOW + 10_000, lastRequestAt: NOW });

  test('a job whose requests fit in the budget above the reserve runs at full speed, however much it spent', () => {
    assert.equal(waitBeforeRequest(spent(30), job(20), NOW, policy).ms, 0); // 20 left, 20 usable
    assert.equal(waitBeforeRequest(spent(95), job(85), NOW, policy).ms, 0);
  });
  test('a job with more to do than the budget (or that cannot tell) spreads it evenly until the reset', () => {
    // 10 s over the 20 requests above the reserve: one every 500 ms uses them all by the reset.
    assert.deepEqual(waitBeforeRequest(spent(30), job(21), NOW, policy), {
      ms: 500,
      reason: 'primary-pacing',
    });
    assert.deepEqual(waitBeforeRequest(spent(30), job(undefined), NOW, policy), {
      ms: 500,
      reason: 'primary-pacing',
    });
  });
  test('a job never spends the reserve: with only the reserve left it waits for the reset', () => {
    const b = spent(10);
    assert.deepEqual(waitBeforeRequest(b, job(1), NOW, policy), {
      ms: 10_000 + RESET_MARGIN_MS,
      reason: 'primary-exhausted',
    });
    assert.equal(waitBeforeRequest(b, job(1), NOW + 10_001, policy).ms, 0);
  });
  test("webhooks' calls run freely above the reserve, spread the reserve, and wait only at zero", () => {
    assert.equal(waitBeforeRequest(spent(11), get, NOW, policy).ms, 0);
    // In the reserve: 10 s over the 10 left, so they slow down before zero.
    assert.deepEqual(waitBeforeRequest(spent(10), get, NOW, policy), { ms: 1_000, reason: 'primary-pacing' });
    assert.deepEqual(waitBeforeRequest(spent(0), get, NOW, policy), {
      ms: 10_000 + RESET_MARGIN_MS,
      reason: 'primary-exhausted',
    });
    assert.equal(waitBeforeRequest(spent(0), get, NOW + 10_001, policy).ms, 0);
    // With no reserve at all, the last request still waits its share of the window.
    const none = { ...policy, reservePercent: 0 };
    assert.deepEqual(waitBeforeRequest(spent(1), get, NOW, none), { ms: 10_000, reason: 'primary-pacing' });
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
