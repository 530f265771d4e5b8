// Summarises a V8 CPU profile (node --cpu-prof) as text: the functions with the most self time
// and the most inclusive time, with their file and line, so a hot spot can be named precisely.
// Usage: npx tsx bench/profileSummary.ts FILE.cpuprofile [--top 25] [--filter substring]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  selfMs: number;
  totalMs: number;
}

function frameName(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  // tsx may hand V8 a data: URL holding the whole module; its name is enough.
  const named = url.startsWith('data:') ? (/__filename%3D%22([^%]*)%22/.exec(url)?.[1] ?? 'data:') : url;
  const file = named ? relative(process.cwd(), named.replace(/^file:\/\//, '')) : '(native)';
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/** Self and inclusive time per function (recursion counted once per sample). */
export function summarise(profile: CpuProfile): FunctionTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const leaf = byId.get(id);
    if (!leaf) return;
    self.set(frameName(leaf), (self.get(frameName(leaf)) ?? 0) + ms);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = frameName(byId.get(cur)!);
      if (seen.has(name)) continue;
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + ms);
    }
  });
  return [...total].map(([name, totalMs]) => ({ name, totalMs, selfMs: self.get(name) ?? 0 }));
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, filter: { type: 'string' } } });
  const file = positionals[0];
  if (!file) throw new Error('usage: tsx bench/profileSummary.ts FILE.cpuprofile [--top N] [--filter TEXT]');
  const top = Number(values.top);
  const rows = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile).filter((r) => !values.filter || r.name.includes(values.filter));
  const print = (title: string, key: 'selfMs' | 'totalMs'): void => {
    console.log(`\n${title}`);
    for (const r of [...rows].sort((a, b) => b[key] - a[key]).slice(0, top)) {
      console.log(`${r.selfMs.toFixed(0).padStart(8)} ms self ${r.totalMs.toFixed(0).padStart(8)} ms total  ${r.name}`);
    }
  };
  print('by self time', 'selfMs');
  print('by total time', 'totalMs');
}

if (import.meta.url === `file://${process.argv[1]}`) main();
