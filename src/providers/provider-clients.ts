// One client per configured provider, by id.
import type { Clock } from '../clock';
import { GithubProviderClient } from './github-provider-client';
import { OidcProviderClient } from './oidc-provider-client';
import type { ProviderClient } from './provider-client';
import type { ProviderSettings, ProvidersConfig } from './provider-config';

export function createProviderClients(
  config: ProvidersConfig,
  options: { clock: Clock; production: boolean },
): Map<string, ProviderClient> {
  const clients = new Map<string, ProviderClient>();
  for (const settings of config.providers) {
    const clientOptions = { timeout: config.timeout, clock: options.clock, allowHttp: allowHttp(settings, options.production) };
    clients.set(settings.id, settings.kind === 'github' ? new GithubProviderClient(settings, clientOptions) : new OidcProviderClient(settings, clientOptions));
  }
  return clients;
}

/**
 * Plain http only outside production or on loopback: in production, client secrets, codes and
 * tokens must not cross a network in the clear.
 */
function allowHttp(settings: ProviderSettings, production: boolean): boolean {
  const url = new URL(settings.kind === 'github' ? settings.baseUrl : settings.issuer);
  if (url.protocol !== 'http:') return false;
  return !production || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}
