import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/** Node's HTTP/1 server keeps the response in progress on its socket (http-terminator reads it too). */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * Lets a closing server finish in-flight requests and close its keep-alive connections promptly.
 * `server.close()` (which both adapters call) closes the connections idle at that moment only: a
 * keep-alive connection busy with a request then stays open after its response, until its idle
 * timeout (5 s on Express, 72 s on Fastify), and `app.close()` waits for it. So from the drain on,
 * every HTTP/1 response says `Connection: close`: those of requests still waiting for their
 * response, and those of requests arriving on open connections meanwhile.
 */
@Injectable()
export class ConnectionDrain implements OnModuleInit {
  private readonly sockets = new Set<HttpSocket>();
  private server: NetServer | undefined;
  private draining = false;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const server: unknown = this.adapterHost.httpAdapter?.getHttpServer();
    // An application context without HTTP, or an adapter on something else than a Node server.
    if (!(server instanceof NetServer)) return;
    this.server = server;
    // A TLS server's 'connection' is the raw TCP socket; the HTTP response lives on the TLS one.
    server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', this.track);
  }

  /** From now on, connections end after their current response. */
  start(): void {
    const server = this.server;
    if (server === undefined || this.draining) return;
    this.draining = true;
    // Ahead of every other listener, so that even a response written before the app sees the
    // request (a probe) carries it.
    server.prependListener('request', closeAfterResponse);
    for (const socket of this.sockets) {
      const res = socket._httpMessage;
      if (res === undefined || res === null) continue; // idle: server.close() closes it
      if (!res.headersSent) {
        res.setHeader('Connection', 'close');
      } else {
        // Its headers promised keep-alive; once it is done the connection is idle and can go.
        res.once('finish', () => setImmediate(() => closeIdle(server)));
      }
    }
  }

  private readonly track = (socket: HttpSocket): void => {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  };
}

function closeAfterResponse(req: IncomingMessage, res: ServerResponse): void {
  // HTTP/2 has no Connection header (Node throws on it); its sessions end with the server.
  if (req.httpVersionMajor === 1 && !res.headersSent) res.setHeader('Connection', 'close');
}

function closeIdle(server: NetServer): void {
  (server as NetServer & { closeIdleConnections?: () => void }).closeIdleConnections?.();
}
