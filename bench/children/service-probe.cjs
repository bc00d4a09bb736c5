'use strict';
// Preloaded into the service (`node --require bench/children/service-probe.cjs dist/main.js`) to
// measure it from the inside without changing it: event-loop delay (how long a ready callback
// waits — what every other request feels while the process is busy) and resident memory.
// Plain CommonJS, so the service runs as in production, with no TypeScript loader.
//
// The benchmark talks to it over the IPC channel it spawns the service with:
//   {type: 'reset', id} → {id}                          start a fresh measurement window
//   {type: 'report', id} → {id, p50, p99, max, mean, rss, maxRss, cpu}   milliseconds, bytes, and
//                          the CPU time (user + system) the process has used, microseconds
// It is preloaded into the baseline servers too (BENCH_PROCESS_TITLE names them), for their CPU time.
const { monitorEventLoopDelay } = require('node:perf_hooks');

if (typeof process.send === 'function') {
  // On a shared machine someone may stop *their* service by name (`pkill -f dist/main.js`), which
  // would silently end ours mid-run: a title of its own takes the bench's service out of such
  // matches (on Linux it replaces /proc/<pid>/cmdline) and tells it apart in `ps`.
  process.title = `${process.env.BENCH_PROCESS_TITLE || 'hasura-auth bench service'} (pid ${process.pid})`;

  // 10 ms sampling: fine enough to see a 50 ms stall, coarse enough to cost nothing.
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const ms = (ns) => ns / 1e6;
  const cpuMicros = () => {
    const { user, system } = process.cpuUsage();
    return user + system;
  };

  process.on('message', (message) => {
    if (!message || typeof message !== 'object' || typeof message.id !== 'string') return;
    if (message.type === 'reset') {
      histogram.reset();
      process.send({ id: message.id });
    } else if (message.type === 'report') {
      process.send({
        id: message.id,
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
        mean: ms(histogram.mean),
        rss: process.memoryUsage.rss(),
        // resourceUsage reports kilobytes.
        maxRss: process.resourceUsage().maxRSS * 1024,
        cpu: cpuMicros(),
      });
    }
  });
  // The channel must not keep the service alive on its own: main.ts decides when it exits.
  if (process.channel) process.channel.unref();
  // The benchmark died without stopping us (SIGKILL, crash): stop as on SIGTERM, gracefully.
  process.on('disconnect', () => {
    process.stderr.write('service-probe: the benchmark is gone (IPC closed): stopping the service\n');
    process.kill(process.pid, 'SIGTERM');
  });
}
