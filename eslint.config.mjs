// Lint rules: typed rules for promises (a floating promise in a handler loses errors), and the
// boundary of workflow code, which runs in Temporal's deterministic sandbox: it imports only
// @temporalio/workflow, other workflow files, lib/contracts/ (which imports nothing else) and the
// activities' types. test/unit/workflow-lint.test.ts proves the boundary holds.
// https://docs.temporal.io/develop/typescript/workflows/basics
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Every Node built-in, bare or `node:`-prefixed, and its subpaths (`fs/promises`). */
const NODE_BUILTIN = `node:.*|(?:${builtinModules.map(escape).join('|')})(?:/.*)?`;
/** Temporal packages for code outside the sandbox. */
const OUTSIDE_SANDBOX = '@temporalio/(?:client|worker|activity)(?:/.*)?';
const ACTIVITIES = '\\.\\./activities(?:/[\\w-]+)*';
/** A relative path that stays in its folder: no `..` segment. */
const SAFE_PATH = '[\\w-]+(?:/[\\w-]+)*';
const WORKFLOW_IMPORTS = `@temporalio/workflow|\\./${SAFE_PATH}|\\.\\./lib/contracts/[\\w-]+`;

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.hookflow/**',
      '.scratch/**',
      'bench/results/**',
      'eslint.config.mjs',
      'bin/**',
      'dist/**',
      // Published apps, vendored unmodified: their own style, not ours.
      'test/fixtures/probot-apps/**',
      // Apps in plain JavaScript, as users write them: outside the typed project typed lint reads.
      'test/fixtures/apps/unit/**/*.{js,mjs}',
      // Apps that are wrong on purpose (syntax errors, misused API) for test/unit/load-app.test.ts.
      'test/fixtures/apps/bad/**',
      'index.cjs',
      'testing.cjs',
      'workflow.cjs',
      'load-entry.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/test return promises that the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['describe', 'test', 'it', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      // The import rule sees only static imports; a module loaded any other way escapes it.
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression',
          message: 'Import modules statically in workflow code, where no-restricted-imports checks them.',
        },
        {
          selector: "CallExpression[callee.name='require']",
          message: 'Import modules statically in workflow code, where no-restricted-imports checks them.',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(?:${NODE_BUILTIN})$`,
              caseSensitive: true,
              message: 'Workflow code runs in the deterministic sandbox: no Node built-ins.',
            },
            {
              regex: `^(?:${OUTSIDE_SANDBOX})$`,
              caseSensitive: true,
              message: 'Workflow code runs in the deterministic sandbox: use @temporalio/workflow.',
            },
            {
              regex: `^(?:${ACTIVITIES})$`,
              caseSensitive: true,
              allowTypeImports: true,
              message:
                'Import activities as types only (import type), and call them through proxyActivities.',
            },
            {
              regex: `^(?!(?:${WORKFLOW_IMPORTS}|${NODE_BUILTIN}|${OUTSIDE_SANDBOX}|${ACTIVITIES})$)`,
              caseSensitive: true,
              message:
                'Workflow code may import only @temporalio/workflow, workflow files (./…) and lib/contracts/*: the rest of lib/ and server/ is not deterministic.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(?!\\./${SAFE_PATH}$)`,
              caseSensitive: true,
              message: 'A contract is shared with workflow code: it may import only other contracts (./…).',
            },
          ],
        },
      ],
    },
  },
);
