// The cluster file: zones of identical nodes, each zone drawing from one grid, plus a power model.
import { InputError } from './inputError.js';

export interface ClusterZone {
  /** topology.kubernetes.io/zone of its nodes. */
  name: string;
  /** Grid zone id, as in the carbon file. */
  grid: string;
  nodes: number;
  /** Allocatable CPU of each node, millicores. */
  cpuMillis: number;
}

export interface ClusterSpec {
  zones: ClusterZone[];
  /** Power of a node with nothing running, watts. */
  wattsIdle: number;
  /** Extra power per allocated core, watts. */
  wattsPerCore: number;
}

export function parseClusterJson(text: string, file = 'cluster'): ClusterSpec {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(doc)) throw new InputError(`${file}: must be a JSON object with zones, watts_idle and watts_per_core`);
  if (!Array.isArray(doc.zones) || doc.zones.length === 0) throw new InputError(`${file}: "zones" must be a non-empty array`);
  const zones = doc.zones.map((z, i) => parseZone(z, `${file}: zones[${i}]`));
  const seen = new Set<string>();
  for (const z of zones) {
    if (seen.has(z.name)) throw new InputError(`${file}: zone name "${z.name}" appears twice`);
    seen.add(z.name);
  }
  return {
    zones,
    wattsIdle: nonNegative(doc.watts_idle, `${file}: "watts_idle"`),
    wattsPerCore: nonNegative(doc.watts_per_core, `${file}: "watts_per_core"`),
  };
}

function parseZone(z: unknown, where: string): ClusterZone {
  if (!isRecord(z)) throw new InputError(`${where} must be an object like {"name":"z1","grid":"GB","nodes":20,"cpu_m":16000}`);
  if (typeof z.name !== 'string' || z.name.trim() === '') throw new InputError(`${where}.name must be a non-empty string`);
  if (typeof z.grid !== 'string' || z.grid.trim() === '') throw new InputError(`${where}.grid must be a grid zone id such as "GB"`);
  return { name: z.name, grid: z.grid, nodes: positiveInt(z.nodes, `${where}.nodes`), cpuMillis: positiveInt(z.cpu_m, `${where}.cpu_m`) };
}

function positiveInt(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new InputError(`${where} must be a whole number > 0, got ${JSON.stringify(v)}`);
  return v;
}

function nonNegative(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InputError(`${where} must be a number >= 0, got ${JSON.stringify(v)}`);
  return v;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
