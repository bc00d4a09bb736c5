// Where the service's CPU time goes: the functions with the most self time in a V8 .cpuprofile
// (what `node --cpu-prof` writes). `npm run bench` with BENCH_PROFILE=<scenario> calls this after a
// profiled run; it also works alone on any profile:
//
//   node -r @swc-node/register bench/profile-top.ts <file.cpuprofile> [count]
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  /** Zero-based. */
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds between consecutive samples; the first is from startTime. */
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  name: string;
  location: string;
  /** Milliseconds. */
  self: number;
}

export interface ProfileSummary {
  /** Milliseconds covered by the profile (or the window), idle included. */
  total: number;
  idle: number;
  functions: FunctionTime[];
  /** Whether only the asked-for window was counted. */
  windowed: boolean;
}

/** Microseconds on the monotonic clock (process.hrtime), which V8 stamps profiles with. */
export interface TimeWindow {
  start: number;
  end: number;
}

/** V8's pseudo-functions for time not spent in JavaScript. */
const IDLE = '(idle)';

/**
 * Self time per function. With a window that overlaps the profile, only samples inside it count
 * (the measured run, without start-up and warm-up); otherwise the whole profile.
 */
export function summarizeProfile(profile: CpuProfile, root: string, window?: TimeWindow): ProfileSummary {
  const frames = new Map<number, CallFrame>(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byFunction = new Map<string, FunctionTime>();
  const windowed = window !== undefined && window.start < profile.endTime && window.end > profile.startTime;
  let total = 0;
  let idle = 0;
  let at = profile.startTime;
  profile.samples.forEach((nodeId, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (windowed && (at < window.start || at > window.end)) return;
    // A sample lasts until the next one; the last one has no known length.
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const ms = micros / 1000;
    total += ms;
    const frame = frames.get(nodeId);
    if (!frame) return;
    const name = frame.functionName || '(anonymous)';
    if (name === IDLE) {
      idle += ms;
      return;
    }
    const location = frame.url ? `${shortenUrl(frame.url, root)}:${frame.lineNumber + 1}` : '';
    const key = `${name}\u0000${location}`;
    const entry = byFunction.get(key) ?? { name, location, self: 0 };
    entry.self += ms;
    byFunction.set(key, entry);
  });
  return { total, idle, functions: [...byFunction.values()].sort((a, b) => b.self - a.self), windowed };
}

/** `file:///…/node_modules/pg/lib/client.js` → `pg/lib/client.js`; the project's own files relative to it. */
export function shortenUrl(url: string, root: string): string {
  let file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) return file.slice(modules + '/node_modules/'.length);
  if (path.isAbsolute(file)) {
    const relative = path.relative(root, file);
    if (!relative.startsWith('..')) file = relative;
  }
  return file;
}

export function renderTop(summary: ProfileSummary, count = 25): string {
  const busy = summary.total - summary.idle;
  const lines = [
    `CPU profile${summary.windowed ? ' of the measured run' : ' of the whole process life'}: ` +
      `${(summary.total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy ` +
      `(${Math.round((busy / summary.total) * 100)} %); top ${count} functions by self time, % of busy time:`,
    '',
    '    %   self ms  function  (location)',
  ];
  for (const f of summary.functions.slice(0, count)) {
    const share = ((f.self / busy) * 100).toFixed(1).padStart(5);
    const self = f.self.toFixed(0).padStart(8);
    lines.push(`${share} ${self}  ${f.name}${f.location ? `  (${f.location})` : ''}`);
  }
  return lines.join('\n');
}

export function topOfProfileFile(file: string, root: string, count = 25, window?: TimeWindow): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  return renderTop(summarizeProfile(profile, root, window), count);
}

if (require.main === module) {
  const [file, count] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node -r @swc-node/register bench/profile-top.ts <file.cpuprofile> [count]');
    process.exit(2);
  }
  console.log(topOfProfileFile(file, path.resolve(__dirname, '..'), count ? Number(count) : 25));
}
