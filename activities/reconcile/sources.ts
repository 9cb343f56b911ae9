// The hooks whose delivery logs GitHub lists, from configuration: the App's hook in App mode (its
// JWT lists it), and each hook of the sources file that names its repository or organization
// (listed with GITHUB_TOKEN). Marketplace, Sponsors and global hooks have no such log.
import type { Config } from '../../lib/config';
import type { ReconcileSource } from '../../lib/contracts/reconcile';

export function reconcileSourcesOf(
  config: Pick<Config, 'appId' | 'privateKey' | 'api' | 'sources'>,
): ReconcileSource[] {
  const sources: ReconcileSource[] = [];
  if (config.appId !== undefined && config.privateKey !== undefined) {
    sources.push({
      key: 'app',
      deliveriesPath: 'app/hook/deliveries',
      route: '/app/hook/deliveries',
      asApp: true,
      ledgerSource: 'github',
    });
  }
  if (config.api.token === undefined) return sources;
  for (const hook of config.sources.hooks) {
    const id = encodeURIComponent(hook.hookId);
    const common = { key: `hook:${hook.hookId}`, asApp: false, ledgerSource: `github:hook:${hook.hookId}` };
    if (hook.repository !== undefined) {
      const [owner, repo] = hook.repository.split('/').map(encodeURIComponent);
      sources.push({
        ...common,
        deliveriesPath: `repos/${owner}/${repo}/hooks/${id}/deliveries`,
        route: '/repos/{owner}/{repo}/hooks/{hook_id}/deliveries',
      });
    } else if (hook.organization !== undefined) {
      sources.push({
        ...common,
        deliveriesPath: `orgs/${encodeURIComponent(hook.organization)}/hooks/${id}/deliveries`,
        route: '/orgs/{org}/hooks/{hook_id}/deliveries',
      });
    }
  }
  return sources;
}
