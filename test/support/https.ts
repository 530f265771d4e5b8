// A tiny HTTPS client for tests: trusts the given CA, reports status, body and peer certificate.
import { request as httpsRequest, Agent } from 'node:https';
import { request as httpRequest } from 'node:http';

export interface Reply {
  status: number;
  body: string;
  json<T = any>(): T;
  serial?: string;
}

export function post(port: number, path: string, body: string | Buffer, ca: string, contentType = 'application/json'): Promise<Reply> {
  return send(port, path, 'POST', ca, body, contentType);
}

export function get(port: number, path: string, ca: string): Promise<Reply> {
  return send(port, path, 'GET', ca);
}

function send(port: number, path: string, method: string, ca: string, body?: string | Buffer, contentType?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, method, ca, servername: 'localhost', agent: new Agent({ keepAlive: false }), headers: contentType ? { 'content-type': contentType } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate?.();
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text, json: () => JSON.parse(text), ...(cert?.serialNumber ? { serial: cert.serialNumber.toLowerCase() } : {}) });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export function getPlain(port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text, json: () => JSON.parse(text) });
      });
    })
      .on('error', reject)
      .end();
  });
}
