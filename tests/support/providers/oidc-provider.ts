// Starts the real OpenID provider (oidc-provider-process.mjs) on loopback for a test file, with
// an RS256 key the test also holds (the key is the provider's, as in production a provider's is:
// the test uses it only to learn what the provider publishes).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { exportJWK, generateKeyPair } from 'jose';
import { unusedPort } from '../smtp';

export interface OidcClientMetadata {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'none';
  application_type?: 'web' | 'native';
}

/** Claims of one account at the provider, by login name. */
export type ProviderAccounts = Record<string, { email?: string; email_verified?: boolean; name?: string; preferred_username?: string }>;

export interface TestOidcProvider {
  issuer: string;
  stop(): Promise<void>;
}

export async function startOidcProvider(options: { clients: OidcClientMetadata[]; accounts: ProviderAccounts }): Promise<TestOidcProvider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-provider-key', alg: 'RS256', use: 'sig' };
  const port = await unusedPort();
  const settings = {
    port,
    clients: options.clients.map((c) => ({ grant_types: ['authorization_code'], response_types: ['code'], ...c })),
    accounts: options.accounts,
    jwks: { keys: [jwk] },
  };
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'oidc-provider-process.mjs'), JSON.stringify(settings)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    once(child, 'exit').then(() => {
      throw new Error(`the OpenID provider exited at start-up: ${stderr}`);
    }),
  ]);
  const { issuer } = JSON.parse(first) as { issuer: string };
  return {
    issuer,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
