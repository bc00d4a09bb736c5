'use strict';
// Where a server's allocations come from, per request: a figure that, unlike CPU time, does not
// move when the machine is busy. Preload it (`node --require bench/children/allocation-sampler.cjs
// dist/main.js`), warm the server up, send SIGUSR2, send N requests, send SIGUSR2 again: the
// sampling heap profile of everything allocated in between — collected objects included, which
// V8's default sampling leaves out — is written to $ALLOCATION_PROFILE (default
// ./allocations-<pid>.heapprofile). Open it in Chrome DevTools (Memory → Load); self sizes ÷ N
// are bytes per request. How it was used: bench/README.md.
const inspector = require('node:inspector');
const fs = require('node:fs');

const session = new inspector.Session();
session.connect();
let sampling = false;

process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    session.post('HeapProfiler.enable', () =>
      session.post('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      }),
    );
    return;
  }
  sampling = false;
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) return process.stderr.write(`allocation-sampler: ${error.message}\n`);
    const file = process.env.ALLOCATION_PROFILE || `allocations-${process.pid}.heapprofile`;
    fs.writeFileSync(file, JSON.stringify(result.profile));
    process.stderr.write(`allocation-sampler: written ${file}\n`);
  });
});
