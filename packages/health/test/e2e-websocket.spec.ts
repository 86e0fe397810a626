import type { IncomingMessage } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { type OnGatewayConnection, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import WebSocket from 'ws';
import { getCheckedHost } from '../src/index.js';
import { rawRequest, websocketUpgrade } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, answerFromApp, type AppCode, startApp, type TestApp } from './support/test-app.js';

/**
 * WebSocket upgrades go through the same host check: an allowed host upgrades and the gateway sees
 * its checked host; a rejected one gets a raw 400 on the socket and the gateway never hears of it.
 */

const connections: (string | undefined)[] = [];

@WebSocketGateway({ path: '/ws' })
class EchoGateway implements OnGatewayConnection {
  handleConnection(_client: WebSocket, request: IncomingMessage): void {
    connections.push(getCheckedHost(request));
  }

  @SubscribeMessage('ping')
  ping(): { event: string; data: string } {
    return { event: 'pong', data: 'ok' };
  }
}

describe.each(ADAPTERS)('WebSocket upgrades over %s', (adapter: AdapterName) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, {
      health: { allowedHosts: ['app.example.com'], environment: 'production' },
      providers: [EchoGateway],
      configure: (app: INestApplication, appCode: AppCode) => {
        app.useWebSocketAdapter(new WsAdapter(app));
        answerFromApp(app, appCode);
      },
    });
  });
  afterAll(() => t.close());
  beforeEach(() => {
    connections.length = 0;
  });

  test('an allowed host upgrades, talks to the gateway, and the gateway sees the checked host', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${t.port}/ws`, { headers: { Host: 'APP.example.com' } });
    const reply = await new Promise<string>((resolve, reject) => {
      socket.on('open', () => socket.send(JSON.stringify({ event: 'ping', data: null })));
      socket.on('message', (data) => resolve(String(data)));
      socket.on('error', reject);
    });
    socket.close();
    expect(JSON.parse(reply)).toEqual({ event: 'pong', data: 'ok' });
    expect(connections).toEqual(['app.example.com']);
  });

  test('an upgrade is never a probe: on a probe path it is decided by its host alone', async () => {
    // An allowed one goes on to the app's upgrade listener: the ws adapter, which closes an upgrade
    // on a path it does not serve without a word. A disallowed one gets the layer's 400.
    const allowed = await rawRequest(t.port, websocketUpgrade('app.example.com', '/up'));
    expect(allowed.raw).toBe('');
    const rejected = await rawRequest(t.port, websocketUpgrade('evil.com', '/up'));
    expect(rejected.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(connections).toEqual([]);
  });

  test('a disallowed host gets a raw 400 and the connection handler never runs', async () => {
    const res = await rawRequest(t.port, websocketUpgrade('evil.com', '/ws'));
    const body = "Bad Request: host not allowed (not in this server's allowed hosts).\n";
    expect(res.raw).toBe(
      'HTTP/1.1 400 Bad Request\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        `Content-Length: ${body.length}\r\n` +
        'Cache-Control: no-store\r\n' +
        'Connection: close\r\n' +
        '\r\n' +
        body,
    );
    expect(connections).toEqual([]);
    expect(t.appCode.requests).toBe(0);
  });

  test('a malformed host gets the malformed 400; a ws client sees the handshake refused', async () => {
    const res = await rawRequest(t.port, websocketUpgrade('app.example.com:99999', '/ws'));
    expect(res.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(res.body).toMatch(/^Bad Request: missing, repeated or malformed host/);

    const client = new WebSocket(`ws://127.0.0.1:${t.port}/ws`, { headers: { Host: 'evil.com' } });
    const error = await new Promise<Error>((resolve) => client.on('error', resolve));
    expect(error.message).toBe('Unexpected server response: 400');
    expect(connections).toEqual([]);
    expect(t.appCode.requests).toBe(0);
  });
});
