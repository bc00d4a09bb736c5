// Turns per-round measurements into the figures the issue asks for — medians over rounds, ratios
// within this run, targets met or not — and renders them as Markdown (pasteable into the README)
// and JSON (for tools).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One measured run of one target. */
export interface RunStats {
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  errors: number;
  /** CPU time (user + system) the server used per answered request, microseconds; unknown for the bcrypt baseline. */
  cpuPerRequest?: number | undefined;
  /** The first failing answer, when there were errors. */
  sample?: string | undefined;
}

export interface ThroughputResult {
  scenario: 'refresh' | 'action' | 'login' | 'floor';
  /** What the service runs, e.g. `user_refresh`. */
  name: string;
  baselineName: string;
  /** Minimum service ÷ baseline ratio; none for a reference row (not the service). */
  target: number | undefined;
  /** Concurrent connections of this row (the report's own unless said otherwise). */
  connections: number;
  service: RunStats[];
  baseline: RunStats[];
}

export interface EventLoopRound {
  /** Event-loop delay in the service, milliseconds. */
  p50: number;
  p99: number;
  max: number;
  login: RunStats;
  action: RunStats;
}

export interface EventLoopResult {
  loginConnections: number;
  actionConnections: number;
  /** Milliseconds the p99 must stay under. */
  target: number;
  rounds: EventLoopRound[];
}

export interface MemoryResult {
  seconds: number;
  connections: { refresh: number; action: number; login: number };
  /** Bytes, before any load (after start-up and seeding). */
  idleRss: number;
  /** Bytes, read when the load stopped. */
  rss: number;
  maxRss: number;
  /** Bytes the RSS must stay under. */
  target: number;
  loads: { refresh: RunStats; action: RunStats; login: RunStats };
}

export interface Report {
  header: string[];
  connections: number;
  duration: number;
  rounds: number;
  throughput: ThroughputResult[];
  eventLoop: EventLoopResult | undefined;
  memory: MemoryResult | undefined;
}

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Summary {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Microseconds; NaN when not measured. */
  cpu: number;
}

export function summarize(runs: RunStats[]): Summary {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    cpu: median(runs.map((r) => r.cpuPerRequest ?? NaN)),
  };
}

export function ratio(result: ThroughputResult): number {
  return summarize(result.service).rps / summarize(result.baseline).rps;
}

interface Verdict {
  name: string;
  met: boolean;
}

/** Each target measured in this run, met or not. */
export function verdicts(report: Report): Verdict[] {
  const out: Verdict[] = report.throughput.flatMap((t) =>
    t.target === undefined ? [] : [{ name: `${t.name}${atConnections(t, report)}`, met: ratio(t) >= t.target }],
  );
  if (report.eventLoop) out.push({ name: 'event loop', met: eventLoopP99(report.eventLoop) < report.eventLoop.target });
  if (report.memory) out.push({ name: 'memory', met: report.memory.rss < report.memory.target });
  return out;
}

/** Every error of every run, with the first failing answer of each target that had some. */
export function errorSummary(report: Report): { total: number; lines: string[] } {
  const lines: string[] = [];
  let total = 0;
  const add = (label: string, runs: RunStats[]) => {
    const errors = runs.reduce((sum, r) => sum + r.errors, 0);
    total += errors;
    const sample = runs.find((r) => r.sample)?.sample;
    if (errors) lines.push(`${label}: ${errors} error(s)${sample ? `; first: ${sample}` : ''}`);
  };
  for (const [i, t] of report.throughput.entries()) {
    // A row compared with a second baseline reuses the service runs of the row before it.
    const previous = report.throughput[i - 1];
    if (!previous || !t.service.every((run, j) => run === previous.service[j])) add(`${t.name}${atConnections(t, report)} (service)`, t.service);
    add(`${t.name}${atConnections(t, report)} (baseline: ${t.baselineName})`, t.baseline);
  }
  if (report.eventLoop) {
    add('login storm: user_login', report.eventLoop.rounds.map((r) => r.login));
    add('login storm: action_sample', report.eventLoop.rounds.map((r) => r.action));
  }
  if (report.memory) {
    const { loads } = report.memory;
    add('mixed load: user_refresh', [loads.refresh]);
    add('mixed load: action_sample', [loads.action]);
    add('mixed load: user_login', [loads.login]);
  }
  return { total, lines };
}

/** Said of a row measured at other than the report's connections. */
function atConnections(t: ThroughputResult, report: Report): string {
  return t.connections === report.connections ? '' : ` at ${t.connections} connections`;
}

function eventLoopP99(result: EventLoopResult): number {
  return median(result.rounds.map((r) => r.p99));
}

// The figures' formats, shared with the comparison with peers (peers-report.ts).
export const MB = 1024 * 1024;
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const rps = (n: number) => integer.format(n);
export const ms = (n: number) => (n >= 100 ? integer.format(n) : n.toFixed(1).replace(/\.0$/, ''));
export const percent = (n: number) => `${Math.round(n * 100)} %`;
export const micros = (n: number) => (Number.isNaN(n) ? '—' : integer.format(n));
const mark = (met: boolean) => (met ? '✅' : '❌');

export function renderMarkdown(report: Report): string {
  const out: string[] = ['# Benchmark results', '', ...report.header.map((line) => `- ${line}`), ''];

  if (report.throughput.length) {
    out.push(
      `## Throughput against a baseline (median of ${report.rounds} round(s) × ${report.duration} s, ${report.connections} connections)`,
      '',
      '| Scenario | Service req/s | p50 ms | p99 ms | Baseline | Baseline req/s | p50 ms | p99 ms | Errors (svc/base) | Ratio | Target | | CPU µs/req (svc / base) |',
      '|---|--:|--:|--:|---|--:|--:|--:|--:|--:|---|---|--:|',
    );
    for (const t of report.throughput) {
      const s = summarize(t.service);
      const b = summarize(t.baseline);
      const r = ratio(t);
      out.push(
        `| \`${t.name}\`${atConnections(t, report)} | ${rps(s.rps)} | ${ms(s.p50)} | ${ms(s.p99)} | ${t.baselineName} | ${rps(b.rps)} | ${ms(b.p50)} | ${ms(b.p99)} | ` +
          `${s.errors} / ${b.errors} | ${percent(r)} | ${t.target === undefined ? 'reference |' : `≥ ${percent(t.target)} | ${mark(r >= t.target)}`} | ` +
          `${micros(s.cpu)} / ${micros(b.cpu)} |`,
      );
    }
    out.push('', 'Each round (service req/s; baseline req/s; their ratio — back-to-back runs, so the spread shows the noise):', '');
    for (const t of report.throughput) {
      const list = (runs: RunStats[]) => runs.map((r) => rps(r.rps)).join(' / ');
      const ratios = t.service.map((s, i) => percent(s.rps / (t.baseline[i]?.rps ?? NaN))).join(' / ');
      out.push(`- \`${t.name}\`${atConnections(t, report)} against ${t.baselineName}: ${list(t.service)}; ${list(t.baseline)}; ${ratios}`);
    }
    out.push('');
  }

  if (report.eventLoop || report.memory) {
    out.push('## Under load', '', '| Measure | Value | Target | |', '|---|---|---|---|');
    const e = report.eventLoop;
    if (e) {
      const p99 = eventLoopP99(e);
      const login = summarize(e.rounds.map((r) => r.login));
      const action = summarize(e.rounds.map((r) => r.action));
      out.push(
        `| Event-loop delay p99 in the service during a login storm (${e.loginConnections} connections of \`user_login\` + ` +
          `${e.actionConnections} of \`action_sample\`; median of ${e.rounds.length} round(s)) | ${ms(p99)} ms ` +
          `(p50 ${ms(median(e.rounds.map((r) => r.p50)))}, max ${ms(Math.max(...e.rounds.map((r) => r.max)))}) | < ${e.target} ms | ${mark(p99 < e.target)} |`,
        `| \`action_sample\` latency during that storm | p50 ${ms(action.p50)} ms, p99 ${ms(action.p99)} ms ` +
          `(${rps(action.rps)} req/s; \`user_login\` ${rps(login.rps)} req/s, p99 ${ms(login.p99)} ms) | — | |`,
      );
    }
    const m = report.memory;
    if (m) {
      out.push(
        `| Resident memory of the service after ${m.seconds} s of mixed load (${m.connections.refresh} connections of ` +
          `\`user_refresh\`, ${m.connections.action} of \`action_sample\`, ${m.connections.login} of \`user_login\`) | ` +
          `${ms(m.rss / MB)} MB (${ms(m.idleRss / MB)} MB before any load; peak over the process's life ${ms(m.maxRss / MB)} MB) | ` +
          `< ${m.target / MB} MB | ${mark(m.rss < m.target)} |`,
        `| Mixed load served | \`user_refresh\` ${rps(m.loads.refresh.rps)} req/s, \`action_sample\` ${rps(m.loads.action.rps)} req/s, ` +
          `\`user_login\` ${rps(m.loads.login.rps)} req/s | — | |`,
      );
    }
    out.push('');
  }

  const v = verdicts(report);
  const errors = errorSummary(report);
  if (errors.total) out.push('## Errors', '', ...errors.lines.map((line) => `- ${line}`), '');
  out.push(`targets: ${v.filter((x) => x.met).length}/${v.length} met${errors.total ? `; ${errors.total} error(s)` : ', no errors'}`);
  return out.join('\n') + '\n';
}

/** bench/results/latest.md and latest.json. */
export function writeResults(dir: string, report: Report, markdown: string): string[] {
  return writeResultFiles(dir, 'latest', markdown, {
    ...report,
    throughput: report.throughput.map((t) => ({
      ...t,
      serviceMedian: summarize(t.service),
      baselineMedian: summarize(t.baseline),
      ratio: ratio(t),
      met: t.target === undefined ? undefined : ratio(t) >= t.target,
    })),
    verdicts: verdicts(report),
    errors: errorSummary(report).total,
  });
}

/** `<dir>/<name>.md` (the report) and `<dir>/<name>.json` (its figures); returns both paths. */
export function writeResultFiles(dir: string, name: string, markdown: string, summary: unknown): string[] {
  mkdirSync(dir, { recursive: true });
  const md = path.join(dir, `${name}.md`);
  const json = path.join(dir, `${name}.json`);
  writeFileSync(md, markdown);
  writeFileSync(json, JSON.stringify(summary, null, 2) + '\n');
  return [md, json];
}
