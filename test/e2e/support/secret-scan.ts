/**
 * Pieces of the secret scan: an OTLP receiver that keeps the raw export bodies (protobuf strings are
 * plain UTF-8 in the bytes, so a secret in any span field, event or status shows up in them), a
 * hostile OpenAI-compatible upstream that answers 401 with the caller's key echoed in its error
 * text, a log stream that keeps every line, and the scan itself.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { decodeOtlpTraces, type ExportedSpan } from '@aihub/core/testing';

export interface RawOtlpReceiver {
  url: string;
  /** Every export body as received (protobuf or JSON), decoded as latin1 so any byte sequence survives. */
  bodies: string[];
  spans: ExportedSpan[];
  close(): Promise<void>;
}

export async function startRawOtlpReceiver(): Promise<RawOtlpReceiver> {
  const bodies: string[] = [];
  const spans: ExportedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push(body.toString('latin1'));
      const type = String(req.headers['content-type'] ?? '');
      try {
        spans.push(...decodeOtlpTraces(body, type));
      } catch {
        // Kept raw all the same: the scan reads the bytes.
      }
      if (type.startsWith('application/x-protobuf'))
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    spans,
    close: () => closeServer(server),
  };
}

export interface LeakyUpstream {
  url: string;
  /** Authorization headers the upstream received (to check the gateway did send the key). */
  seen: string[];
  close(): Promise<void>;
}

/**
 * An OpenAI-compatible upstream that refuses every call with 401 and echoes the key it got in its
 * error message (as OpenAI's "Incorrect API key provided: sk-…" does), plus a header and a
 * Location-like field, so a gateway that relays or logs provider error texts leaks it.
 */
export async function startLeakyUpstream(): Promise<LeakyUpstream> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const auth = String(req.headers.authorization ?? req.headers['api-key'] ?? '');
      seen.push(auth);
      const key = auth.replace(/^Bearer\s+/i, '');
      res.writeHead(401, {
        'content-type': 'application/json',
        'x-echo-key': key,
        'www-authenticate': `Bearer realm="upstream", error="invalid_token", key="${key}"`,
      });
      // OpenAI's wording for its own keys; a bare echo for the others (no marker a pattern could use).
      const message = key.startsWith('sk-')
        ? `Incorrect API key provided: ${key}. You can find your API key at https://platform.example/account/api-keys.`
        : `The key ${key} was refused for this resource.`;
      res.end(
        JSON.stringify({
          error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key', key },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => closeServer(server) };
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** A writable that keeps every log line the gateway writes. */
export function logCapture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { stream, lines };
}

/** A named secret and the fragments of it that must not appear either. */
export interface Secret {
  name: string;
  value: string;
}

/**
 * The value and its distinctive parts: for `ahk_<id>_<secret>` and `ahcs_<secret>` the secret part
 * (the key id is public by design), for a JWT its signature, and the first and last 12 characters of
 * the secret part, so a truncated or partly masked copy is found too.
 */
export function fragmentsOf(secret: string): string[] {
  let core = secret;
  const key = /^ahk_[0-9A-Za-z]+_([0-9A-Za-z]+)$/.exec(secret);
  if (key) core = key[1];
  else if (secret.startsWith('ahcs_')) core = secret.slice(5);
  else if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(secret)) core = secret.split('.')[2];
  const out = new Set([secret, core]);
  if (core.length >= 24) {
    out.add(core.slice(0, 12));
    out.add(core.slice(-12));
  }
  return [...out];
}

export interface Leak {
  channel: string;
  secret: string;
  /** Where it was found, with the secret itself masked. */
  context: string;
}

/** Every place a fragment of a secret occurs in a channel's texts. */
export function scan(channel: string, texts: string[], secrets: Secret[]): Leak[] {
  const leaks: Leak[] = [];
  for (const text of texts) {
    for (const s of secrets) {
      for (const f of fragmentsOf(s.value)) {
        const at = text.indexOf(f);
        if (at === -1) continue;
        const context = text
          .slice(Math.max(0, at - 80), at + f.length + 80)
          .split(f)
          .join(`<${s.name}>`);
        leaks.push({ channel, secret: s.name, context });
        break;
      }
    }
  }
  return leaks;
}
