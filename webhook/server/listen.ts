// Binds a server to its address: '::' takes IPv6 and IPv4 alike, and falls back to 0.0.0.0 on
// machines without IPv6.
import type { Server } from 'node:net';

export const ANY_IPV6 = '::';
export const ANY_IPV4 = '0.0.0.0';

export interface ListenAddress {
  port: number;
  host: string;
}

/** What a kernel without IPv6 (or with it disabled) answers when asked to bind '::'. */
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL']);

/** Resolves with the host actually bound. */
export async function listen(server: Server, address: ListenAddress): Promise<string> {
  try {
    await bind(server, address.port, address.host);
    return address.host;
  } catch (err) {
    if (address.host !== ANY_IPV6 || !NO_IPV6.has(errorCode(err))) throw err;
    await bind(server, address.port, ANY_IPV4);
    return ANY_IPV4;
  }
}

function bind(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // ipv6Only false: on '::' IPv4 clients arrive as ::ffff:a.b.c.d on the same socket.
    server.listen({ port, host, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
}
