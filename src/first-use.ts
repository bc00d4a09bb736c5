// Libraries that most instances never run (passkeys, TOTP, SMTP, asymmetric JOSE) are loaded on
// their first use: the modules of a library not run are memory kept for nothing (bench/README.md).

/** `load` run once, on the first call; every call gets the same promise (no import per use on hot paths). */
export function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
}
