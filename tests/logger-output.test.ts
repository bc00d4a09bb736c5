// The service's own stdout logger writes in batches (src/logger.ts): lines must still come out
// promptly when traffic is light, and none may be lost when the process exits on purpose (main.ts
// logs, then calls process.exit).
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/** Runs `script` (with `createLogger` in scope) in a fresh Node; resolves with stdout and when each line arrived. */
function run(script: string): Promise<{ code: number | null; lines: Array<{ line: string; at: number }> }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', `const { createLogger } = require('./src/logger');\n${script}`], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = Date.now();
  const lines: Array<{ line: string; at: number }> = [];
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) lines.push({ line, at: Date.now() - started });
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, lines }));
  });
}

it('writes a lone line within the flush interval, long before the process ends', async () => {
  const { lines } = await run(`
    const logger = createLogger('info');
    logger.info('alone');
    setTimeout(() => logger.info('last'), 2000);
  `);
  const alone = lines.find((l) => l.line.includes('"msg":"alone"'));
  const last = lines.find((l) => l.line.includes('"msg":"last"'));
  expect(alone).toBeDefined();
  expect(last).toBeDefined();
  // Out a good while before the second line is even written (250 ms flushes, generous margin).
  expect(last!.at - alone!.at).toBeGreaterThan(1000);
}, 20_000);

it('loses nothing when the process exits right after logging', async () => {
  const { code, lines } = await run(`
    const logger = createLogger('info');
    for (let i = 0; i < 100; i++) logger.info({ i }, 'numbered');
    logger.error('could not start');
    process.exit(3);
  `);
  expect(code).toBe(3);
  const parsed = lines.map((l) => JSON.parse(l.line) as { msg: string; i?: number; level: string; time: string });
  expect(parsed.filter((l) => l.msg === 'numbered').map((l) => l.i)).toEqual([...Array(100).keys()]);
  expect(parsed.at(-1)).toMatchObject({ level: 'error', msg: 'could not start' });
  expect(parsed[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
}, 20_000);
