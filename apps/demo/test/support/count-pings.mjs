// Preloaded (node --import) into the built demo by database.spec.ts: counts the readiness pings
// (`SELECT 1` through the pg pool, what PostgresHealthIndicator sends) in flight, at most and in
// all, and reports them over IPC. The demo's own code is not changed.
import pg from 'pg';

const query = pg.Pool.prototype.query;
if (typeof query !== 'function') throw new Error('count-pings: pg.Pool.prototype.query is gone; pg changed');
const counts = { pings: 0, inFlight: 0, maxInFlight: 0 };

pg.Pool.prototype.query = function countedQuery(text, ...rest) {
  if (text !== 'SELECT 1') return query.call(this, text, ...rest);
  counts.pings += 1;
  counts.inFlight += 1;
  counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
  const result = query.call(this, text, ...rest);
  const done = () => {
    counts.inFlight -= 1;
  };
  result.then(done, done);
  return result;
};

process.on('message', (message) => {
  if (message?.type === 'pings') process.send?.({ type: 'pings', ...counts });
});
