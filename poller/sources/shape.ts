// Reading untrusted JSON: each accessor checks the type it promises and names the path when it is wrong.
import { SourceError } from './errors.js';

export type Json = Record<string, unknown>;

export class Shape {
  constructor(private readonly source: string) {}

  fail(path: string, expected: string, got: unknown): never {
    const seen = got === null ? 'null' : Array.isArray(got) ? 'array' : typeof got;
    throw new SourceError(`${this.source} answered an unexpected shape: ${path} should be ${expected}, got ${seen}`, 'invalid');
  }

  record(value: unknown, path: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'an object', value);
    return value as Json;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'an array', value);
    return value as unknown[];
  }

  number(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, 'a number', value);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'a string', value);
    return value;
  }

  /** An ISO 8601 time, returned normalised to UTC with a Z. */
  time(value: unknown, path: string): string {
    const text = this.string(value, path);
    const t = Date.parse(text);
    if (!Number.isFinite(t)) this.fail(path, 'an ISO 8601 time', value);
    return new Date(t).toISOString();
  }
}
