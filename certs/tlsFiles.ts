// Reading and writing PEM files; private keys are never readable by other users.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TlsMaterial } from './authority.js';

/**
 * Owner and group may read a key, nobody may write it: group read lets a key written for mounting
 * be read by a pod's fsGroup. A renewal replaces the file by rename, so no write bit is needed.
 */
export const KEY_FILE_MODE = 0o440;
export const CERT_FILE_MODE = 0o644;

export function writeTlsFiles(certFile: string, keyFile: string, material: TlsMaterial): void {
  mkdirSync(dirname(certFile), { recursive: true });
  mkdirSync(dirname(keyFile), { recursive: true });
  // Key first, each through a rename, so a reader never sees a half-written file.
  atomicWrite(keyFile, material.keyPem, KEY_FILE_MODE);
  atomicWrite(certFile, material.certPem, CERT_FILE_MODE);
}

export function readTlsFiles(certFile: string, keyFile: string): TlsMaterial | undefined {
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

/**
 * A leftover temporary file (a crash, or a reused pid in a container) would keep its old mode,
 * so it is removed and the new one created exclusively; chmod then sets the mode exactly,
 * whatever the umask.
 */
function atomicWrite(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, text, { mode, flag: 'wx' });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}
