// Node's system errors carry their errno name in `code` (ENOENT, EEXIST, EADDRINUSE …).

/**
 * Whether `error` is a Node system error with this errno code. Not `instanceof Error`: errors from
 * Node's own modules fail that test inside Jest's sandbox.
 */
export function isErrnoCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}
