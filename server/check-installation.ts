// Whether the source that signed a delivery may speak for the installation the payload names (403
// otherwise). A hook's secret speaks only for installations registered to that hook, so a leaked
// hook secret cannot claim someone else's installation.
import type { DeliveryRef } from '../lib/contracts/delivery-ref';
import type { Store } from '../lib/storage';
import { fieldAt, type Provider, type Source } from './providers';
import { Refusal } from './refusal';

export type InstallationRegistry = Pick<Store, 'getInstallation'>;

export async function checkInstallation(
  provider: Provider,
  registry: InstallationRegistry,
  source: Source,
  ref: Pick<DeliveryRef, 'event' | 'installation'>,
): Promise<void> {
  const { installation, event } = ref;
  if (installation === null) {
    if (provider.requireKnownInstallation) {
      throw new Refusal(
        403,
        `payload has no ${provider.installationField}; hookflow accepts only known installations`,
      );
    }
    return;
  }
  if (provider.requireKnownInstallation && provider.knownInstallations.has(installation)) return;
  const known = await registry.getInstallation(provider.name, installation);
  if (provider.requireKnownInstallation) {
    if (known?.status !== 'active')
      throw new Refusal(403, `unknown ${provider.installationField} ${installation}`);
    return;
  }
  if (!known) {
    // Installed before hookflow ran: accepted and recorded as unverified — through the App's source only.
    if (source.introducesInstallations) return;
    throw new Refusal(403, `installation ${installation} is not registered to this hook`);
  }
  if (known.source !== source.key) {
    throw new Refusal(
      403,
      `installation ${installation} is registered to another hook; this hook's secret cannot speak for it`,
    );
  }
  // Unknown to GitHub's API: refused, unless GitHub itself now announces it.
  if (known.status === 'unknown' && event !== 'installation') {
    throw new Refusal(403, `installation ${installation} is unknown to GitHub (checked against its API)`);
  }
  // An uninstalled installation speaks again only to be installed anew.
  if (known.status === 'removed' && event !== 'installation') {
    throw new Refusal(403, `installation ${installation} was uninstalled`);
  }
}

/**
 * A hook whose place hookflow knows (one it manages) speaks only for deliveries from there: a
 * repository hook for its repository, an organization hook for its organization's repositories and
 * events. So one hook's secret, leaked, cannot feed another repository's data in (403).
 */
export function checkHookPlace(source: Source, payload: Record<string, unknown>): void {
  const { place } = source;
  if (!place) return;
  const repository = fieldAt(payload, 'repository.full_name');
  if (place.scope === 'repository') {
    if (repository?.toLowerCase() !== place.name.toLowerCase())
      throw new Refusal(
        403,
        `this hook is configured on ${place.name}; its secret cannot speak for ${repository ?? 'a delivery naming no repository'}`,
      );
    return;
  }
  const organization = repository?.split('/')[0] ?? fieldAt(payload, 'organization.login');
  if (organization?.toLowerCase() !== place.name.toLowerCase())
    throw new Refusal(
      403,
      `this hook is configured on the organization ${place.name}; its secret cannot speak for ${organization ?? 'a delivery naming no organization'}`,
    );
}

/**
 * A sender whose events are fixed (a PubSubHubbub subscription is for one event) speaks for those
 * only, and for GitHub's pings; its secret, leaked, cannot feed other events in (403).
 */
export function checkSourceEvent(source: Source, event: string): void {
  if (source.events === undefined || event === 'ping' || source.events.includes(event)) return;
  throw new Refusal(
    403,
    `this subscription is for ${source.events.join(', ')} events; its secret cannot speak for ${event} events`,
  );
}
