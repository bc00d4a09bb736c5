// The request series are tallied in plain numbers and handed to prom-client at scrape time
// (src/metrics.ts): what a scrape shows must be exactly what prom-client's own counter and
// histogram show for the same requests.
import type pg from 'pg';
import { Counter, Histogram, Registry } from 'prom-client';
import { Metrics } from '../../src/metrics';

const pool = { idleCount: 0, totalCount: 0, waitingCount: 0, options: { max: 1 } } as unknown as pg.Pool;

/** The lines of one metric family, as its exposition writes them. */
function family(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(name) || line.startsWith(`# HELP ${name} `) || line.startsWith(`# TYPE ${name} `));
}

it('shows the same requests and durations as prom-client counting each request itself', async () => {
  const metrics = new Metrics(pool);
  const reference = new Registry();
  const counter = new Counter({
    name: 'auth_http_requests_total',
    help: 'HTTP requests answered, by GraphQL operation (root field) and HTTP status.',
    labelNames: ['operation', 'status'],
    registers: [reference],
  });
  const histogram = new Histogram({
    name: 'auth_http_request_duration_seconds',
    help: 'Time from receiving a request to the end of its answer, by GraphQL operation (root field).',
    labelNames: ['operation'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [reference],
  });
  // On a bound (which counts in that bucket), between bounds, above the last, zero; two operations, three statuses.
  const requests: [string, number, number][] = [
    ['user_login', 200, 0.005],
    ['user_login', 200, 0.0051],
    ['user_login', 429, 0.25],
    ['user_login', 200, 12],
    ['action_sample', 200, 0],
    ['action_sample', 400, 0.0012],
    ['action_sample', 200, 10],
    ['user_login', 200, 0.1 + 0.2],
  ];
  for (const [operation, status, seconds] of requests) {
    metrics.requestStarted();
    metrics.requestFinished(operation, status, seconds);
    counter.inc({ operation, status });
    histogram.observe({ operation }, seconds);
  }
  const ours = await metrics.registry.metrics();
  const theirs = await reference.metrics();
  for (const name of ['auth_http_requests_total', 'auth_http_request_duration_seconds']) {
    expect(family(ours, name).length).toBeGreaterThan(2);
    expect(family(ours, name)).toEqual(family(theirs, name));
  }
  // A second scrape, after more requests, counts them too (not once per scrape, not only the first).
  metrics.requestStarted();
  metrics.requestFinished('user_login', 200, 0.02);
  counter.inc({ operation: 'user_login', status: 200 });
  histogram.observe({ operation: 'user_login' }, 0.02);
  const again = await metrics.registry.metrics();
  expect(family(again, 'auth_http_requests_total')).toEqual(family(await reference.metrics(), 'auth_http_requests_total'));
  expect(family(again, 'auth_http_request_duration_seconds')).toEqual(family(await reference.metrics(), 'auth_http_request_duration_seconds'));
  // And the JSON form prom-client offers agrees too.
  const json = async (registry: Registry) => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'auth_http_request_duration_seconds');
    // The histogram's samples name their series (_bucket, _sum, _count); the typings leave that out.
    return metric?.values.map((sample) => ({ labels: sample.labels, value: sample.value, metricName: (sample as { metricName?: string }).metricName }));
  };
  expect(await json(metrics.registry)).toEqual(await json(reference));
});

it('counts a request in flight until it finishes', async () => {
  const metrics = new Metrics(pool);
  metrics.requestStarted();
  metrics.requestStarted();
  metrics.requestFinished('user_refresh', 200, 0.001);
  expect(await metrics.registry.metrics()).toMatch(/^auth_http_requests_in_flight 1$/m);
});
