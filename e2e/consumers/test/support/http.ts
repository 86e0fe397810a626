import { request } from 'node:http';

export interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface HttpProbe {
  readonly path: string;
  /** Sent as the Host header, whatever the address connected to. */
  readonly host: string;
  readonly userAgent?: string;
  readonly method?: 'GET' | 'HEAD';
}

/** One request on a fresh connection to 127.0.0.1:`port`, as a prober sends it; bounded to 10 s. */
export function httpGet(port: number, probe: HttpProbe): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: probe.host };
    if (probe.userAgent !== undefined) headers['user-agent'] = probe.userAgent;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: probe.path,
        method: probe.method ?? 'GET',
        headers,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`GET ${probe.path} (Host: ${probe.host}) got no answer within 10 s`)),
    );
    req.on('error', reject);
    req.end();
  });
}
