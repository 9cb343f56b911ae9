// `/readyz`'s probes: each answers within its bound, whatever the dependency does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkReadiness } from '../../server/readiness';

const ok = { ping: () => Promise.resolve() };
const refuses = { ping: () => Promise.reject(new Error('ECONNREFUSED')) };
const hangs = { ping: () => new Promise<void>(() => undefined) };

describe('checkReadiness', () => {
  test('ready when both answer', async () => {
    assert.deepEqual(await checkReadiness({ store: ok, starter: ok }, 50), {
      ready: true,
      storage: 'ok',
      temporal: 'ok',
    });
  });

  test('a refused probe is unreachable', async () => {
    assert.deepEqual(await checkReadiness({ store: refuses, starter: ok }, 50), {
      ready: false,
      storage: 'unreachable',
      temporal: 'ok',
    });
  });

  test('a probe that never answers is unreachable once its deadline passes (no hang)', async () => {
    assert.deepEqual(await checkReadiness({ store: ok, starter: hangs }, 20), {
      ready: false,
      storage: 'ok',
      temporal: 'unreachable',
    });
  });
});
