// One file though long: nine sub-commands (create, list, update, ping, test, deliveries, delete,
// import, secret), each a short action over the same few helpers (theHook, pingOrWarn, and
// withHooks from cli/hook-admin.ts),
// read together as one command's help.
// `hookflow hooks …`: GitHub repository and organization hooks managed through the API, each with a
// secret of its own that hookflow generates and keeps sealed in storage; the front door verifies a
// hook's deliveries with it from its first delivery on, on every server replica. Every call goes
// through hookflow's API client (budgets, backoff, pacing). GitHub lets a token with the
// admin:repo_hook (admin:org_hook) scope manage hooks: GITHUB_TOKEN.
// https://docs.github.com/en/rest/repos/webhooks and /rest/orgs/webhooks
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { ApiError } from '../../activities/github/api-error';
import { APP_CALLER } from '../../activities/github/client';
import { tokenlessClient } from '../../activities/github/from-config';
import { createLogger } from '../../lib/logger';
import { loadConfig, type Config } from '../../lib/config';
import type { Sealer } from '../../lib/crypto';
import { HUB_PARAM, hooksApi, hubHookId, shownPlace, type HookPlace as Target } from '../../lib/github-hooks';
import { generateSecret, sealSecrets } from '../../lib/hook-secrets';
import type { Store } from '../../lib/storage';
import {
  deleteManagedHook,
  getManagedHook,
  listManagedHooks,
  putManagedHook,
  updateManagedHook,
  type ManagedHookRow,
} from '../../lib/storage/managed-hooks';
import { CliError, hookSealer, openHookSecrets, withStore } from '../connect';
import { explained, withHooks, type Call } from '../hook-admin';
import { parseEvents, parseHookId, parseTarget, parseUrl } from '../options';

const PROVIDER = 'github';

/** The subscription a URL names, when it is a PubSubHubbub callback (`?hub=<id>`). */
const subscriptionIn = (url: string | undefined): string | undefined => {
  if (!url) return undefined;
  try {
    return new URL(url).searchParams.get(HUB_PARAM) ?? undefined;
  } catch {
    return undefined;
  }
};

const fresh = (sealer: Sealer, secret: string) => sealSecrets(sealer, [{ secret, retiresAt: null }]);

async function theHook(store: Store, id: string): Promise<ManagedHookRow> {
  const hook = await getManagedHook(store.db, PROVIDER, id);
  if (!hook)
    throw new CliError(
      `hookflow manages no hook ${id}: \`hookflow hooks list\` shows the ones it does (create one, or adopt one with \`hooks import\`)`,
    );
  return hook;
}

/** Asks GitHub for a ping; a refusal is a warning (the hook works), not a failure. */
async function pingOrWarn(call: Call, path: string, route: string, hookId: string): Promise<boolean> {
  try {
    await call('POST', `${path}/${hookId}/pings`, `${route}/{hook_id}/pings`);
    return true;
  } catch (err) {
    process.stderr.write(
      `warning: the ping was not sent (${(err as Error).message}); try \`hookflow hooks ping ${hookId}\`\n`,
    );
    return false;
  }
}

async function confirm(question: string, yes: boolean, cmd: Command): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY)
    cmd.error(`error: ${question}: pass --yes (there is no terminal to ask)`, { exitCode: 2 });
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('nothing done');
  } finally {
    rl.close();
  }
}

interface GitHubHook {
  id: number;
  name: string;
  active: boolean;
  events: string[];
  config: { url?: string; content_type?: string; insecure_ssl?: string };
}

interface CreateOptions {
  events: string[];
  url?: string;
  insecureSsl: boolean;
  showSecret: boolean;
  json: boolean;
}

/**
 * The App's own hook (App mode: APP_ID and PRIVATE_KEY), as `GET /app/hook/config` shows it with the
 * App's JWT: where it sends and how. Its events are set in the App's settings, not through the API.
 * https://docs.github.com/en/rest/apps/webhooks#get-a-webhook-configuration-for-an-app
 */
async function appHookRows(config: Config, store: Store) {
  if (config.appId === undefined || config.privateKey === undefined) return [];
  const logger = createLogger('warn', 'hookflow-cli', process.stderr);
  const app = { kind: 'app', appId: config.appId, privateKey: config.privateKey } as const;
  const res = await tokenlessClient(config, app, store, logger)
    .request<{ url?: string | null; content_type?: string; insecure_ssl?: string }>({
      method: 'GET',
      url: 'app/hook/config',
      route: '/app/hook/config',
      installation: APP_CALLER,
      asApp: true,
      requestId: 'cli:hooks:GET',
    })
    .catch((err: unknown) => {
      throw new CliError(
        `could not read the App's hook config (${(err as Error).message}): check APP_ID and PRIVATE_KEY`,
      );
    });
  return [
    {
      hookId: 'app',
      target: 'app',
      events: [] as string[],
      url: res.data.url ?? '',
      managed: false,
      contentType: res.data.content_type ?? '',
      insecureSsl: res.data.insecure_ssl === '1',
    },
  ];
}

export function hooksCommand(program: Command): void {
  const hooks = program
    .command('hooks')
    .description(
      'GitHub hooks managed through the API, each with a secret hookflow keeps (needs GITHUB_TOKEN)',
    );

  hooks
    .command('create')
    .description('create a hook with a fresh secret, start verifying with it, and ping it')
    .argument('<target>', 'where: <owner>/<repo>, or org:<login> for an organization hook', parseTarget)
    .requiredOption(
      '--events <names>',
      'the events it sends, comma-separated (issues,pull_request), or *',
      parseEvents,
    )
    .option(
      '--url <url>',
      'where GitHub sends them (default: HOOKFLOW_PUBLIC_URL + the webhook path)',
      parseUrl,
    )
    .option('--insecure-ssl', "let GitHub skip verifying the URL's certificate (not advised)", false)
    .option('--show-secret', 'print the new secret too (it is otherwise never shown)', false)
    .option('--json', 'print JSON', false)
    .action(async (target: Target, o: CreateOptions, cmd: Command) => {
      const config = loadConfig(process.env, 'cli');
      const url = o.url ?? (config.publicUrl && `${config.publicUrl}${config.webhookPath}`);
      if (!url)
        cmd.error('error: give --url, or set HOOKFLOW_PUBLIC_URL to the address GitHub reaches hookflow at', {
          exitCode: 2,
        });
      if (subscriptionIn(url) !== undefined)
        cmd.error(
          `error: the ${HUB_PARAM} parameter of a webhook URL names a PubSubHubbub subscription: leave it out (\`hookflow hub\` manages those)`,
          { exitCode: 2 },
        );
      if (o.insecureSsl)
        process.stderr.write(
          "warning: --insecure-ssl: GitHub will not verify the URL's certificate, so anyone between it and hookflow can read and change deliveries\n",
        );
      if (url.startsWith('http:'))
        process.stderr.write('warning: an http:// URL sends every delivery unencrypted; use https\n');
      const created = await withHooks(config, async ({ store, call, sealer }) => {
        const secret = generateSecret();
        const { path, route } = hooksApi(target);
        // Created inactive, so GitHub sends nothing before hookflow holds the secret; then
        // recorded, activated and pinged.
        const res = await call<GitHubHook>('POST', path, route, {
          name: 'web',
          active: false,
          events: o.events,
          config: { url, content_type: 'json', secret, insecure_ssl: o.insecureSsl ? '1' : '0' },
        });
        const hookId = String(res.data.id);
        try {
          await putManagedHook(store.db, {
            provider: PROVIDER,
            hookId,
            scope: target.scope,
            target: target.name,
            events: o.events,
            url,
            sealedSecrets: fresh(sealer, secret),
          });
        } catch (err) {
          const undone = await call('DELETE', `${path}/${hookId}`, `${route}/{hook_id}`).then(
            () => 'it was deleted on GitHub again',
            () => `delete the inactive hook ${hookId} on GitHub by hand`,
          );
          throw new CliError(`could not record hook ${hookId} (${(err as Error).message}); ${undone}`);
        }
        await call('PATCH', `${path}/${hookId}`, `${route}/{hook_id}`, { active: true }).catch(
          (err: unknown) => {
            throw new CliError(
              `hook ${hookId} is recorded but still inactive (${(err as Error).message}): run \`hookflow hooks update ${hookId} --active\` (or \`hooks delete ${hookId} --yes\`)`,
            );
          },
        );
        const pinged = await pingOrWarn(call, path, route, hookId);
        return { hookId, secret, pinged };
      });
      const out = {
        hookId: created.hookId,
        target: shownPlace(target),
        events: o.events,
        url,
        active: true,
        pinged: created.pinged,
        ...(o.showSecret ? { secret: created.secret } : {}),
      };
      if (o.json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else
        process.stdout.write(
          `created hook ${out.hookId} on ${out.target} (${o.events.join(', ')}) → ${url}\n` +
            `its secret is kept sealed by hookflow${o.showSecret ? `: ${created.secret}` : ' (--show-secret prints it)'}${created.pinged ? '; a ping was sent' : ''}\n`,
        );
    });

  hooks
    .command('list')
    .description(
      "the hooks hookflow manages; with a target, that repository's or organization's hooks on GitHub",
    )
    .argument('[target]', '<owner>/<repo> or org:<login>', parseTarget)
    .option('--json', 'print JSON', false)
    .action(async (target: Target | undefined, o: { json: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const rows = target
        ? await listOnGitHub(config, target)
        : await withStore(config, async (store) => [
            ...(await listManagedHooks(store.db, PROVIDER)).map((h) => ({
              hookId: h.hookId,
              target: shownPlace({ scope: h.scope, name: h.target }),
              events: h.events,
              url: h.url,
              managed: true,
              createdAt: h.createdAt.toISOString(),
            })),
            ...(await appHookRows(config, store)),
          ]);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stdout.write(
          target ? `no hooks on ${shownPlace(target)}\n` : 'hookflow manages no hooks yet\n',
        );
        return;
      }
      for (const r of rows)
        process.stdout.write(
          `${r.hookId.padEnd(12)} ${r.target.padEnd(30)} ${'subscription' in r ? 'hub    ' : r.managed ? 'managed' : 'other  '} ${r.hookId === 'app' ? "(its events are set in the App's settings)" : r.events.join(',')} → ${r.url}\n`,
        );
    });

  /** What GitHub has on a repository or organization, the ones hookflow manages marked. */
  function listOnGitHub(config: Config, target: Target) {
    return withHooks(config, async ({ store, call }) => {
      const managed = await listManagedHooks(store.db, PROVIDER);
      const { path, route } = hooksApi(target);
      const res = await call<GitHubHook[]>('GET', `${path}?per_page=100`, route);
      const mine = new Set(managed.map((h) => h.hookId));
      const subscriptions = new Set((await listManagedHooks(store.db, PROVIDER, 'hub')).map((h) => h.hookId));
      return res.data.map((h) => {
        const subscription = subscriptionIn(h.config.url);
        const isHub = subscription !== undefined && subscriptions.has(hubHookId(subscription));
        return {
          hookId: String(h.id),
          target: shownPlace(target),
          events: h.events,
          url: h.config.url ?? '',
          active: h.active,
          // A PubSubHubbub subscription is a hook on GitHub: `hookflow hub` manages it.
          managed: mine.has(String(h.id)) || isHub,
          ...(isHub ? { subscription } : {}),
        };
      });
    });
  }

  hooks
    .command('ping')
    .description('ask GitHub to send the hook a ping')
    .argument('<hook-id>', "the hook's GitHub ID", parseHookId)
    .action(async (id: string) => {
      const config = loadConfig(process.env, 'cli');
      await withHooks(config, async ({ store, call }) => {
        const hook = await theHook(store, id);
        const { path, route } = hooksApi({ scope: hook.scope, name: hook.target });
        await call('POST', `${path}/${id}/pings`, `${route}/{hook_id}/pings`);
      });
      process.stdout.write(`ping sent to hook ${id}\n`);
    });

  hooks
    .command('deliveries')
    .description('the recent deliveries GitHub lists for the hook, newest first')
    .argument('<hook-id>', "the hook's GitHub ID", parseHookId)
    .option('--json', 'print JSON', false)
    .action(async (id: string, o: { json: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const rows = await withHooks(config, async ({ store, call }) => {
        const hook = await theHook(store, id);
        const { path, route } = hooksApi({ scope: hook.scope, name: hook.target });
        const res = await call<
          {
            id: number;
            guid: string;
            delivered_at: string;
            status_code: number;
            event: string;
            action: string | null;
            redelivery: boolean;
          }[]
        >('GET', `${path}/${id}/deliveries?per_page=30`, `${route}/{hook_id}/deliveries`);
        return res.data.map((d) => ({
          id: d.id,
          guid: d.guid,
          deliveredAt: d.delivered_at,
          statusCode: d.status_code,
          event: d.action ? `${d.event}.${d.action}` : d.event,
          redelivery: d.redelivery,
        }));
      });
      if (o.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else
        for (const d of rows)
          process.stdout.write(
            `${d.deliveredAt}  ${String(d.statusCode).padEnd(3)}  ${d.guid}  ${d.event}${d.redelivery ? '  (redelivery)' : ''}\n`,
          );
    });

  hooks
    .command('delete')
    .description('delete the hook on GitHub and stop accepting its deliveries')
    .argument('<hook-id>', "the hook's GitHub ID", parseHookId)
    .option('--yes', 'do not ask for confirmation', false)
    .action(async (id: string, o: { yes: boolean }, cmd: Command) => {
      const config = loadConfig(process.env, 'cli');
      await withHooks(config, async ({ store, call, raw }) => {
        const hook = await theHook(store, id);
        await confirm(
          `delete hook ${id} on ${shownPlace({ scope: hook.scope, name: hook.target })}`,
          o.yes,
          cmd,
        );
        const { path, route } = hooksApi({ scope: hook.scope, name: hook.target });
        await raw('DELETE', `${path}/${id}`, `${route}/{hook_id}`).catch(async (err: unknown) => {
          if (!(err instanceof ApiError && err.details.status === 404)) throw explained(err);
          // GitHub answers 404 for a hook that is gone, and also for one the token may not see:
          // forget it only when the hooks of its place can be listed and it is not among them.
          const listed = await call<GitHubHook[]>('GET', `${path}?per_page=100`, route);
          if (listed.data.some((h) => String(h.id) === id))
            throw new CliError(
              `GitHub would not delete hook ${id} (404): GITHUB_TOKEN may list but not administer it; nothing was forgotten`,
            );
        });
        await deleteManagedHook(store.db, PROVIDER, id);
      });
      process.stdout.write(`deleted hook ${id}; its deliveries are refused from now on\n`);
    });

  hooks
    .command('update')
    .description("change a managed hook's events, URL or whether it is active")
    .argument('<hook-id>', "the hook's GitHub ID", parseHookId)
    .option('--events <names>', 'the events it sends, comma-separated, or *', parseEvents)
    .option('--url <url>', 'where GitHub sends them', parseUrl)
    .option('--active', 'send deliveries')
    .option('--inactive', 'send nothing until made active again')
    .option('--json', 'print JSON', false)
    .action(
      async (
        id: string,
        o: { events?: string[]; url?: string; active?: boolean; inactive?: boolean; json: boolean },
        cmd: Command,
      ) => {
        if (o.active && o.inactive)
          cmd.error('error: give --active or --inactive, not both', { exitCode: 2 });
        if (subscriptionIn(o.url) !== undefined)
          cmd.error(
            `error: the ${HUB_PARAM} parameter of a webhook URL names a PubSubHubbub subscription: leave it out`,
            { exitCode: 2 },
          );
        if (o.events === undefined && o.url === undefined && !o.active && !o.inactive)
          cmd.error('error: nothing to change: give --events, --url, --active or --inactive', {
            exitCode: 2,
          });
        const config = loadConfig(process.env, 'cli');
        const updated = await withHooks(config, async ({ store, call }) => {
          const hook = await theHook(store, id);
          const { path, route } = hooksApi({ scope: hook.scope, name: hook.target });
          // The URL through the config endpoint, which changes only what it is given: a config
          // sent to the hook's own endpoint could drop the secret.
          if (o.url) {
            await call('PATCH', `${path}/${id}/config`, `${route}/{hook_id}/config`, { url: o.url });
            await updateManagedHook(store.db, PROVIDER, id, { url: o.url });
          }
          const res =
            o.events || o.active || o.inactive
              ? await call<GitHubHook>('PATCH', `${path}/${id}`, `${route}/{hook_id}`, {
                  ...(o.events ? { events: o.events } : {}),
                  ...(o.active || o.inactive ? { active: o.active === true } : {}),
                })
              : await call<GitHubHook>('GET', `${path}/${id}`, `${route}/{hook_id}`);
          const events = res.data.events;
          const url = res.data.config.url ?? o.url ?? hook.url;
          // Only what changed: the secrets may have changed meanwhile (a rotation).
          await updateManagedHook(store.db, PROVIDER, id, { events, url });
          return {
            hookId: id,
            target: shownPlace({ scope: hook.scope, name: hook.target }),
            events,
            url,
            active: res.data.active,
          };
        });
        if (o.json) process.stdout.write(`${JSON.stringify(updated)}\n`);
        else
          process.stdout.write(
            `hook ${id} on ${updated.target}: ${updated.active ? 'active' : 'inactive'}, ${updated.events.join(', ')} → ${updated.url}\n`,
          );
      },
    );

  hooks
    .command('test')
    .description("ask GitHub to send a repository hook its latest push again (GitHub's push test)")
    .argument('<hook-id>', "the hook's GitHub ID", parseHookId)
    .action(async (id: string) => {
      const config = loadConfig(process.env, 'cli');
      await withHooks(config, async ({ store, call }) => {
        const hook = await theHook(store, id);
        if (hook.scope !== 'repository')
          throw new CliError(
            'GitHub has a push test for repository hooks only: use `hooks ping` for this one',
          );
        const { path, route } = hooksApi({ scope: hook.scope, name: hook.target });
        await call('POST', `${path}/${id}/tests`, `${route}/{hook_id}/tests`);
      });
      process.stdout.write(
        `push test asked of hook ${id} (GitHub sends it only if the hook takes push events)\n`,
      );
    });

  hooks
    .command('import')
    .description('adopt an existing hook: give it a new secret that hookflow keeps, and verify with it')
    .argument('<target>', 'where it is: <owner>/<repo>, or org:<login>', parseTarget)
    .argument('<hook-id>', "the hook's GitHub ID", parseHookId)
    .option('--json', 'print JSON', false)
    .action(async (target: Target, id: string, o: { json: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const adopted = await withHooks(config, async ({ store, call, sealer }) => {
        if (await getManagedHook(store.db, PROVIDER, id))
          throw new CliError(`hookflow manages hook ${id} already`);
        // The sources file's secrets come first at the front door: adopting would refuse every delivery.
        if (config.sources.hooks.some((h) => h.hookId === id))
          throw new CliError(
            `hook ${id} is in HOOKFLOW_SOURCES_FILE, whose secrets the front door uses: remove it there first`,
          );
        const { path, route } = hooksApi(target);
        const found = await call<GitHubHook>('GET', `${path}/${id}`, `${route}/{hook_id}`);
        const subscription = subscriptionIn(found.data.config.url);
        if (subscription !== undefined)
          throw new CliError(
            `hook ${id} is the PubSubHubbub subscription ${subscription} (its URL names it): \`hookflow hub\` manages it`,
          );
        const secret = generateSecret();
        const row = {
          provider: PROVIDER,
          hookId: id,
          scope: target.scope,
          target: target.name,
          events: found.data.events,
          url: found.data.config.url ?? '',
          sealedSecrets: fresh(sealer, secret),
        };
        // Stored first, so deliveries signed with the new secret verify the moment GitHub has it;
        // the few signed with the old one in between are refused (redeliver them from GitHub).
        await putManagedHook(store.db, row);
        try {
          await call('PATCH', `${path}/${id}/config`, `${route}/{hook_id}/config`, { secret });
        } catch (err) {
          // GitHub may have taken it all the same (a lost answer): running import again sets a new one.
          await deleteManagedHook(store.db, PROVIDER, id).catch(() => undefined);
          throw new CliError(
            `could not set the new secret on GitHub (${(err as Error).message}): run \`hookflow hooks import ${shownPlace(target)} ${id}\` again`,
          );
        }
        // GitHub delivers nothing to an inactive hook, pings included.
        const pinged = found.data.active && (await pingOrWarn(call, path, route, id));
        return { hookId: id, target: shownPlace(target), events: row.events, url: row.url, pinged };
      });
      if (o.json) process.stdout.write(`${JSON.stringify(adopted)}\n`);
      else
        process.stdout.write(
          `hook ${id} on ${adopted.target} now has a secret hookflow keeps${adopted.pinged ? '; a ping was sent' : ''}\n`,
        );
    });

  // The secret is never printed by accident: only this asks for it.
  hooks
    .command('secret')
    .description("print a managed hook's current secret (to configure a sender by hand)")
    .argument('<hook-id>', "the hook's GitHub ID", parseHookId)
    .action(async (id: string) => {
      const config = loadConfig(process.env, 'cli');
      const sealer = hookSealer(config);
      const secret = await withStore(config, async (store) => {
        const hook = await theHook(store, id);
        const secrets = openHookSecrets(sealer, hook);
        // The newest that is still accepted: the one a sender should use.
        const current = secrets.find((s) => s.retiresAt === null || Date.parse(s.retiresAt) > Date.now());
        if (!current) throw new CliError(`hook ${id} has no secret that is still accepted: rotate it`);
        return current.secret;
      });
      process.stdout.write(`${secret}\n`);
    });
}
