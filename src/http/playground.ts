// The browser IDE at GET /graphql: GraphiQL from npm, served by the service itself so it works with
// no internet (Apollo's landing page loads from a CDN). GraphiQL 3's prebuilt bundle expects React
// 18 as page globals, hence react/react-dom 18 and their UMD builds.
//
// Everything the page loads comes from this service and no script is inline, so its
// Content-Security-Policy allows only 'self' (plus data: fonts and images, which GraphiQL's
// stylesheet embeds). POST /graphql — clients and Hasura — never reaches this code.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import send from '@fastify/send';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { escapeHtml } from '../html';
import type { PageHandler } from './graphql-endpoint';
import { contentSecurityPolicy } from './security';

/** Files from npm packages, by the name the page asks for. */
const PACKAGE_ASSETS: Record<string, { pkg: string; file: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css' },
};

/** Resolved once: a missing package fails start-up, not the first page view. */
function assetPath(pkg: string, file: string): string {
  // The packages' `exports` hide their UMD files from require.resolve; their package.json is visible.
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
}

const STYLE = `html, body { height: 100%; margin: 0; }
#graphiql { height: 100vh; }
`;

const DEFAULT_QUERY = `# GraphQL playground of the auth service.
#
# Run an operation with the ▶ button or Ctrl-Enter. Operations that need an access token
# (user_change_password, action_sample) read it from the Headers tab below, as
#   { "Authorization": "Bearer <access token>" }
# Headers are kept only while this tab is open.

mutation Register {
  user_register(arg: { username: "ann", email: "ann@example.com", password: "a long passphrase" }) {
    id
    username
    tokens { access refresh }
  }
}

query Login {
  user_login(arg: { username: "ann", password: "a long passphrase" }) {
    access
    refresh
  }
}
`;

// Plain ES2017 for the browser; React, ReactDOM and GraphiQL are the bundles' globals.
const SCRIPT = `'use strict';
(function () {
  var root = document.getElementById('graphiql');
  var params = new URLSearchParams(window.location.search);
  // The page is served at the GraphQL endpoint itself, so this works under any path prefix.
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
      query: params.get('query') || undefined,
      variables: params.get('variables') || undefined,
      // Access tokens typed into the Headers tab never reach localStorage.
      shouldPersistHeaders: false,
    })
  );
})();
`;

function page(title: string): string {
  // Relative URLs: the page is at …/graphql, its assets at …/playground/, behind any path prefix.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)} · GraphQL playground</title>
<link rel="stylesheet" href="playground/graphiql.css">
<link rel="stylesheet" href="playground/playground.css">
</head>
<body>
<div id="graphiql">Loading the playground…</div>
<script src="playground/react.js"></script>
<script src="playground/react-dom.js"></script>
<script src="playground/graphiql.js"></script>
<script src="playground/playground.js"></script>
</body>
</html>
`;
}

/**
 * Exactly what the page needs, all from this origin. Styles too are 'self' only: GraphiQL's
 * menus and dialogs (Radix UI) also inject a small <style> that locks page scrolling while they
 * are open; the browser refuses it (a console message) and everything still works. Its content
 * varies with the scrollbar width, so no hash could allow it, and 'unsafe-inline' is not worth it.
 */
export const PLAYGROUND_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  // GraphiQL's stylesheet embeds its fonts and a few icons as data: URLs.
  fontSrc: ["'self'", 'data:'],
  imgSrc: ["'self'", 'data:'],
  // Introspection and operations: POST to the endpoint the page came from.
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/** Helmet's rendering of PLAYGROUND_CSP: the header that replaces the default policy on the page. */
function playgroundPolicy(): string {
  return contentSecurityPolicy(PLAYGROUND_CSP);
}

/**
 * The assets under /playground/, registered with the routes; returns the handler of the page
 * itself, which the GraphQL endpoint calls for a browser's GET /graphql.
 */
export function playground(app: FastifyInstance, appName: string): PageHandler {
  const html = page(appName);
  const policy = playgroundPolicy();
  const files = Object.fromEntries(Object.entries(PACKAGE_ASSETS).map(([name, { pkg, file }]) => [name, assetPath(pkg, file)]));
  // Fail at start-up when an asset is missing from node_modules.
  for (const file of Object.values(files)) accessSync(file, constants.R_OK);

  const text = (type: string, body: string) => (request: FastifyRequest, reply: FastifyReply) => {
    request.notes.operation = 'playground';
    return reply.header('cache-control', 'no-cache').type(type).send(body);
  };
  app.get('/playground/playground.js', text('text/javascript; charset=utf-8', SCRIPT));
  app.get('/playground/playground.css', text('text/css; charset=utf-8', STYLE));
  app.get<{ Params: { name: string } }>('/playground/:name', async (request, reply) => {
    // Only the files named above: nothing else on disk is reachable.
    const file = files[request.params.name];
    if (!file) return reply.callNotFound();
    request.notes.operation = 'playground';
    // Revalidated each time (ETag → 304): a new GraphiQL version shows up without stale caches.
    const { statusCode, headers, stream } = await send(request.raw, file, { cacheControl: false });
    return reply.code(statusCode).headers(headers).header('cache-control', 'no-cache').send(stream);
  });

  return (request, reply) => {
    request.notes.operation = 'playground';
    void reply.header('content-security-policy', policy).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
  };
}
