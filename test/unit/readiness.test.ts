// `/readyz`'s probes: each answers within its bound, whatever the dependency does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readinessCheck } from '../../server/readiness';

const checkReadiness = (probes: Parameters<typeof readinessCheck>[0], timeoutMs: number) =>
  readinessCheck(probes, timeoutMs)();

const ok = { ping: () => Promise.resolve() };
const refuses = { ping: () => Promise.reject(new Error('ECONNREFUSED')) };
const hangs = { ping: () => new Promise<void>(() => undefined) };

describe('readinessCheck', () => {
  test('ready when both answer', async () => {
    assert.deepEqual(await checkReadiness({ store: ok, starter: ok }, 50), {
      ready: true,
      storage: 'ok',
      temporal: 'ok',
    });
  });

  test('says which connection starts take', async () => {
    const starter = { ...ok, path: () => 'native' as const };
    assert.deepEqual(await checkReadiness({ store: ok, starter }, 50), {
      ready: true,
      storage: 'ok',
      temporal: 'ok',
      starts: 'native',
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

  test('a ping still running after its deadline is shared by the next polls, not started again', async () => {
    let calls = 0;
    let finish!: () => void;
    const slow = {
      ping: () => {
        calls++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
    };
    const check = readinessCheck({ store: slow, starter: ok }, 20);
    assert.equal((await check()).storage, 'unreachable');
    assert.equal((await check()).storage, 'unreachable');
    assert.equal(calls, 1);
    finish();
    assert.equal((await check()).storage, 'ok');
    assert.equal(calls, 1, 'the answer that came late serves the poll that was waiting');
    const next = check();
    assert.equal(calls, 2, 'once it has answered, the next poll pings again');
    finish();
    assert.equal((await next).storage, 'ok');
  });
});
