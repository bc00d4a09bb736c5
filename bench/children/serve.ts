// What the bench's HTTP servers (the baseline, the floor) share: listen on PORT, and stop cleanly
// when the bench says so or is gone.
import type http from 'node:http';
import type pg from 'pg';

export function serveUntilStopped(server: http.Server, pool: pg.Pool): void {
  server.listen(Number(process.env.PORT), '127.0.0.1');
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The benchmark is gone (killed): nobody will stop us.
  process.on('disconnect', stop);
}
