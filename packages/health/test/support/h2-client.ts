import { connect, constants, type OutgoingHttpHeaders } from 'node:http2';

/** One HTTP/2 response. */
export interface H2Response {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/**
 * Sends one cleartext HTTP/2 (h2c, prior knowledge) request with exactly the given pseudo-headers
 * and headers: `:authority` and `host` both when a test wants them to disagree.
 */
export function h2Request(port: number, headers: OutgoingHttpHeaders, timeoutMs = 5000): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no HTTP/2 response within ${timeoutMs} ms`));
    }, timeoutMs);
    session.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    const stream = session.request({ [constants.HTTP2_HEADER_SCHEME]: 'http', ...headers }, { endStream: true });
    let status = 0;
    let responseHeaders: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[constants.HTTP2_HEADER_STATUS]);
      responseHeaders = h;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', (error) => {
      clearTimeout(timer);
      session.destroy();
      reject(error);
    });
    stream.on('close', () => {
      clearTimeout(timer);
      session.close();
      resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks).toString('latin1') });
    });
  });
}
