// Reading and writing PEM files; keys are written readable by their owner only.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TlsMaterial } from './authority.js';

export function writeTlsFiles(certFile: string, keyFile: string, material: TlsMaterial): void {
  mkdirSync(dirname(certFile), { recursive: true });
  mkdirSync(dirname(keyFile), { recursive: true });
  // Key first, each through a rename, so a reader never sees a half-written file.
  atomicWrite(keyFile, material.keyPem, 0o600);
  atomicWrite(certFile, material.certPem, 0o644);
}

export function readTlsFiles(certFile: string, keyFile: string): TlsMaterial | undefined {
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

function atomicWrite(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}
