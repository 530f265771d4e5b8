// The carbon-kube.io/decision annotation: what was decided and why, short enough to read in kubectl.
import type { PlacementDecision } from './types.js';

const MAX_LENGTH = 1024;

export function describeDecision(d: PlacementDecision, extra: string[] = []): string {
  const parts: string[] = [];
  if (d.skipReason) parts.push(`${d.mode}: none (${d.skipReason})`);
  else parts.push(`${d.mode} ${d.preferred.map((p) => `${p.zone}(${Math.round(p.intensity)}g)`).join(' ')}`.trim());
  if (d.excludedZones.length > 0) parts.push(`exclude ${d.excludedZones.join(' ')} (>${d.thresholdG}g)`);
  if (d.exclusionWaived) parts.push(`no exclusion: ${d.exclusionWaived}`);
  if (d.unknownZones.length > 0) parts.push(`no data ${d.unknownZones.join(' ')}`);
  parts.push(...extra);
  const text = parts.join('; ');
  return text.length <= MAX_LENGTH ? text : `${text.slice(0, MAX_LENGTH - 1)}…`;
}
