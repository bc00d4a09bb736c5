// The load generator: autocannon, in this process, at a fixed number of connections for a fixed
// time (a closed loop: each connection sends its next request when the previous answer arrives).
// The same generator drives the service and its baseline, so its own CPU cost, which competes with
// the server on a small machine, weighs on both sides of every ratio.
//
// An error is anything a client would not accept: a non-2xx status, a timeout, a connection error,
// or a 2xx answer whose JSON carries "errors" (GraphQL reports failures with status 200).
import autocannon from 'autocannon';

export interface RequestShape {
  body: string;
  headers: Record<string, string>;
}

export interface LoadTarget {
  /** e.g. http://127.0.0.1:4000 */
  baseUrl: string;
  path: string;
  /** POST unless said otherwise (Better Auth's session reads are GETs). */
  method?: 'GET' | 'POST';
  /**
   * Whether a 2xx answer is a failure anyway. Default: its JSON carries "errors" (GraphQL's way);
   * a peer with other answer shapes says what a refusal looks like there.
   */
  failed?: (body: string) => boolean;
  /** Connection `i` sends this request over and over: built once, nothing per request. */
  perConnection?: (i: number) => RequestShape;
  /** Every request is built anew (login: a different user each time, so no account is hammered). */
  perRequest?: () => RequestShape;
}

export interface LoadResult {
  /** Completed requests per second. */
  rps: number;
  requests: number;
  seconds: number;
  /** Latency in milliseconds. */
  p50: number;
  p99: number;
  errors: number;
  breakdown: { non2xx: number; timeouts: number; connectionErrors: number; graphqlErrors: number };
  /** The first failing answer seen, for the error message. */
  sample: string | undefined;
}

const running = new Set<autocannon.Instance>();

/** Stops every load in progress (Ctrl-C); each resolves with what it measured so far. */
export function stopAllLoads(): void {
  for (const instance of running) instance.stop();
}

export function runLoad(target: LoadTarget, connections: number, seconds: number): Promise<LoadResult> {
  let graphqlErrors = 0;
  let sample: string | undefined;
  // Called for every answer: kept to a status check and one substring search.
  const failed = target.failed ?? ((body: string) => body.includes('"errors"'));
  const onResponse = (status: number, body: string) => {
    if (status >= 200 && status < 300) {
      if (!failed(body)) return;
      graphqlErrors++;
      sample ??= body.slice(0, 600);
    } else {
      sample ??= `HTTP ${status}: ${body.slice(0, 600)}`;
    }
  };

  let connection = 0;
  const { perConnection, perRequest } = target;
  const method = target.method ?? 'POST';
  if (!perConnection === !perRequest) throw new Error('runLoad: give exactly one of perConnection and perRequest');

  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.baseUrl + target.path,
        method,
        connections,
        duration: seconds,
        // Each client gets its own request objects: autocannon shares the `requests` option (and
        // its default) between all clients, so per-client edits of it would leak into the others.
        setupClient(client) {
          const request: autocannon.Request = { method, path: target.path, onResponse };
          if (perRequest) {
            request.setupRequest = (req) => {
              const next = perRequest();
              // A fresh headers object: autocannon writes Content-Length into it.
              return { ...req, body: next.body, headers: { ...next.headers } };
            };
          } else {
            const shape = perConnection!(connection++);
            request.body = shape.body;
            request.headers = { ...shape.headers };
          }
          client.setRequests([request]);
        },
      },
      (error: unknown, result: autocannon.Result) => {
        running.delete(instance);
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const connectionErrors = result.errors - result.timeouts;
        resolve({
          rps: result.duration > 0 ? result.requests.total / result.duration : 0,
          requests: result.requests.total,
          seconds: result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          errors: result.non2xx + result.errors + graphqlErrors,
          breakdown: { non2xx: result.non2xx, timeouts: result.timeouts, connectionErrors, graphqlErrors },
          sample: sample ?? (result.errors ? `${result.timeouts} timeout(s), ${connectionErrors} connection error(s)` : undefined),
        });
      },
    );
    running.add(instance);
    // Timeouts and connection errors come here, with what happened.
    instance.on('reqError', (error: Error) => {
      sample ??= `request error: ${error.message}`;
    });
  });
}
