// The app a provider sign-in returns to: a loopback page that records every URL it was sent to.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestAppServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Every URL the app was sent to, in order. */
  visits: URL[];
  stop(): Promise<void>;
}

export async function startAppServer(): Promise<TestAppServer> {
  const visits: URL[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    visits.push(url);
    const outcome = url.searchParams.has('code') ? 'Signed in: the app now redeems its one-time code.' : `Sign-in failed: ${url.searchParams.get('error') ?? '?'}`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><title>The app</title><body style="font-family:sans-serif"><h1>The app</h1><p>${outcome}</p></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    visits,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
