// Preloaded (node --import) into the version the rehearsal must never deploy: its readiness probe
// fails the way a real one would, through terminus' own memory indicator, because the heap limit it
// is checked against is one byte (the demo checks 512 MiB). Everything else about the version is
// the real built demo; the demo's code is not changed.
import { MemoryHealthIndicator } from '@nestjs/terminus';

const checkHeap = MemoryHealthIndicator.prototype.checkHeap;
if (typeof checkHeap !== 'function')
  throw new Error('fail-readiness: MemoryHealthIndicator.checkHeap is gone; @nestjs/terminus changed');
MemoryHealthIndicator.prototype.checkHeap = function checkHeapAgainstOneByte(key) {
  return checkHeap.call(this, key, 1);
};
