// `hookflow hub …`: GitHub's PubSubHubbub subscriptions (`POST /hub`), each with a secret of its own
// that hookflow generates and keeps sealed like a hook's. hookflow puts the subscription's ID in the
// callback URL (`?hub=<id>`), so the front door verifies what GitHub posts there with that secret
// only, for that repository and event only. GitHub documents this API as legacy: hooks
// (`hookflow hooks create`) are preferred. https://docs.github.com/en/rest/repos/webhooks#pubsubhubbub
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { loadConfig } from '../../lib/config';
import { ApiError } from '../../activities/github/api-error';
import { HUB_PARAM, hubHookId, hubTopic } from '../../lib/github-hooks';
import { generateSecret, sealSecrets } from '../../lib/hook-secrets';
import {
  deleteManagedHook,
  listManagedHooks,
  putManagedHook,
  type ManagedHookRow,
} from '../../lib/storage/managed-hooks';
import { CliError, openHookSecrets, withStore } from '../connect';
import { explained, withHooks } from '../hook-admin';
import { parseName, parseRepository, parseUrl } from '../options';

const PROVIDER = 'github';
const PARAM = HUB_PARAM;

/** GitHub answered and refused: it holds nothing new. Anything else (no answer, a 5xx) leaves it unknown. */
const refusedByGitHub = (err: unknown) =>
  err instanceof ApiError &&
  err.details.status !== undefined &&
  err.details.status >= 400 &&
  err.details.status < 500;

/** The callback URL as a person gave it: without the `hub` parameter hookflow adds. */
function baseOf(callback: string): string {
  const url = new URL(callback);
  url.searchParams.delete(PARAM);
  return url.toString();
}

const subscriptionId = (row: ManagedHookRow) => row.hookId.slice(hubHookId('').length);

interface Shown {
  subscription: string;
  repository: string;
  event: string;
  topic: string;
  callback: string;
}

const shown = (row: ManagedHookRow): Shown => ({
  subscription: subscriptionId(row),
  repository: row.target,
  event: row.events[0] ?? '',
  topic: row.topic ?? '',
  callback: row.url,
});

/** The subscriptions of `repository` to `event` (to `callback`, when given). */
async function matching(
  rows: Promise<ManagedHookRow[]>,
  repository: string,
  event: string,
  callback: string | undefined,
): Promise<ManagedHookRow[]> {
  return (await rows).filter(
    (r) =>
      r.target.toLowerCase() === repository.toLowerCase() &&
      r.events[0] === event &&
      (callback === undefined || baseOf(r.url) === baseOf(callback)),
  );
}

export function hubCommand(program: Command): void {
  const hub = program
    .command('hub')
    .description(
      "GitHub's PubSubHubbub subscriptions, each with a secret hookflow keeps (legacy: prefer `hooks create`; needs GITHUB_TOKEN)",
    );

  hub
    .command('subscribe')
    .description("subscribe hookflow to a repository's event with a fresh secret, and verify with it")
    .argument('<repository>', '<owner>/<repo>', parseRepository)
    .argument('<event>', 'the event, as GitHub names it (push, issues, …)', parseName)
    .option(
      '--callback <url>',
      'where GitHub posts (default: HOOKFLOW_PUBLIC_URL + the webhook path); hookflow adds ?hub=<id>',
      parseUrl,
    )
    .option('--show-secret', 'print the secret too (it is otherwise never shown)', false)
    .option('--json', 'print JSON', false)
    .action(
      async (
        repository: string,
        event: string,
        o: { callback?: string; showSecret: boolean; json: boolean },
        cmd: Command,
      ) => {
        const config = loadConfig(process.env, 'cli');
        const base = o.callback ?? (config.publicUrl && `${config.publicUrl}${config.webhookPath}`);
        if (!base)
          cmd.error(
            'error: give --callback, or set HOOKFLOW_PUBLIC_URL to the address GitHub reaches hookflow at',
            { exitCode: 2 },
          );
        if (base.startsWith('http:'))
          process.stderr.write('warning: an http:// callback sends every post unencrypted; use https\n');
        const topic = hubTopic(config.githubApiUrl, repository, event);
        const done = await withHooks(config, async ({ store, postForm, sealer }) => {
          // Subscribing again repairs GitHub's side with the secret hookflow holds (GitHub modifies
          // the existing subscription), rather than leaving a second one behind.
          const [existing] = await matching(
            listManagedHooks(store.db, PROVIDER, 'hub'),
            repository,
            event,
            base,
          );
          let row: ManagedHookRow | Omit<ManagedHookRow, 'createdAt' | 'updatedAt'>;
          let secret: string;
          if (existing) {
            row = existing;
            const current = openHookSecrets(sealer, existing).find(
              (s) => s.retiresAt === null || Date.parse(s.retiresAt) > Date.now(),
            );
            if (!current) throw new CliError(`subscription ${subscriptionId(existing)} has no live secret`);
            secret = current.secret;
          } else {
            const id = randomBytes(12).toString('base64url');
            const callback = new URL(base);
            callback.searchParams.set(PARAM, id);
            secret = generateSecret();
            row = {
              provider: PROVIDER,
              hookId: hubHookId(id),
              kind: 'hub',
              topic,
              scope: 'repository',
              target: repository,
              events: [event],
              url: callback.toString(),
              sealedSecrets: sealSecrets(sealer, [{ secret, retiresAt: null }]),
            };
            // Stored first, so GitHub's first post verifies.
            await putManagedHook(store.db, row);
          }
          try {
            await postForm('hub', '/hub', {
              'hub.mode': 'subscribe',
              'hub.topic': row.topic ?? topic,
              'hub.callback': row.url,
              'hub.secret': secret,
            });
          } catch (err) {
            const reason = (explained(err) as Error).message;
            if (existing)
              throw new CliError(`GitHub did not take the subscription again (${reason}); it is as it was`);
            if (refusedByGitHub(err)) {
              await deleteManagedHook(store.db, PROVIDER, row.hookId).catch(() => undefined);
              throw new CliError(`GitHub refused the subscription (${reason}); nothing is subscribed`);
            }
            // GitHub may have acted on it with the answer lost: hookflow keeps the secret, so a
            // subscription GitHub holds still verifies, and running this again settles it.
            throw new CliError(
              `no answer from GitHub (${reason}): the subscription may or may not exist; run \`hookflow hub subscribe ${repository} ${event}${o.callback ? ` --callback ${o.callback}` : ''}\` again (it reuses the same callback and secret), or \`hookflow hub unsubscribe ${repository} ${event}\``,
            );
          }
          return { ...shown({ ...row, createdAt: new Date(), updatedAt: new Date() }), secret };
        });
        const { secret, ...out } = done;
        if (o.json) process.stdout.write(`${JSON.stringify(o.showSecret ? done : out)}\n`);
        else
          process.stdout.write(
            `subscribed to ${out.event} events of ${out.repository} (subscription ${out.subscription}) → ${out.callback}\n` +
              `its secret is kept sealed by hookflow${o.showSecret ? `: ${secret}` : ' (--show-secret prints it)'}\n`,
          );
      },
    );

  hub
    .command('unsubscribe')
    .description("end hookflow's subscription to a repository's event; its posts are refused from then on")
    .argument('<repository>', '<owner>/<repo>', parseRepository)
    .argument('<event>', 'the event it is for', parseName)
    .option('--callback <url>', 'only the subscription with this callback (when there are several)', parseUrl)
    .option(
      '--forget',
      'stop accepting its posts even if GitHub refuses the unsubscribe (the repository is gone, the token lost its rights)',
      false,
    )
    .action(async (repository: string, event: string, o: { callback?: string; forget: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const ended = await withHooks(config, async ({ store, postForm }) => {
        const rows = await matching(
          listManagedHooks(store.db, PROVIDER, 'hub'),
          repository,
          event,
          o.callback,
        );
        if (rows.length === 0)
          throw new CliError(
            `hookflow has no subscription to ${event} events of ${repository}: \`hookflow hub list\` shows the ones it has`,
          );
        for (const row of rows) {
          try {
            await postForm('hub', '/hub', {
              'hub.mode': 'unsubscribe',
              'hub.topic': row.topic ?? hubTopic(config.githubApiUrl, repository, event),
              'hub.callback': row.url,
            });
          } catch (err) {
            const reason = (explained(err) as Error).message;
            if (!o.forget)
              throw new CliError(
                `GitHub did not take the unsubscribe (${reason}); its posts are still accepted. To stop accepting them anyway (a leaked secret, a repository that is gone): \`hookflow hub unsubscribe ${repository} ${event} --forget\``,
              );
            process.stderr.write(
              `warning: GitHub did not take the unsubscribe (${reason}); forgetting it anyway\n`,
            );
          }
          await deleteManagedHook(store.db, PROVIDER, row.hookId);
        }
        return rows.map(subscriptionId);
      });
      process.stdout.write(
        `unsubscribed from ${event} events of ${repository} (${ended.join(', ')}); every server refuses its posts within HOOKFLOW_HOOK_CACHE_MS (${config.hookCacheMs} ms)\n`,
      );
    });

  hub
    .command('list')
    .description('the PubSubHubbub subscriptions hookflow holds')
    .option('--json', 'print JSON', false)
    .action(async (o: { json: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const rows = await withStore(config, async (store) =>
        (await listManagedHooks(store.db, PROVIDER, 'hub')).map(shown),
      );
      if (o.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else if (rows.length === 0) process.stdout.write('hookflow holds no PubSubHubbub subscriptions\n');
      else
        for (const r of rows)
          process.stdout.write(`${r.subscription}  ${r.repository}  ${r.event} → ${r.callback}\n`);
    });
}
