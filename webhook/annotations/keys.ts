// Every carbon-kube.io name users and the webhook write (see CONTRACTS.md section 1).

export const PREFIX = 'carbon-kube.io/';
export const ENABLED_LABEL = 'carbon-kube.io/enabled';
export const MODE = 'carbon-kube.io/mode';
export const MAX_INTENSITY = 'carbon-kube.io/max-intensity';
export const MAX_DELAY = 'carbon-kube.io/max-delay';
export const MIGRATABLE = 'carbon-kube.io/migratable';
export const DECISION = 'carbon-kube.io/decision';
export { GRID_ZONE_LABEL } from '../placement/gridMapping.js';

/** Annotations a user may set on a pod (the decision is ours but survives copies of pods). */
export const POD_ANNOTATIONS = [MODE, MAX_INTENSITY, MAX_DELAY, MIGRATABLE, DECISION] as const;
/** Namespace annotations that set defaults for the namespace's pods. */
export const NAMESPACE_ANNOTATIONS = [MODE, MAX_INTENSITY, MAX_DELAY, MIGRATABLE] as const;
