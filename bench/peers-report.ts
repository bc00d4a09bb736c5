// The comparison with peers as figures: medians over the rounds, ratios service ÷ peer within this
// run, each login rate against its own system's hash rate, memory after the run; rendered as
// Markdown (bench/results/peers.md, pasteable into the README) and JSON (peers.json).
import { MB, micros, ms, percent, rps, summarize, writeResultFiles, type RunStats } from './report';

/** One kind of request, asked of the service and of the peer, alternating, each round. */
export interface PeerComparison {
  /** What is compared, e.g. "session → JWT". */
  label: string;
  service: { name: string; runs: RunStats[] };
  peer: { name: string; runs: RunStats[] };
}

/** A system's password compares per second by its own hasher, at the login rows' concurrency. */
export interface HashRate {
  hasher: string;
  runs: RunStats[];
}

export interface PeerMemory {
  /** Bytes, after start-up and seeding, before any load. */
  idleRss: number;
  /** Bytes, when the last run ended. */
  rss: number;
  maxRss: number;
}

export interface PeerReport {
  header: string[];
  peerName: string;
  connections: number;
  duration: number;
  rounds: number;
  comparisons: PeerComparison[];
  /** The login comparison's label, whose rates are set against the hash rates. */
  login: string | undefined;
  hashRates: { service: HashRate; peer: HashRate } | undefined;
  memory: { service: PeerMemory; peer: PeerMemory };
}

/** Every error of every run, with the first failing answer of each side that had some. */
export function peerErrors(report: PeerReport): { total: number; lines: string[] } {
  const lines: string[] = [];
  let total = 0;
  const add = (label: string, runs: RunStats[]) => {
    const errors = runs.reduce((sum, r) => sum + r.errors, 0);
    total += errors;
    const sample = runs.find((r) => r.sample)?.sample;
    if (errors) lines.push(`${label}: ${errors} error(s)${sample ? `; first: ${sample}` : ''}`);
  };
  for (const c of report.comparisons) {
    add(`${c.label}, this service (${c.service.name})`, c.service.runs);
    add(`${c.label}, ${report.peerName} (${c.peer.name})`, c.peer.runs);
  }
  if (report.hashRates) {
    add(`this service's hash rate (${report.hashRates.service.hasher})`, report.hashRates.service.runs);
    add(`${report.peerName}'s hash rate (${report.hashRates.peer.hasher})`, report.hashRates.peer.runs);
  }
  return { total, lines };
}

function ratioOf(service: number, peer: number): string {
  return Number.isFinite(service / peer) ? `${(service / peer).toFixed(2)} ×` : '—';
}

export function renderPeersMarkdown(report: PeerReport): string {
  const peer = report.peerName;
  const out: string[] = [`# This service and ${peer}`, '', ...report.header.map((line) => `- ${line}`), ''];

  out.push(
    `## Median of ${report.rounds} round(s) × ${report.duration} s, ${report.connections} connections`,
    '',
    `| Comparison | This service | req/s | p50 ms | p99 ms | CPU µs/req | ${peer} | req/s | p50 ms | p99 ms | CPU µs/req | Errors (svc/peer) | req/s svc ÷ peer | CPU/req svc ÷ peer |`,
    '|---|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const c of report.comparisons) {
    const s = summarize(c.service.runs);
    const p = summarize(c.peer.runs);
    out.push(
      `| ${c.label} | ${c.service.name} | ${rps(s.rps)} | ${ms(s.p50)} | ${ms(s.p99)} | ${micros(s.cpu)} | ` +
        `${c.peer.name} | ${rps(p.rps)} | ${ms(p.p50)} | ${ms(p.p99)} | ${micros(p.cpu)} | ${s.errors} / ${p.errors} | ` +
        `${ratioOf(s.rps, p.rps)} | ${ratioOf(s.cpu, p.cpu)} |`,
    );
  }
  out.push('', 'req/s above 1 × and CPU/req below 1 × favour this service.', '');

  const login = report.comparisons.find((c) => c.label === report.login);
  if (login && report.hashRates) {
    const { service, peer: peerHash } = report.hashRates;
    const row = (system: string, logins: RunStats[], hash: HashRate) => {
      const l = summarize(logins).rps;
      const h = summarize(hash.runs).rps;
      return `| ${system} | ${rps(l)} | ${hash.hasher} | ${rps(h)} | ${percent(l / h)} |`;
    };
    out.push(
      `## Logins against each system's own hash rate (${report.connections} in flight)`,
      '',
      '| System | Logins/s | Its password hash, verified alone in a fresh process | Compares/s | Logins ÷ compares |',
      '|---|--:|---|--:|--:|',
      row('This service', login.service.runs, service),
      row(peer, login.peer.runs, peerHash),
      '',
      'The hashes differ in cost by design, so logins/s alone compare the hashes; the last column is what each system adds around its own.',
      '',
    );
  }

  const { memory } = report;
  const mem = (m: PeerMemory) => `${ms(m.idleRss / MB)} MB | ${ms(m.rss / MB)} MB | ${ms(m.maxRss / MB)} MB`;
  out.push(
    '## Resident memory',
    '',
    '| Server | RSS before any load | RSS after the run | Peak over its life |',
    '|---|--:|--:|--:|',
    `| This service | ${mem(memory.service)} |`,
    `| ${peer} | ${mem(memory.peer)} |`,
    '',
  );

  out.push('Each round (service req/s; peer req/s; their ratio — back-to-back runs, so the spread shows the noise):', '');
  for (const c of report.comparisons) {
    const list = (runs: RunStats[]) => runs.map((r) => rps(r.rps)).join(' / ');
    const ratios = c.service.runs.map((s, i) => ratioOf(s.rps, c.peer.runs[i]?.rps ?? NaN)).join(' / ');
    out.push(`- ${c.label}: ${list(c.service.runs)}; ${list(c.peer.runs)}; ${ratios}`);
  }
  if (report.hashRates) {
    const { service, peer: peerHash } = report.hashRates;
    out.push(`- hash rates, compares/s: ${service.runs.map((r) => rps(r.rps)).join(' / ')}; ${peerHash.runs.map((r) => rps(r.rps)).join(' / ')}`);
  }
  out.push('');

  const errors = peerErrors(report);
  if (errors.total) out.push('## Errors', '', ...errors.lines.map((line) => `- ${line}`), '');
  out.push(errors.total ? `${errors.total} error(s): the figures above are not trustworthy` : 'no errors');
  return out.join('\n') + '\n';
}

/** bench/results/peers.md and peers.json. */
export function writePeerResults(dir: string, report: PeerReport, markdown: string): string[] {
  return writeResultFiles(dir, 'peers', markdown, {
    ...report,
    comparisons: report.comparisons.map((c) => ({
      ...c,
      serviceMedian: summarize(c.service.runs),
      peerMedian: summarize(c.peer.runs),
    })),
    errors: peerErrors(report).total,
  });
}
