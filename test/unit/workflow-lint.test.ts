// The import boundary of workflow code (eslint.config.mjs): workflows run in Temporal's
// deterministic sandbox, so they may import only @temporalio/workflow, other workflow files,
// lib/contracts/ and the activities' types; contracts import only other contracts. Each snippet is
// linted as if it were a file there, with the repository's own configuration (type-aware rules
// off: they need the file on disk, and the import rule does not use types).
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = path.join(__dirname, '..', '..');
const eslint = new ESLint({ cwd: root, overrideConfig: [tseslint.configs.disableTypeChecked] });

/** The messages of the import rule for `code` linted as `filePath`. */
async function importProblems(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath });
  assert.ok(result, 'ESLint linted the snippet');
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], 'the snippet parses');
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const inWorkflow = (code: string) => importProblems(code, 'workflows/probe.ts');

describe('workflow code imports only what runs in the sandbox', () => {
  test('allowed: @temporalio/workflow, workflow files, contracts, activity types', async () => {
    for (const code of [
      "import { sleep } from '@temporalio/workflow';",
      "import { runDelivery } from './run-delivery';",
      "import { DELIVERY_ACTIVITY } from './activity-options';",
      "import { FAILURE } from '../lib/contracts/failure-types';",
      "import type { DeliveryRef } from '../lib/contracts/delivery-ref';",
      "import type { Activities } from '../activities';",
      "import type { PagesResult } from '../activities/sync-activities';",
      "import { type Activities } from '../activities';",
    ]) {
      assert.deepEqual(await inWorkflow(code), [], code);
    }
  });

  test('every Node built-in is refused, bare and node:-prefixed', async () => {
    const names = [...builtinModules, 'fs/promises', 'test', 'sqlite'];
    for (const name of names) {
      for (const specifier of name === 'test' || name === 'sqlite'
        ? [`node:${name}`]
        : [name, `node:${name}`]) {
        const problems = await inWorkflow(`import * as m from '${specifier}';\nvoid m;`);
        assert.equal(problems.length, 1, specifier);
        assert.match(problems[0] ?? '', /no Node built-ins/, specifier);
      }
    }
  });

  test('Temporal packages for code outside the sandbox are refused', async () => {
    for (const pkg of [
      '@temporalio/client',
      '@temporalio/worker',
      '@temporalio/activity',
      '@temporalio/client/lib/x',
    ]) {
      const problems = await inWorkflow(`import * as m from '${pkg}';\nvoid m;`);
      assert.equal(problems.length, 1, pkg);
      assert.match(problems[0] ?? '', /use @temporalio\/workflow/, pkg);
    }
  });

  test('activities may be imported as types only', async () => {
    for (const code of [
      "import { createActivities } from '../activities';",
      "import { toTemporalFailure } from '../activities/to-temporal-failure';",
    ]) {
      const problems = await inWorkflow(`${code}\nvoid 0;`);
      assert.equal(problems.length, 1, code);
      assert.match(problems[0] ?? '', /types only/, code);
    }
  });

  test('the rest of lib/, server/ and any other package are refused', async () => {
    for (const specifier of [
      '../lib/config',
      '../lib/sync-client',
      '../lib/storage',
      '../lib/temporal/search-attributes',
      '../lib/contracts/../config',
      '../server/providers',
      '../worker/create-worker',
      './../lib/config',
      '@temporalio/common',
      'zod',
      'pino',
    ]) {
      const problems = await inWorkflow(`import * as m from '${specifier}';\nvoid m;`);
      assert.equal(problems.length, 1, specifier);
      assert.match(problems[0] ?? '', /may import only/, specifier);
    }
  });

  test('modules are imported statically, where the rule sees them', async () => {
    for (const code of ["void import('node:fs');", "void require('node:fs');"]) {
      const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath: 'workflows/probe.ts' });
      const rules = (result?.messages ?? []).map((m) => m.ruleId);
      assert.ok(rules.includes('no-restricted-syntax'), `${code}: ${rules.join(', ')}`);
    }
  });

  test('re-exports are held to the same boundary', async () => {
    assert.equal((await inWorkflow("export { loadConfig } from '../lib/config';")).length, 1);
    assert.equal((await inWorkflow("export * from 'node:fs';")).length, 1);
  });
});

describe('contracts import only other contracts', () => {
  const inContract = (code: string) => importProblems(code, 'lib/contracts/probe.ts');
  test('another contract is allowed', async () => {
    assert.deepEqual(await inContract("import type { DeliveryRef } from './delivery-ref';"), []);
  });
  test('anything else is refused', async () => {
    for (const specifier of [
      'node:crypto',
      'crypto',
      '../config',
      '@temporalio/workflow',
      'zod',
      './../config',
    ]) {
      const problems = await inContract(`import * as m from '${specifier}';\nvoid m;`);
      assert.equal(problems.length, 1, specifier);
      assert.match(problems[0] ?? '', /only other contracts/, specifier);
    }
  });
});
