// The login baseline: how many password compares per second this machine does with a system's
// own hasher, with `concurrency` compares always in flight, on a thread pool of the server's size
// (the benchmark passes the same UV_THREADPOOL_SIZE). A login can never be faster than its hash;
// the ratio says how much of the rest the server adds on top.
//   bcrypt       the service's: `bcrypt.compare` at the bench cost;
//   better-auth  Better Auth's: `verifyPassword` from `better-auth/crypto` (scrypt in libuv's pool).
//
// Options come in HASH_RATE_OPTIONS (JSON: hasher, hash, password, concurrency, seconds, warmup);
// the result goes back over IPC as one message: {rate, completed, seconds, p50, p99, errors}.
import bcrypt from 'bcrypt';
import { verifyPassword } from 'better-auth/crypto';

const HASHERS = {
  bcrypt: (password: string, hash: string) => bcrypt.compare(password, hash),
  'better-auth': (password: string, hash: string) => verifyPassword({ hash, password }),
};

export type Hasher = keyof typeof HASHERS;

export interface HashRateOptions {
  hasher: Hasher;
  hash: string;
  password: string;
  concurrency: number;
  seconds: number;
  warmup: number;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.HASH_RATE_OPTIONS ?? '') as HashRateOptions;
  const compare = HASHERS[options.hasher];
  const start = performance.now();
  const windowStart = start + options.warmup * 1000;
  const windowEnd = windowStart + options.seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;

  // Each worker keeps one compare in flight until the window closes; only compares that finish
  // inside the window count, as the load generator counts responses.
  const worker = async () => {
    while (performance.now() < windowEnd) {
      const begun = performance.now();
      const matches = await compare(options.password, options.hash);
      const ended = performance.now();
      if (ended < windowStart || ended > windowEnd) continue;
      latencies.push(ended - begun);
      if (!matches) errors++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));

  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  process.send?.({
    rate: latencies.length / options.seconds,
    completed: latencies.length,
    seconds: options.seconds,
    p50: at(50),
    p99: at(99),
    errors,
  });
  // Then wait, alive, for the benchmark's SIGTERM: exiting now could race the message.
}

// The benchmark is gone: stop burning CPU.
process.on('disconnect', () => process.exit(0));

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
