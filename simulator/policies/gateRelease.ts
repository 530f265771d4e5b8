// When a gated pod becomes schedulable: the gate controller's own verdict, asked at creation.
// The controller requeues a waiting pod for the time its verdict names, so that is the release.
import type { V1Pod } from '@kubernetes/client-node';
import { gateVerdict } from '../../controllers/gate/gateDecision.js';

export function gateReleaseTime(pod: V1Pod, now: number, gatesEnabled: boolean): number {
  const verdict = gateVerdict(pod, now, gatesEnabled);
  return verdict.action === 'wait' ? verdict.until : now;
}
