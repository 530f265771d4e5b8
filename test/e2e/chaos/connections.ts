// Which TCP connections are open to a local port (Linux /proc/net/tcp), to tell the connections
// a client opened after some moment from the ones it kept alive from before.
import { readFileSync } from 'node:fs';

const ESTABLISHED = '01';

/** Remote ends ("address:port" in /proc's hex) of the established connections to `port` on this host. */
export function establishedTo(port: number): Set<string> {
  const out = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readTable(file).split('\n').slice(1)) {
      const [, local, remote, state] = line.trim().split(/\s+/);
      if (local?.endsWith(`:${hexPort}`) && state === ESTABLISHED && remote) out.add(remote);
    }
  }
  return out;
}

/** The file's text, or nothing on a kernel without it (no IPv6). */
function readTable(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
