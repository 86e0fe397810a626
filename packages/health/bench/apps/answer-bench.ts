// Imported by the benchmark's servers: asked over the IPC channel, a server reports its CPU time
// ('cpu') or the size of its young generation ('young-generation'), off the request path.
import { getHeapSpaceStatistics } from 'node:v8';

process.on('message', (question) => {
  if (question === 'cpu') process.send?.(process.cpuUsage());
  else if (question === 'young-generation') {
    process.send?.(getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0);
  }
});
