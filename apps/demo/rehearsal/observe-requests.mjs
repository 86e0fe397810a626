// Preloaded (node --import) into every version the rehearsal runs. It only listens: Node's
// diagnostics channel reports every request an HTTP server parses, before any listener of the app
// (or upgate) sees it, and the app's code is not changed. It prints
// - each health check kamal-proxy sends (User-Agent kamal-proxy), with its Host and the answer, so
//   that the rehearsal can show what the app received;
// - the start of each request marked `X-Rehearsal: <tag>`, so that the rehearsal can wait for a
//   request to be in the app rather than sleep.
import { subscribe } from 'node:diagnostics_channel';

subscribe('http.server.request.start', ({ request, response }) => {
  const tag = request.headers['x-rehearsal'];
  if (typeof tag === 'string') process.stderr.write(`[rehearsal request] ${tag} ${request.method} ${request.url}\n`);
  if (request.headers['user-agent'] !== 'kamal-proxy') return;
  response.once('finish', () => {
    process.stderr.write(
      `[health check] ${request.method} ${request.url} Host: ${request.headers.host} ` +
        `User-Agent: ${request.headers['user-agent']} -> ${response.statusCode}\n`,
    );
  });
});
