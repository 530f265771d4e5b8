// Every carbon-kube.io name users and the webhook write (see CONTRACTS.md section 1).

export const PREFIX = 'carbon-kube.io/';
export const ENABLED_LABEL = 'carbon-kube.io/enabled';
export const MODE = 'carbon-kube.io/mode';
export const MAX_INTENSITY = 'carbon-kube.io/max-intensity';
export const MAX_DELAY = 'carbon-kube.io/max-delay';
export const MIGRATABLE = 'carbon-kube.io/migratable';
export const DECISION = 'carbon-kube.io/decision';
/** Written with the gate: when the controller releases it, and the latest it may. */
export const RELEASE_AT = 'carbon-kube.io/release-at';
export const DEADLINE = 'carbon-kube.io/deadline';
/** Pod label on gated pods, so the gate controller lists only them. */
export const GATED_LABEL = 'carbon-kube.io/gated';
/**
 * Pod label written with the affinity or gate that steered the pod (affinity, gate,
 * affinity-and-gate), so the savings estimator selects steered pods, never merely decided ones.
 */
export const STEERED_LABEL = 'carbon-kube.io/steered';
/** The scheduling gate (Pod Scheduling Readiness) of a pod waiting for a greener window. */
export const GREEN_WINDOW_GATE = 'carbon-kube.io/green-window';
export { GRID_ZONE_LABEL } from '../placement/gridMapping.js';

/** Annotations a user may set on a pod (the decision is ours but survives copies of pods). */
export const POD_ANNOTATIONS = [MODE, MAX_INTENSITY, MAX_DELAY, MIGRATABLE, DECISION, RELEASE_AT, DEADLINE] as const;
/** Namespace annotations that set defaults for the namespace's pods. */
export const NAMESPACE_ANNOTATIONS = [MODE, MAX_INTENSITY, MAX_DELAY, MIGRATABLE] as const;
