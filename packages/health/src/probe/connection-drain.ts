import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/** Node's HTTP/1 server keeps the response in progress on its socket (http-terminator reads it too). */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };
/** A TLS socket keeps the TCP connection it wraps. */
type TlsSocket = Socket & { _parent?: Socket | null };
type ClosingServer = NetServer & { closeIdleConnections?: () => void };

/**
 * Lets a closing server finish in-flight requests and close its other connections promptly.
 *
 * `server.close()` (which both adapters call) closes the connections idle at that moment only:
 * - a keep-alive connection busy with a request stays open after its response, until its idle
 *   timeout (5 s on Express, 72 s on Fastify), and `app.close()` waits for it. So from the drain on,
 *   every HTTP/1 response says `Connection: close`: those of requests still waiting for their
 *   response, and those of requests arriving on open connections meanwhile;
 * - a connection that has sent no request yet is not idle to Node (it counts as a request begun,
 *   so that its headers timeout applies), and `server.close()` stops that timeout: the close waits
 *   for the client to hang up, which kamal-proxy and load balancers never do (Go's transport keeps
 *   a connection it dialed and did not need in its pool). So such connections are closed too: when
 *   the drain begins, and again when the server closes (those opened in between). A TLS connection
 *   whose handshake has not completed has sent no request either.
 *
 * Closing a connection that has sent no request is what closing an idle keep-alive connection is:
 * a request the client sends at that very moment fails with the connection, and HTTP/1.1 clients
 * retry it (RFC 9112, 9.3.1). A connection that has sent a single byte of a request is left alone:
 * its request is answered. HTTP/2 sessions end with the server (GOAWAY); a session's connection has
 * sent its preface, so the rule leaves it alone, and closes only one that has not even done that.
 */
@Injectable()
export class ConnectionDrain implements OnModuleInit {
  /** The connections HTTP is spoken on: TCP ones, or the TLS ones over them. */
  private readonly sockets = new Set<HttpSocket>();
  /** TLS: the TCP connections whose handshake has not completed. */
  private readonly handshakes = new Set<Socket>();
  private server: ClosingServer | undefined;
  private draining = false;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const found: unknown = this.adapterHost.httpAdapter?.getHttpServer();
    // An application context without HTTP, or an adapter on something else than a Node server.
    if (!(found instanceof NetServer)) return;
    const server: ClosingServer = found;
    this.server = server;
    if (found instanceof TlsServer) {
      // A TLS server's 'connection' is the raw TCP socket; the HTTP response lives on the TLS one.
      found.on('connection', this.trackHandshake);
      found.on('secureConnection', this.trackSecure);
    } else {
      found.on('connection', this.track);
    }
    // server.close() closes Node's idle connections through this method: the ones that have sent
    // nothing go with them from the drain on.
    const closeIdleConnections = server.closeIdleConnections;
    if (typeof closeIdleConnections !== 'function') return;
    server.closeIdleConnections = (): void => {
      closeIdleConnections.call(server);
      if (this.draining) this.closeUnused();
    };
  }

  /** From now on, connections end after their current response, and those that sent nothing now. */
  start(): void {
    const server = this.server;
    if (server === undefined || this.draining) return;
    this.draining = true;
    // Ahead of every other listener, so that even a response written before the app sees the
    // request (a probe) carries it.
    server.prependListener('request', closeAfterResponse);
    this.closeUnused();
    for (const socket of this.sockets) {
      const res = socket._httpMessage;
      if (res === undefined || res === null) continue; // idle: server.close() closes it
      if (!res.headersSent) {
        res.setHeader('Connection', 'close');
      } else {
        // Its headers promised keep-alive; once it is done the connection is idle and can go.
        res.once('finish', () => setImmediate(() => server.closeIdleConnections?.()));
      }
    }
  }

  /** Destroys the connections that have not sent a byte of a request, nor begun their TLS handshake. */
  private closeUnused(): void {
    for (const socket of this.handshakes) socket.destroy();
    for (const socket of this.sockets) {
      if (socket.bytesRead === 0 && (socket._httpMessage === undefined || socket._httpMessage === null))
        socket.destroy();
    }
  }

  private readonly track = (socket: HttpSocket): void => {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  };

  private readonly trackHandshake = (socket: Socket): void => {
    this.handshakes.add(socket);
    socket.once('close', () => this.handshakes.delete(socket));
  };

  private readonly trackSecure = (socket: TlsSocket): void => {
    if (socket._parent) this.handshakes.delete(socket._parent);
    this.track(socket);
  };
}

function closeAfterResponse(req: IncomingMessage, res: ServerResponse): void {
  // HTTP/2 has no Connection header (Node throws on it); its sessions end with the server.
  if (req.httpVersionMajor === 1 && !res.headersSent) res.setHeader('Connection', 'close');
}
