// The first phase of a graceful stop, free of any HTTP framework: for SHUTDOWN_DELAY seconds the
// service still answers everything, but readiness says 503 (load balancers and Kubernetes stop
// sending new traffic) and every answer says `Connection: close` (clients with kept-alive
// connections open new ones, which go elsewhere). Only then does the listener close. Without
// the delay, a request that arrives on a kept-alive connection just after the signal finds the
// socket being closed under it, and readiness turns 503 only when the port is already gone.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export class Drain {
  private started: Promise<void> | undefined;

  /** Seconds of the draining phase (SHUTDOWN_DELAY). */
  constructor(private readonly delaySeconds: number) {}

  /** True from `start` on: readiness answers 503. */
  get draining(): boolean {
    return this.started !== undefined;
  }

  /** Call on every answer before it is sent: while draining it asks the client to close the connection. */
  mark(res: ServerResponse): void {
    if (this.started && !res.headersSent) res.setHeader('connection', 'close');
  }

  /** Starts draining; resolves when the delay is over and the listener may close. Idempotent. */
  start(): Promise<void> {
    this.started ??= this.delaySeconds > 0 ? sleep(this.delaySeconds * 1000) : Promise.resolve();
    return this.started;
  }
}
