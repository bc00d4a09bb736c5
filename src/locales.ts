// The languages the service speaks: every built-in email and page exists in each of them.
export const LOCALES = ['en', 'es', 'fr', 'de'] as const;

export type Locale = (typeof LOCALES)[number];

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/**
 * A stored or requested language as one the service speaks: `es-MX` → `es`; anything else (an
 * unknown language, a locale stored before a translation was dropped) → `fallback`.
 */
export function resolveLocale(value: string | null | undefined, fallback: Locale): Locale {
  const language = value?.trim().toLowerCase().split(/[-_]/)[0];
  return isLocale(language) ? language : fallback;
}
