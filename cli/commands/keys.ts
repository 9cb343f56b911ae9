// `hookflow keys status` and `hookflow keys rotate`: what is sealed under which key of
// HOOKFLOW_ENCRYPTION_KEY, and re-sealing it under the newest, so an operator knows when an old key
// can go. Temporal's histories are not rewritten: a payload keeps the key it was encrypted with until
// the namespace's retention removes its history, so an old key stays listed until then.
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../lib/config';
import { createBodyKeyring, createSealer, keyId } from '../../lib/crypto';
import {
  keyUsage,
  resealBodies,
  resealHookSecrets,
  dropOldTokens,
  type KeyUsage,
  type ResealOutcome,
} from '../../lib/storage/keys';
import { CliError, withStore } from '../connect';
import { parseLimit } from '../options';

function configuredKeys(config: Config): Buffer[] {
  if (config.api.encryptionKeys.length === 0)
    throw new CliError(
      'HOOKFLOW_ENCRYPTION_KEY is not set: set it to the keys the servers and workers use (newest first)',
    );
  return config.api.encryptionKeys;
}

const KINDS: [Exclude<keyof KeyUsage, 'payloads'>, string][] = [
  ['bodies', 'ledger bodies'],
  ['hookSecrets', 'hook secrets'],
  ['tokens', 'installation tokens'],
];

export function keysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description(
      'what is sealed under which key of HOOKFLOW_ENCRYPTION_KEY, and re-sealing it under the newest',
    );

  keys
    .command('status')
    .description('the configured keys, and how many stored values each one sealed')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const ids = configuredKeys(config).map(keyId);
      const usage = await withStore(config, (store) => keyUsage(store.db));
      const unknown = [
        ...new Set(
          KINDS.flatMap(([k]) => Object.keys(usage[k]).filter((id) => id !== 'plain' && !ids.includes(id))),
        ),
      ];
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({ keys: ids, current: ids[0], ...usage, unknownKeys: unknown }, null, 2)}\n`,
        );
        return;
      }
      const say = (line: string) => process.stdout.write(`${line}\n`);
      say('keys (HOOKFLOW_ENCRYPTION_KEY, newest first)');
      ids.forEach((id, i) => say(`  ${id}  ${i === 0 ? 'seals new values' : 'opens only'}`));
      for (const [k, label] of KINDS) {
        const counts = Object.entries(usage[k]);
        say(
          `${label.padEnd(21)}${counts.length === 0 ? 'none' : counts.map(([id, n]) => `${id}: ${n}`).join('  ')}`,
        );
      }
      const payloads = Object.entries(usage.payloads);
      say(
        `${'Temporal payloads'.padEnd(21)}${
          payloads.length === 0
            ? 'none decrypted yet'
            : payloads.map(([id, p]) => `${id}: ${p.decodes} decrypted, last ${p.lastDecodedAt}`).join('  ')
        }`,
      );
      const old = ids.slice(1);
      // Histories are not re-encrypted: an old key a worker still decrypts with is still needed.
      const inHistories = old.filter((id) => usage.payloads[id] !== undefined);
      if (inHistories.length > 0)
        say(
          `Temporal's histories used ${inHistories.map((id) => `${id} (last ${usage.payloads[id].lastDecodedAt})`).join(', ')}: keep ${inHistories.length > 1 ? 'them' : 'it'} until the namespace's retention has passed since then`,
        );
      const stillUsed = old.filter((id) => KINDS.some(([k]) => (usage[k][id] ?? 0) > 0));
      if (unknown.length > 0)
        say(
          `not openable here: values sealed with ${unknown.join(', ')}, which HOOKFLOW_ENCRYPTION_KEY lacks`,
        );
      if (stillUsed.length > 0)
        say(`still in use: ${stillUsed.join(', ')} (hookflow keys rotate re-seals them)`);
      else if (old.length > 0)
        say(
          `no stored value needs ${old.join(', ')}; Temporal's histories may, until the namespace's retention has passed since the newest key was added`,
        );
    });

  keys
    .command('rotate')
    .description(
      're-seal stored bodies and hook secrets under the newest key, and drop tokens under older ones (resumable; safe beside running workers)',
    )
    .option('--batch <n>', 'rows per transaction', parseLimit, 20)
    .option('--json', 'print JSON')
    .action(async (o: { batch: number; json?: boolean }) => {
      const config = loadConfig(process.env, 'cli');
      const configured = configuredKeys(config);
      const ids = configured.map(keyId);
      const keyring = createBodyKeyring(configured);
      const sealer = createSealer(configured);
      const totals = await withStore(config, async (store) => {
        const passes: [string, (skip: string[]) => Promise<ResealOutcome>][] = [
          [
            'ledger bodies',
            // Bodies kept as sent are sealed too, unless encryption at rest is off.
            (skip) =>
              resealBodies(store.db, keyring, {
                known: ids,
                plain: config.historyEncryption,
                skip,
                limit: o.batch,
              }),
          ],
          [
            'hook secrets',
            (skip) =>
              resealHookSecrets(store.db, sealer, { current: ids[0], known: ids, skip, limit: o.batch }),
          ],
          ['installation tokens', () => dropOldTokens(store.db, ids[0], o.batch)],
        ];
        const out: Record<string, ResealOutcome> = {};
        for (const [label, pass] of passes) {
          const total: ResealOutcome = { resealed: 0, dropped: 0, unopenable: [] };
          for (;;) {
            const r = await pass(total.unopenable);
            total.resealed += r.resealed;
            total.dropped += r.dropped;
            total.unopenable.push(...r.unopenable);
            if (!o.json && r.resealed + r.dropped > 0)
              process.stderr.write(`${label}: ${total.resealed} re-sealed, ${total.dropped} dropped\n`);
            if (r.resealed + r.dropped + r.unopenable.length < o.batch) break;
          }
          out[label] = total;
        }
        return { out, after: await keyUsage(store.db) };
      });
      // Something left under an old key that cannot be re-sealed: the old key cannot go yet.
      if (Object.values(totals.out).some((t) => t.unopenable.length > 0)) process.exitCode = 1;
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({ current: ids[0], ...totals.out, after: totals.after }, null, 2)}\n`,
        );
        return;
      }
      for (const [label, t] of Object.entries(totals.out))
        process.stdout.write(
          `${label.padEnd(21)}${t.resealed} re-sealed with ${ids[0]}${t.dropped > 0 ? `, ${t.dropped} dropped (GitHub issues new ones)` : ''}${t.unopenable.length > 0 ? `; not openable, left as they are: ${t.unopenable.join(', ')}` : ''}\n`,
        );
    });
}
