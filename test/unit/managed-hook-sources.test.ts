// The GitHub provider's choice of secrets for a delivery's hook ID: the sources file first, then a
// managed hook (with its place), else the App's default source; a managed hook with every secret
// retired fails closed. And a managed hook's secret speaks only for its own repository or organization.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hubTopic } from '../../lib/github-hooks';
import type { ManagedHookSecrets } from '../../lib/hook-secrets';
import { checkHookPlace, checkSourceEvent } from '../../server/check-installation';
import { githubProvider, type Source } from '../../server/providers';
import { Refusal } from '../../server/refusal';

const api = { scope: 'repository', name: 'octo/api' } as const;
const managed: ManagedHookSecrets = {
  secretsFor: (id) =>
    Promise.resolve(
      id === '10'
        ? { secrets: ['managed-secret'], place: api, events: undefined }
        : id === '11'
          ? { secrets: [], place: api, events: undefined }
          : id === '20'
            ? {
                secrets: ['from-storage'],
                place: { scope: 'organization', name: 'octo-org' },
                events: undefined,
              }
            : id === 'hub:s1'
              ? { secrets: ['sub-secret'], place: api, events: ['push'] }
              : undefined,
    ),
};

const provider = githubProvider(
  {
    webhookPath: '/api/github/webhooks',
    webhookSecrets: ['app-secret'],
    webhookAllowSha1: false,
    sources: { hooks: [{ hookId: '20', secrets: ['from-file'], allowSha1: false }], providers: [] },
  },
  undefined,
  managed,
);

describe('sources for managed hooks', () => {
  test('a managed hook gets its own secrets and place; an unknown one the App default', async () => {
    const s = await provider.sourceFor({ hookId: '10' });
    assert.deepEqual(
      [s.key, s.secrets, s.place, s.introducesInstallations],
      ['github:hook:10', ['managed-secret'], { scope: 'repository', name: 'octo/api' }, false],
    );
    assert.deepEqual((await provider.sourceFor({ hookId: '99' })).secrets, ['app-secret']);
    assert.deepEqual((await provider.sourceFor({})).secrets, ['app-secret']);
  });

  test('every secret retired: no secret at all, never the App default', async () => {
    const s = await provider.sourceFor({ hookId: '11' });
    assert.deepEqual([s.key, s.secrets], ['github:hook:11', []]);
  });

  test('a subscription named by its callback URL: its own secrets, sha1 allowed, never the App default', async () => {
    const s = await provider.sourceFor({ hub: 's1', hookId: '10' });
    assert.deepEqual(
      [s.key, s.secrets, s.place, s.events, s.introducesInstallations],
      ['github:hub:s1', ['sub-secret'], api, ['push'], false],
    );
    assert.deepEqual(
      s.schemes.map((x) => x.header),
      ['x-hub-signature-256', 'x-hub-signature'],
    );
    const unknown = await provider.sourceFor({ hub: 'nope' });
    assert.deepEqual([unknown.secrets, unknown.place], [[], undefined]);
  });

  test("a subscription's secret speaks for its own event only (403 for another; pings pass)", () => {
    const sub: Source = {
      key: 'github:hub:s1',
      introducesInstallations: false,
      secrets: [],
      schemes: [],
      place: api,
      events: ['push'],
    };
    assert.doesNotThrow(() => checkSourceEvent(sub, 'push'));
    assert.doesNotThrow(() => checkSourceEvent(sub, 'ping'));
    assert.doesNotThrow(() => checkSourceEvent({ ...sub, events: undefined }, 'issues'));
    assert.throws(
      () => checkSourceEvent(sub, 'issues'),
      (err) =>
        err instanceof Refusal &&
        err.status === 403 &&
        err.message === 'this subscription is for push events; its secret cannot speak for issues events',
    );
  });

  test('the sources file wins over storage for the same hook ID', async () => {
    assert.deepEqual((await provider.sourceFor({ hookId: '20' })).secrets, ['from-file']);
  });

  test("a managed hook's secret speaks for its own place only (403 elsewhere)", () => {
    const repoHook: Source = {
      key: 'k',
      introducesInstallations: false,
      secrets: [],
      schemes: [],
      place: { scope: 'repository', name: 'Octo/API' },
    };
    const orgHook: Source = { ...repoHook, place: { scope: 'organization', name: 'octo-org' } };
    const refused = (source: Source, payload: Record<string, unknown>) => {
      try {
        checkHookPlace(source, payload);
        return undefined;
      } catch (err) {
        assert.ok(err instanceof Refusal);
        return [err.status, err.message];
      }
    };
    assert.equal(refused(repoHook, { repository: { full_name: 'octo/api' } }), undefined);
    assert.deepEqual(refused(repoHook, { repository: { full_name: 'octo/other' } }), [
      403,
      'this hook is configured on Octo/API; its secret cannot speak for octo/other',
    ]);
    assert.deepEqual(refused(repoHook, {})?.[0], 403);
    assert.equal(refused(orgHook, { repository: { full_name: 'OCTO-ORG/api' } }), undefined);
    assert.equal(refused(orgHook, { organization: { login: 'octo-org' } }), undefined);
    assert.deepEqual(refused(orgHook, { repository: { full_name: 'evil/api' } })?.[0], 403);
    assert.deepEqual(refused(orgHook, {})?.[0], 403);
    // Sources with no known place (the App, hooks of the sources file) are not limited here.
    assert.equal(
      refused({ ...repoHook, place: undefined }, { repository: { full_name: 'any/repo' } }),
      undefined,
    );
  });

  test("a PubSubHubbub topic is on the API's web host: github.com, or a GitHub Enterprise Server's own", () => {
    assert.equal(
      hubTopic('https://api.github.com', 'octo/api', 'push'),
      'https://github.com/octo/api/events/push',
    );
    assert.equal(
      hubTopic('https://ghe.example.com/api/v3', 'octo/api', 'issues'),
      'https://ghe.example.com/octo/api/events/issues',
    );
    assert.equal(
      hubTopic('https://api.octo.ghe.com', 'octo/api', 'push'),
      'https://octo.ghe.com/octo/api/events/push',
    );
  });
});
