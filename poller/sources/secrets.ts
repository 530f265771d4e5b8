// Credentials come from the environment or from a mounted Secret file (NAME_FILE), nowhere else.
import { readFileSync } from 'node:fs';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `NAME` wins; otherwise the contents of the file named by `NAME_FILE`, trimmed. The file is read
 * at each call so a rotated Secret is picked up without a restart. Undefined when neither is set
 * or the file cannot be read or is empty.
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

/** Why a credential is not there: it says which variable and file, never the value. */
export interface MissingSecret {
  /** The variable a user would set or fix: NAME when nothing is set, else NAME_FILE. */
  variable: string;
  file?: string;
  problem: 'unset' | 'file missing' | 'file unreadable' | 'file empty';
}

/**
 * Is the credential really there now? A `NAME_FILE` naming a missing, unreadable or empty file is
 * not a credential: the Helm chart always sets the variables and mounts an optional Secret, so
 * without the Secret the files are simply absent.
 */
export function missingSecret(env: Env, name: string): MissingSecret | undefined {
  if (env[name]) return undefined;
  const variable = `${name}_FILE`;
  const file = env[variable];
  if (!file) return { variable: name, problem: 'unset' };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { variable, file, problem: code === 'ENOENT' ? 'file missing' : 'file unreadable' };
  }
  return text.trim() === '' ? { variable, file, problem: 'file empty' } : undefined;
}
