// Credentials come from the environment or from a mounted Secret file (NAME_FILE), nowhere else.
import { readFileSync } from 'node:fs';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `NAME` wins; otherwise the contents of the file named by `NAME_FILE`, trimmed. The file is read
 * at each call so a rotated Secret is picked up without a restart. Undefined when neither is set
 * or the file cannot be read (the caller then leaves the source out).
 */
export function readSecret(env: Env, name: string): string | undefined {
  const direct = env[name];
  if (direct) return direct;
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    const value = readFileSync(file, 'utf8').trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

/** Is the credential configured at all (without reading it)? */
export function hasSecret(env: Env, name: string): boolean {
  return Boolean(env[name] || env[`${name}_FILE`]);
}
