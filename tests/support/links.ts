// What tests read out of emails and tokens: the link an email carries, and a token's Hasura claims.
import jwt from 'jsonwebtoken';
import type { ParsedMail } from 'mailparser';

/** The first link in the email's text that starts with `base`, as a URL. */
export function linkIn(mail: ParsedMail | undefined, base: string): URL {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const found = new RegExp(`${escaped}\\S+`).exec(mail?.text ?? '');
  if (!found) throw new Error(`no link to ${base} in the email "${mail?.subject ?? ''}"`);
  return new URL(found[0]);
}

/** The token and email of an emailed link. */
export function linkParams(link: URL): { token: string; email: string } {
  return { token: link.searchParams.get('token') ?? '', email: link.searchParams.get('email') ?? '' };
}

/** The Hasura claims of an access token (read, not verified: the service verified it). */
export function hasuraClaims(access: string): Record<string, unknown> {
  const payload = jwt.decode(access) as Record<string, unknown>;
  return payload['https://hasura.io/jwt/claims'] as Record<string, unknown>;
}
