/** The PostgreSQL server the suite runs against, or undefined for the embedded database. */
export function serverUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
}

/** The same server's maintenance database, for CREATE/DROP DATABASE. */
export function adminUrl(server: string): string {
  const url = new URL(server);
  url.pathname = '/postgres';
  return url.toString();
}
