// fast-json-patch ships CommonJS only; Node's ESM loader sees just its default export.
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';

export type { Operation };
// These are plain module functions that never use `this`.
// eslint-disable-next-line @typescript-eslint/unbound-method
export const { applyPatch, applyOperation, escapePathComponent, deepClone } = jsonpatch;
