// A real import(), for packages published as ES modules only (no `require` entry: the config plugin,
// @octokit/webhooks). Written through Function so the CommonJS build (tsc, `module: commonjs`) does
// not turn it into a require().
// eslint-disable-next-line @typescript-eslint/no-implied-eval
export const importModule = new Function('specifier', 'return import(specifier)') as (
  s: string,
) => Promise<unknown>;

/** @octokit/webhooks' own event-name check, as Probot's `app.on` runs it. */
export async function validateEventNameFn(): Promise<(name: string) => void> {
  const { validateEventName } = (await importModule(
    '@octokit/webhooks',
  )) as typeof import('@octokit/webhooks');
  return validateEventName;
}
