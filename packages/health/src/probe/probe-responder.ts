import type { ServerResponse } from 'node:http';
import { Http2ServerResponse } from 'node:http2';
import { Injectable, Logger } from '@nestjs/common';
import { ProbeChecks } from './probe-checks.js';
import type { ProbeReply, ProbeResponse } from './probe-reply.js';
import { writeProbeReply } from './probe-reply.js';
import { ProbeShutdown } from './probe-shutdown.js';

/**
 * Answers a probe request whole: status, headers (`Content-Type`, `Cache-Control: no-store`,
 * `Content-Length`) and body (none for HEAD). It never depends on the request's Host and never
 * throws into its caller: whatever goes wrong becomes a 503.
 */
@Injectable()
export class ProbeResponder {
  private readonly logger = new Logger('HealthProbe');
  /** Probes waiting for a run: answered at once when shutdown begins, not when their run ends. */
  private readonly waiting = new Map<ProbeResponse, boolean>();

  constructor(
    private readonly checks: ProbeChecks,
    private readonly shutdown: ProbeShutdown,
  ) {
    shutdown.whenShuttingDown(() => {
      for (const [res, head] of this.waiting) this.send(res, this.checks.replies.shuttingDown, head);
      this.waiting.clear();
    });
  }

  /**
   * @param path the exact probe path, query already stripped
   * @param method the probe's method; HEAD gets the headers of GET without the body
   * @param res the response to write, HTTP/1 or HTTP/2 compatibility API
   */
  respond(path: string, method: 'GET' | 'HEAD', res: ServerResponse | Http2ServerResponse): void {
    const response = res as ProbeResponse;
    const head = method === 'HEAD';
    try {
      const replies = this.checks.replies;
      if (this.shutdown.isShuttingDown) return writeProbeReply(response, this.shuttingDownReply(response), head);
      const checks = this.checks.get(path);
      // Liveness: a prebuilt response, no check, no promise.
      if (checks === undefined) return writeProbeReply(response, replies.live, head);
      const reply = checks.reply();
      if (reply instanceof Promise) {
        this.waiting.set(response, head);
        reply.then((finished) => {
          this.waiting.delete(response);
          this.send(response, finished, head);
        });
      } else {
        writeProbeReply(response, reply, head);
      }
    } catch (error) {
      this.fail(response, error, head);
    }
  }

  private send(res: ProbeResponse, reply: ProbeReply, head: boolean): void {
    try {
      // The prober may have given up and closed the connection while the checks ran.
      if (res.writableEnded || res.headersSent) return;
      // Shutdown may have begun while the checks ran.
      writeProbeReply(res, this.shutdown.isShuttingDown ? this.shuttingDownReply(res) : reply, head);
    } catch (error) {
      this.fail(res, error, head);
    }
  }

  private shuttingDownReply(res: ProbeResponse): ProbeReply {
    const replies = this.checks.replies;
    return res instanceof Http2ServerResponse ? replies.shuttingDown : replies.shuttingDownClose;
  }

  private fail(res: ProbeResponse, error: unknown, head: boolean): void {
    this.logger.error('answering a probe failed; answering 503', error instanceof Error ? error.stack : String(error));
    try {
      if (!res.headersSent) {
        writeProbeReply(res, this.checks.replies.failed, head);
      } else if (!res.writableEnded) {
        res.destroy();
      }
    } catch {
      // Nothing is left to answer with: the connection is gone.
    }
  }
}
