// Which URL an activity calls when GitHub handed it one: as given on the configured API's origin,
// else the API's own route, with a warning naming both origins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../lib/logger';
import { apiRoute, keepOnApi, keepOnApiOrWarn, onApiOrigin, originOf } from '../../activities/keep-on-api';

const API = 'http://127.0.0.1:4010';

test('a URL is on the API origin when scheme, host and port all match', () => {
  assert.equal(onApiOrigin(`${API}/repos/octo/hooks`, API), true);
  assert.equal(onApiOrigin('https://api.github.com/repos/octo/hooks', API), false);
  assert.equal(onApiOrigin('http://127.0.0.1:4011/repos/octo/hooks', API), false, 'another port');
  assert.equal(onApiOrigin('https://127.0.0.1:4010/repos/octo/hooks', API), false, 'another scheme');
  assert.equal(onApiOrigin('http://LOCALHOST:80/x', 'http://localhost'), true, 'origins compare normalised');
  assert.equal(onApiOrigin('/repos/octo/hooks', API), false, 'a relative URL names no origin');
  assert.equal(onApiOrigin('not a url', API), false);
});

test('a GitHub Enterprise Server API keeps its path prefix in its own routes', () => {
  assert.equal(
    apiRoute('https://ghe.example/api/v3', '/repos/octo/hooks'),
    'https://ghe.example/api/v3/repos/octo/hooks',
  );
  assert.equal(
    apiRoute('https://ghe.example/api/v3/', 'repos/octo/hooks'),
    'https://ghe.example/api/v3/repos/octo/hooks',
  );
  assert.equal(
    onApiOrigin('https://ghe.example/api/v3/repos/octo/hooks', 'https://ghe.example/api/v3'),
    true,
  );
});

test('the candidate is kept on the API origin, else the fallback is used and the refused origin told', () => {
  const fallback = `${API}/repos/octo/hooks`;
  assert.deepEqual(keepOnApi(API, `${API}/repositories/90`, fallback), { url: `${API}/repositories/90` });
  assert.deepEqual(keepOnApi(API, undefined, fallback), { url: fallback });
  assert.deepEqual(keepOnApi(API, 'https://api.github.com/repos/octo/hooks', fallback), {
    url: fallback,
    refusedOrigin: 'https://api.github.com',
  });
  assert.equal(originOf('not a url'), 'not a url');
});

test('a refused URL is logged as a warning naming both origins; a kept one logs nothing', () => {
  const lines: string[] = [];
  const logger = createLogger('warn', 'test', { write: (line: string) => void lines.push(line) });
  const warnings = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const fallback = `${API}/repos/octo/hooks`;
  assert.equal(keepOnApiOrWarn(logger, API, `${API}/repos/octo/hooks`, fallback, {}), fallback);
  assert.equal(lines.length, 0);
  const url = keepOnApiOrWarn(logger, API, 'https://api.github.com/repos/octo/hooks', fallback, {
    repository: 'octo/hooks',
  });
  assert.equal(url, fallback);
  assert.equal(lines.length, 1);
  const [warning] = warnings();
  assert.equal(warning.level, 40);
  assert.deepEqual(
    {
      repository: warning.repository,
      url: warning.url,
      origin: warning.origin,
      apiOrigin: warning.apiOrigin,
      using: warning.using,
    },
    {
      repository: 'octo/hooks',
      url: 'https://api.github.com/repos/octo/hooks',
      origin: 'https://api.github.com',
      apiOrigin: API,
      using: fallback,
    },
  );
});
